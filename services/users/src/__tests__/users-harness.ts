/** What the users service's test files share: a service to start, accounts, operations, Redis. */
import {
  createRedisClient,
  RedisRevocationStore,
  silentLogger,
  verifyAccessToken,
  type Identity,
  type Logger,
  type RevocationStore,
  type Role,
} from '@psa/shared';
import {
  graphqlRequest,
  randomId,
  startServiceUnderTest,
  type Cleanup,
  type GraphQLBody,
  type ServiceUnderTest,
} from '@psa/shared/testing';
import { loadUsersConfig, startUsersService, type UsersConfig } from '../users-service';

export interface UserView {
  id: string;
  username: string;
  email: string | null;
  displayName: string | null;
  role: Role;
}

export interface AuthView {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  user: Omit<UserView, 'email'>;
}

/** The first admin every test service seeds. */
export const ADMIN = {
  username: 'Chief',
  email: 'Chief@PSA.test',
  password: 'admin password for the users tests',
};

export const USER_FIELDS = 'id username email displayName role';
// No email: the request that signs in carries no token yet, so it would read null.
export const AUTH_FIELDS =
  'accessToken refreshToken expiresAt user { id username displayName role }';
export const SIGN_UP = `mutation SignUp($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} } }`;
export const LOGIN = `mutation Login($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }`;
export const REFRESH = `mutation Refresh($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { ${AUTH_FIELDS} } }`;
export const ME = `{ me { ${USER_FIELDS} } }`;

/** The first error's extensions (`{}` when there is none). */
export const errorOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions ?? {};

/** The first error's code (errors refused before execution carry a stack trace outside production). */
export const codeOf = (body: GraphQLBody<unknown>) => errorOf(body).code;

/** A sign-up input no other test uses: username and email from `name`, a password of its own. */
export function newUser(
  name: string,
  overrides: Record<string, unknown> = {},
): Record<string, string> {
  const suffix = randomId().slice(0, 8);
  return {
    username: `${name}_${suffix}`,
    email: `${name}.${suffix}@example.com`,
    password: `a long passphrase ${randomId()}`,
    ...overrides,
  };
}

export async function signUp(url: string, input: Record<string, unknown>) {
  return (await graphqlRequest<{ signUp: AuthView }>(url, SIGN_UP, { input })).body;
}

export async function login(url: string, loginName: string, password: string) {
  return (
    await graphqlRequest<{ login: AuthView }>(url, LOGIN, { input: { login: loginName, password } })
  ).body;
}

export async function refresh(url: string, refreshToken: string) {
  return (await graphqlRequest<{ refreshSession: AuthView }>(url, REFRESH, { refreshToken })).body;
}

/** Signs a new user up and returns their tokens; fails the test when sign-up fails. */
export async function signedUp(
  url: string,
  name: string,
): Promise<AuthView & { password: string }> {
  const input = newUser(name);
  const body = await signUp(url, input);
  expect(body.errors).toBeUndefined();
  return { ...(body.data?.signUp as AuthView), password: input.password as string };
}

export interface UsersUnderTest extends ServiceUnderTest<UsersConfig> {
  /** The identity an access token this service issued carries (verified with its key). */
  identityOf(accessToken: string): Identity;
}

/**
 * Starts a users service (stopped by `cleanup`) with ADMIN as the first admin and a database of
 * its own; `env` overrides the test environment, `revocations` is handed to the service.
 */
export async function startUsers(
  cleanup: Cleanup,
  options: {
    env?: NodeJS.ProcessEnv;
    logger?: Logger;
    keysDir?: string;
    revocations?: RevocationStore;
  } = {},
): Promise<UsersUnderTest> {
  const started = await startServiceUnderTest({
    name: 'users',
    load: loadUsersConfig,
    start: (config, logger) =>
      startUsersService(config, logger, { revocations: options.revocations }),
    cleanup,
    env: {
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      ...options.env,
    },
    logger: options.logger,
    keysDir: options.keysDir,
  });
  return {
    ...started,
    identityOf: (accessToken) =>
      verifyAccessToken(accessToken, started.signingKey, {
        issuer: started.config.JWT_ISSUER,
        audience: started.config.JWT_AUDIENCE,
      }),
  };
}

/** The Redis the tests share (REDIS_URL from jest's global setup), once connected. */
export async function connectTestRedis(cleanup: Cleanup) {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run the tests through jest (global setup)');
  const redis = createRedisClient(url, silentLogger(), 'users-tests');
  cleanup.add(() => redis.disconnect());
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return { redis, store: new RedisRevocationStore(redis) };
}

// RedisRevocationStore's keys, read directly only to check how long a revocation is kept.
export const revokedSessionKey = (sessionId: string) => `psa:auth:revoked:${sessionId}`;
export const roleKey = (userId: string) => `psa:auth:role:${userId}`;
