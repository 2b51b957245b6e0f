import { z } from 'zod';
import { authConfigProblems, ConfigError, envVar, loadConfig, subgraphEnv } from '@psa/shared';

const schema = z.object({
  ...subgraphEnv,
  NOTIFICATIONS_PORT: envVar.port(4006),
  NOTIFICATIONS_DB: z.string().min(1).default('psa_notifications'),
  /** How long a notification is kept (a TTL index removes older ones), days. */
  NOTIFICATION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),
  /**
   * How often the reminder scheduler looks for reminders that are due, ms: a reminder is sent at
   * most this long (plus the time to send it) after its moment.
   */
  REMINDER_POLL_MS: envVar.positiveInt(10_000),
  /** How long before its due date an open task's assignee is told it is due soon, hours. */
  TASK_DUE_SOON_HOURS: z.coerce.number().int().min(1).max(720).default(24),
});

export type NotificationsConfig = z.infer<typeof schema>;

/** The notifications service configuration from the environment; throws ConfigError listing every problem. */
export function loadNotificationsConfig(env: NodeJS.ProcessEnv = process.env): NotificationsConfig {
  const config = loadConfig(schema, env);
  const problems = authConfigProblems(config, false);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
