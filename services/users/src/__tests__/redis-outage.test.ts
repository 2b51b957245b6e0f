/**
 * A Redis outage signs nobody out: while the revocation store cannot answer, the users service
 * reads a token's standing from its database (where sessions and roles live), a logout made
 * during the outage takes effect at once, and once Redis is back what it missed is marked again.
 */
import { graphqlRequest, Cleanup, startRedisServer, type RedisServer } from '@psa/shared/testing';
import { createRedisClient, silentLogger } from '@psa/shared';
import {
  ADMIN,
  codeOf,
  login,
  ME,
  revokedSessionKey,
  signedUp,
  startUsers,
  type UsersUnderTest,
} from './users-harness';

const cleanup = new Cleanup();
let redis: RedisServer;
let users: UsersUnderTest;

const me = (token: string) =>
  graphqlRequest(users.service.url, ME, {}, { authorization: `Bearer ${token}` });
const logout = (token: string) =>
  graphqlRequest(
    users.service.url,
    'mutation { logout }',
    {},
    { authorization: `Bearer ${token}` },
  );
const STANDING = 'query ($t: String!) { sessionStanding(accessToken: $t) }';
const standingOf = async (token: string) =>
  (await graphqlRequest<{ sessionStanding: string }>(users.service.url, STANDING, { t: token }))
    .body;

async function readyz(): Promise<{ status: number; body: { status: string; failed?: string[] } }> {
  const response = await fetch(users.service.url.replace(/\/graphql$/, '/readyz'));
  return { status: response.status, body: (await response.json()) as never };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met within 10 s');
}

beforeAll(async () => {
  redis = await startRedisServer();
  cleanup.add(() => redis.stop());
  users = await startUsers(cleanup, { env: { REDIS_URL: redis.url } });
});

afterAll(() => cleanup.run());

describe('sessionStanding (for the gateway while Redis is away)', () => {
  it('answers VALID, REVOKED after a logout, STALE after a role change, UNAUTHENTICATED for a bad token', async () => {
    const alice = await signedUp(users.service.url, 'standing');
    expect((await standingOf(alice.accessToken)).data).toEqual({ sessionStanding: 'VALID' });

    const admin = await login(users.service.url, ADMIN.username, ADMIN.password);
    const promoted = await graphqlRequest(
      users.service.url,
      'mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) { role } }',
      { input: { userId: alice.user.id, role: 'MANAGER' } },
      { authorization: `Bearer ${admin.data?.login.accessToken}` },
    );
    expect(promoted.body.errors).toBeUndefined();
    expect((await standingOf(alice.accessToken)).data).toEqual({ sessionStanding: 'STALE' });

    const bob = await signedUp(users.service.url, 'leaving');
    expect((await logout(bob.accessToken)).body.errors).toBeUndefined();
    expect((await standingOf(bob.accessToken)).data).toEqual({ sessionStanding: 'REVOKED' });

    expect(codeOf(await standingOf('not-a-token'))).toBe('UNAUTHENTICATED');
  });
});

describe('Redis killed and restarted', () => {
  it('keeps signed-in users working, honours a logout made meanwhile, and marks it in Redis once back', async () => {
    const staying = await signedUp(users.service.url, 'staying');
    const revokedBefore = await signedUp(users.service.url, 'before');
    expect((await logout(revokedBefore.accessToken)).body.errors).toBeUndefined();
    const leaving = await signedUp(users.service.url, 'during');

    await redis.stop();
    await until(async () => (await readyz()).body.status === 'degraded');
    // Degraded, not down: a load balancer keeps sending.
    expect(await readyz()).toMatchObject({ status: 200, body: { failed: ['events', 'redis'] } });

    expect((await me(staying.accessToken)).body.errors).toBeUndefined();
    expect(codeOf((await me(revokedBefore.accessToken)).body)).toBe('UNAUTHENTICATED');
    expect((await logout(leaving.accessToken)).body.errors).toBeUndefined();
    expect(codeOf((await me(leaving.accessToken)).body)).toBe('UNAUTHENTICATED');

    redis = await startRedisServer(redis.port);
    await until(async () => (await readyz()).body.status === 'ready');
    // The fresh Redis knew nothing of the logout: the service marked it again on reconnecting.
    const probe = createRedisClient(redis.url, silentLogger(), 'users-tests');
    cleanup.add(() => probe.disconnect());
    if (probe.status !== 'ready') await new Promise((resolve) => probe.once('ready', resolve));
    const sessionId = users.identityOf(leaving.accessToken).sessionId;
    await until(async () => (await probe.get(revokedSessionKey(sessionId))) === '1');
    expect(codeOf((await me(leaving.accessToken)).body)).toBe('UNAUTHENTICATED');
    expect((await me(staying.accessToken)).body.errors).toBeUndefined();
  });
});
