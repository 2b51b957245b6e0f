import { z } from 'zod';
import { authConfigProblems, ConfigError, envVar, loadConfig, subgraphEnv } from '@psa/shared';

const schema = z.object({
  ...subgraphEnv,
  TIME_PORT: envVar.port(4005),
  TIME_DB: z.string().min(1).default('psa_time'),
  /** A person's working time per weekday, in minutes: the capacity `User.utilization` compares with. */
  TIME_CAPACITY_MINUTES_PER_WEEKDAY: z.coerce.number().int().min(0).max(1_440).default(480),
  /** How often running timers older than 24 hours are stopped (at 24 hours), ms. */
  TIME_TIMER_SWEEP_MS: envVar.positiveInt(60_000),
});

export type TimeConfig = z.infer<typeof schema>;

/** The time service configuration from the environment; throws ConfigError listing every problem. */
export function loadTimeConfig(env: NodeJS.ProcessEnv = process.env): TimeConfig {
  const config = loadConfig(schema, env);
  const problems = authConfigProblems(config, false);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
