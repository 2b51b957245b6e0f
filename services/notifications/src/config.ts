import { z } from 'zod';
import { authConfigProblems, ConfigError, envVar, loadConfig, subgraphEnv } from '@psa/shared';

const schema = z.object({
  ...subgraphEnv,
  NOTIFICATIONS_PORT: envVar.port(4006),
  NOTIFICATIONS_DB: z.string().min(1).default('psa_notifications'),
  /** How long a notification is kept (a TTL index removes older ones), days. */
  NOTIFICATION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),
  /**
   * How often the reminder scheduler looks for reminders due within the next interval, ms; it
   * takes them ahead and sends each at its moment. A reminder whose moment came while no replica
   * ran is sent at most this long after one starts.
   */
  REMINDER_POLL_MS: envVar.positiveInt(10_000),
  /**
   * How long a replica holds the reminders it took, ms (longer than REMINDER_POLL_MS: it takes
   * them up to one interval ahead). A replica that dies holding some leaves them to another after
   * this long, so a reminder is then at most this plus REMINDER_POLL_MS late.
   */
  REMINDER_LOCK_MS: envVar.positiveInt(20_000),
  /**
   * How long before its due date an open task's assignee is told it is due soon, hours (a
   * fraction is allowed, e.g. 0.5).
   */
  TASK_DUE_SOON_HOURS: z.coerce.number().positive().max(720).default(24),
  /**
   * Hosts (names or addresses, comma-separated) webhooks may reach although they are private,
   * loopback or link-local: in production nothing else of the kind is reached.
   */
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((hosts) =>
      hosts
        .split(',')
        .map((host) =>
          host
            .trim()
            .toLowerCase()
            .replace(/^\[|\]$/g, ''),
        )
        .filter(Boolean),
    ),
  /** The first retry of a failed webhook delivery waits this long (then 2x, 4x...), ms. */
  WEBHOOK_RETRY_DELAY_MS: envVar.positiveInt(5_000),
  /** How often due webhook deliveries and retries are looked for, ms. */
  WEBHOOK_POLL_MS: envVar.positiveInt(1_000),
});

export type NotificationsConfig = z.infer<typeof schema>;

/** The notifications service configuration from the environment; throws ConfigError listing every problem. */
export function loadNotificationsConfig(env: NodeJS.ProcessEnv = process.env): NotificationsConfig {
  const config = loadConfig(schema, env);
  const problems = authConfigProblems(config, false);
  if (config.REMINDER_LOCK_MS <= config.REMINDER_POLL_MS) {
    problems.push(
      'REMINDER_LOCK_MS: must be longer than REMINDER_POLL_MS (reminders are taken up to one interval ahead)',
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
