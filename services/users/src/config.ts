import { z } from 'zod';
import { authConfigProblems, ConfigError, envVar, loadConfig, subgraphEnv } from '@psa/shared';

const schema = z.object({
  ...subgraphEnv,
  USERS_PORT: envVar.port(4001),
  USERS_DB: z.string().min(1).default('psa_users'),
  ACCESS_TOKEN_TTL_SECONDS: envVar.positiveInt(900),
  REFRESH_TOKEN_TTL_DAYS: envVar.positiveInt(30),
  ADMIN_USERNAME: z.string().min(3).optional(),
  ADMIN_EMAIL: z.string().min(3).optional(),
  ADMIN_PASSWORD: z.string().min(15, 'must be at least 15 characters').optional(),
});

export type UsersConfig = z.infer<typeof schema>;

/** The users service configuration from the environment; throws ConfigError listing every problem. */
export function loadUsersConfig(env: NodeJS.ProcessEnv = process.env): UsersConfig {
  const config = loadConfig(schema, env);
  const problems = authConfigProblems(config, true);
  const adminVars = [config.ADMIN_USERNAME, config.ADMIN_EMAIL, config.ADMIN_PASSWORD];
  if (config.NODE_ENV === 'production' && !config.REDIS_URL) {
    problems.push(
      'REDIS_URL: required in production (ended sessions are shared with the gateway through Redis)',
    );
  }
  if (adminVars.some(Boolean) && !adminVars.every(Boolean)) {
    problems.push('ADMIN_USERNAME, ADMIN_EMAIL, ADMIN_PASSWORD: set all three or none');
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
