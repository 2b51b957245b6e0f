import { z } from 'zod';
import {
  authConfigProblems,
  authEnv,
  commonEnv,
  ConfigError,
  envVar,
  loadConfig,
} from '@psa/shared';

const schema = z.object({
  ...commonEnv,
  ...authEnv,
  GATEWAY_PORT: envVar.port(4000),
  USERS_URL: envVar.httpUrl().default('http://127.0.0.1:4001/graphql'),
  PROJECTS_URL: envVar.httpUrl().default('http://127.0.0.1:4002/graphql'),
  TASKS_URL: envVar.httpUrl().default('http://127.0.0.1:4003/graphql'),
  DOCUMENTS_URL: envVar.httpUrl().default('http://127.0.0.1:4004/graphql'),
  /** Browser origins allowed to call the API, comma-separated. */
  CORS_ORIGINS: envVar.list().default([]),
  /** Schema introspection; default on outside production. */
  INTROSPECTION: z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
  /** Timeout of one subgraph call, ms. */
  SUBGRAPH_TIMEOUT_MS: envVar.positiveInt(10_000),
});

export type GatewayConfig = z.infer<typeof schema>;

/** The gateway configuration from the environment; throws ConfigError listing every problem. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config = loadConfig(schema, env);
  const problems = authConfigProblems(config, false);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
