import { z } from 'zod';
import { authConfigProblems, ConfigError, envVar, loadConfig, subgraphEnv } from '@psa/shared';

const schema = z.object({
  ...subgraphEnv,
  PROJECTS_PORT: envVar.port(4002),
  PROJECTS_DB: z.string().min(1).default('psa_projects'),
});

export type ProjectsConfig = z.infer<typeof schema>;

/** The projects service configuration from the environment; throws ConfigError listing every problem. */
export function loadProjectsConfig(env: NodeJS.ProcessEnv = process.env): ProjectsConfig {
  const config = loadConfig(schema, env);
  const problems = authConfigProblems(config, false);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
