import { z } from 'zod';
import { authConfigProblems, ConfigError, envVar, loadConfig, subgraphEnv } from '@psa/shared';

const schema = z.object({
  ...subgraphEnv,
  TASKS_PORT: envVar.port(4003),
  TASKS_DB: z.string().min(1).default('psa_tasks'),
});

export type TasksConfig = z.infer<typeof schema>;

/** The tasks service configuration from the environment; throws ConfigError listing every problem. */
export function loadTasksConfig(env: NodeJS.ProcessEnv = process.env): TasksConfig {
  const config = loadConfig(schema, env);
  const problems = authConfigProblems(config, false);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
