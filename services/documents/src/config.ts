import { z } from 'zod';
import { authConfigProblems, ConfigError, envVar, loadConfig, subgraphEnv } from '@psa/shared';

const schema = z.object({
  ...subgraphEnv,
  DOCUMENTS_PORT: envVar.port(4004),
  DOCUMENTS_DB: z.string().min(1).default('psa_documents'),
});

export type DocumentsConfig = z.infer<typeof schema>;

/** The documents service configuration from the environment; throws ConfigError listing every problem. */
export function loadDocumentsConfig(env: NodeJS.ProcessEnv = process.env): DocumentsConfig {
  const config = loadConfig(schema, env);
  const problems = authConfigProblems(config, false);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
