import mongoose from 'mongoose';
import { InMemoryRevocationStore, type RevocationStore } from '@psa/shared';
import { bearer, Cleanup, graphqlRequest, randomId } from '@psa/shared/testing';
import { loadUsersConfig } from '../users-service';
import {
  ADMIN,
  codeOf,
  connectTestRedis,
  errorOf,
  login,
  ME,
  refresh,
  revokedSessionKey,
  signedUp,
  startUsers,
  type AuthView,
  type UserView,
  type UsersUnderTest,
} from './users-harness';

const cleanup = new Cleanup();
let users: UsersUnderTest;
let url: string;
let redis: Awaited<ReturnType<typeof connectTestRedis>>['redis'];
let store: RevocationStore;

const LOGOUT = 'mutation { logout }';
const LOGOUT_ALL = 'mutation { logoutAll }';
const CHANGE_PASSWORD = 'mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }';
const DELETE_ACCOUNT = 'mutation ($password: String!) { deleteAccount(password: $password) }';

const me = async (accessToken: string) =>
  (await graphqlRequest<{ me: UserView | null }>(url, ME, {}, bearer(accessToken))).body;

/** The session id an access token carries. */
const sessionOf = (accessToken: string) => users.identityOf(accessToken).sessionId;

/** Expects a revocation in Redis kept about as long as an access token lives (900 s). */
async function expectRevokedForAccessTokenLifetime(accessToken: string) {
  expect(await store.standing(users.identityOf(accessToken))).toBe('revoked');
  const ttl = await redis.ttl(revokedSessionKey(sessionOf(accessToken)));
  expect(ttl).toBeGreaterThan(890);
  expect(ttl).toBeLessThanOrEqual(900);
}

beforeAll(async () => {
  ({ redis, store } = await connectTestRedis(cleanup));
  users = await startUsers(cleanup, { env: { REDIS_URL: process.env.REDIS_URL } });
  url = users.service.url;
});

afterAll(() => cleanup.run());

describe('configuration', () => {
  it('requires REDIS_URL in production, naming it', () => {
    const production = () =>
      loadUsersConfig({
        NODE_ENV: 'production',
        JWT_PRIVATE_KEY: users.signingKey.privateKey
          .export({ format: 'pem', type: 'pkcs8' })
          .toString(),
      });
    expect(production).toThrow(/REDIS_URL: required in production/);
    expect(() => loadUsersConfig({ NODE_ENV: 'development' })).not.toThrow();
  });
});

describe('readiness', () => {
  it('includes Redis when REDIS_URL is set', async () => {
    const response = await fetch(new URL('/readyz', url));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ checks: { mongodb: true, redis: true } });
  });
});

describe('refreshSession', () => {
  it('rotates the refresh token: the old one is refused after use, the new one works', async () => {
    const session = await signedUp(url, 'rotate');
    const first = await refresh(url, session.refreshToken);
    expect(first.errors).toBeUndefined();
    const rotated = first.data?.refreshSession as AuthView;
    expect(rotated.refreshToken).not.toBe(session.refreshToken);
    expect(rotated.user).toEqual(session.user);
    expect(Date.parse(rotated.expiresAt)).toBeGreaterThan(Date.now());

    // The new access token verifies, belongs to the same session and works.
    const identity = users.identityOf(rotated.accessToken);
    expect(identity).toMatchObject({
      userId: session.user.id,
      role: 'MEMBER',
      sessionId: sessionOf(session.accessToken),
    });
    expect((await me(rotated.accessToken)).data?.me?.id).toBe(session.user.id);

    const second = await refresh(url, rotated.refreshToken);
    expect(second.errors).toBeUndefined();
    expect(second.data?.refreshSession.refreshToken).not.toBe(rotated.refreshToken);
  });

  it('answers its own user with their email, like login', async () => {
    const session = await signedUp(url, 'refreshmail');
    const { body } = await graphqlRequest<{ refreshSession: { user: { email: string } } }>(
      url,
      'mutation ($t: String!) { refreshSession(refreshToken: $t) { user { email } } }',
      { t: session.refreshToken },
    );
    expect(body.data?.refreshSession.user.email).toMatch(/^refreshmail\./);
  });

  it('revokes the whole session when a used refresh token comes back', async () => {
    const session = await signedUp(url, 'reuse');
    const rotated = (await refresh(url, session.refreshToken)).data?.refreshSession as AuthView;

    const reused = await refresh(url, session.refreshToken);
    expect(reused.data).toBeNull();
    expect(codeOf(reused)).toBe('UNAUTHENTICATED');

    // Whoever held the rotated-to token is out too: its refresh token and its access token.
    expect(codeOf(await refresh(url, rotated.refreshToken))).toBe('UNAUTHENTICATED');
    expect(codeOf(await me(rotated.accessToken))).toBe('UNAUTHENTICATED');
    await expectRevokedForAccessTokenLifetime(rotated.accessToken);
  });

  it('lets exactly one of two concurrent refreshes with the same token win', async () => {
    const session = await signedUp(url, 'race');
    const results = await Promise.all([
      refresh(url, session.refreshToken),
      refresh(url, session.refreshToken),
    ]);
    const winners = results.filter((body) => body.errors === undefined);
    const losers = results.filter((body) => body.errors !== undefined);
    expect(winners).toHaveLength(1);
    expect(losers.map(codeOf)).toEqual(['UNAUTHENTICATED']);
    // The loser presented a used token, which is what theft looks like: the session ends.
    const winner = winners[0]?.data?.refreshSession as AuthView;
    expect(codeOf(await refresh(url, winner.refreshToken))).toBe('UNAUTHENTICATED');
  });

  it('refuses an unknown token, and one of an expired session, with UNAUTHENTICATED', async () => {
    expect(codeOf(await refresh(url, 'no-such-token'))).toBe('UNAUTHENTICATED');

    const session = await signedUp(url, 'expired');
    const db = await mongoose
      .createConnection(process.env.MONGO_URL as string, { dbName: users.config.USERS_DB })
      .asPromise();
    try {
      await db
        .collection('sessions')
        .updateOne(
          { _id: new mongoose.Types.ObjectId(sessionOf(session.accessToken)) },
          { $set: { expiresAt: new Date(Date.now() - 1_000) } },
        );
    } finally {
      await db.close();
    }
    expect(codeOf(await refresh(url, session.refreshToken))).toBe('UNAUTHENTICATED');
  });

  it('carries the role the user has now', async () => {
    const session = await signedUp(url, 'promoted');
    const admin = (await login(url, ADMIN.username, ADMIN.password)).data?.login as AuthView;
    const promoted = await graphqlRequest(
      url,
      'mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) { role } }',
      { input: { userId: session.user.id, role: 'MANAGER' } },
      bearer(admin.accessToken),
    );
    expect(promoted.body.errors).toBeUndefined();
    const refreshed = (await refresh(url, session.refreshToken)).data?.refreshSession as AuthView;
    expect(refreshed.user.role).toBe('MANAGER');
    expect(users.identityOf(refreshed.accessToken).role).toBe('MANAGER');
  });
});

describe('logout', () => {
  it('ends this session at once: access token and refresh token refused, revoked in Redis', async () => {
    const session = await signedUp(url, 'logout');
    const other = (await login(url, session.user.username, session.password)).data
      ?.login as AuthView;

    const { body } = await graphqlRequest(url, LOGOUT, {}, bearer(session.accessToken));
    expect(body).toEqual({ data: { logout: true } });

    expect(codeOf(await me(session.accessToken))).toBe('UNAUTHENTICATED');
    expect(codeOf(await refresh(url, session.refreshToken))).toBe('UNAUTHENTICATED');
    await expectRevokedForAccessTokenLifetime(session.accessToken);
    // The user's other session goes on.
    expect((await me(other.accessToken)).data?.me?.id).toBe(session.user.id);
  });
});

describe('logoutAll', () => {
  it("ends every session of the caller and no one else's", async () => {
    const first = await signedUp(url, 'everywhere');
    const second = (await login(url, first.user.username, first.password)).data?.login as AuthView;
    const bystander = await signedUp(url, 'bystander');

    const { body } = await graphqlRequest(url, LOGOUT_ALL, {}, bearer(second.accessToken));
    expect(body).toEqual({ data: { logoutAll: true } });

    for (const session of [first, second]) {
      expect(codeOf(await me(session.accessToken))).toBe('UNAUTHENTICATED');
      expect(codeOf(await refresh(url, session.refreshToken))).toBe('UNAUTHENTICATED');
      await expectRevokedForAccessTokenLifetime(session.accessToken);
    }
    expect((await me(bystander.accessToken)).data?.me?.id).toBe(bystander.user.id);
    expect(await store.standing(users.identityOf(bystander.accessToken))).toBe('valid');
  });
});

describe('changePassword', () => {
  const change = (accessToken: string, input: Record<string, string>) =>
    graphqlRequest(url, CHANGE_PASSWORD, { input }, bearer(accessToken)).then((r) => r.body);

  it('sets the new password, keeps the current session and ends the others', async () => {
    const current = await signedUp(url, 'rekey');
    const other = (await login(url, current.user.username, current.password)).data
      ?.login as AuthView;
    const newPassword = `another long passphrase ${randomId()}`;

    const body = await change(current.accessToken, {
      currentPassword: current.password,
      newPassword,
    });
    expect(body).toEqual({ data: { changePassword: true } });

    expect((await me(current.accessToken)).data?.me?.id).toBe(current.user.id);
    expect((await refresh(url, current.refreshToken)).errors).toBeUndefined();
    expect(codeOf(await me(other.accessToken))).toBe('UNAUTHENTICATED');
    expect(codeOf(await refresh(url, other.refreshToken))).toBe('UNAUTHENTICATED');
    await expectRevokedForAccessTokenLifetime(other.accessToken);

    expect(codeOf(await login(url, current.user.username, current.password))).toBe(
      'UNAUTHENTICATED',
    );
    expect((await login(url, current.user.username, newPassword)).errors).toBeUndefined();
  });

  it('refuses a wrong current password and a short new one with BAD_USER_INPUT naming the field', async () => {
    const session = await signedUp(url, 'wrongpw');
    const wrong = await change(session.accessToken, {
      currentPassword: `${session.password}!`,
      newPassword: `another long passphrase ${randomId()}`,
    });
    expect(wrong.data).toBeNull();
    expect(errorOf(wrong)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.currentPassword' });

    const short = await change(session.accessToken, {
      currentPassword: session.password,
      newPassword: 'p'.repeat(14),
    });
    expect(errorOf(short)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.newPassword' });
    // Nothing changed: the old password still signs in.
    expect((await login(url, session.user.username, session.password)).errors).toBeUndefined();
  });
});

describe('deleteAccount', () => {
  const remove = (accessToken: string, password: string) =>
    graphqlRequest(url, DELETE_ACCOUNT, { password }, bearer(accessToken)).then((r) => r.body);

  it('refuses a wrong password with BAD_USER_INPUT and deletes nothing', async () => {
    const session = await signedUp(url, 'keep');
    const body = await remove(session.accessToken, `${session.password}!`);
    expect(body.data).toBeNull();
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field: 'password' });
    expect((await me(session.accessToken)).data?.me?.id).toBe(session.user.id);
  });

  it('deletes the user and ends all their sessions', async () => {
    const session = await signedUp(url, 'leaving');
    const other = (await login(url, session.user.username, session.password)).data
      ?.login as AuthView;
    const witness = await signedUp(url, 'witness');

    expect(await remove(session.accessToken, session.password)).toEqual({
      data: { deleteAccount: true },
    });

    expect(codeOf(await login(url, session.user.username, session.password))).toBe(
      'UNAUTHENTICATED',
    );
    for (const tokens of [session, other]) {
      expect(codeOf(await me(tokens.accessToken))).toBe('UNAUTHENTICATED');
      expect(codeOf(await refresh(url, tokens.refreshToken))).toBe('UNAUTHENTICATED');
      await expectRevokedForAccessTokenLifetime(tokens.accessToken);
    }
    const lookup = await graphqlRequest<{ user: UserView | null }>(
      url,
      'query ($id: ID!) { user(id: $id) { id } }',
      { id: session.user.id },
      bearer(witness.accessToken),
    );
    expect(lookup.body.data).toEqual({ user: null });
    expect(codeOf(lookup.body)).toBe('NOT_FOUND');
  });

  it('is refused for the last admin, with CONFLICT', async () => {
    const admin = (await login(url, ADMIN.username, ADMIN.password)).data?.login as AuthView;
    const body = await remove(admin.accessToken, ADMIN.password);
    expect(errorOf(body)).toEqual({ code: 'CONFLICT' });
    expect((await me(admin.accessToken)).data?.me?.role).toBe('ADMIN');
  });
});

describe('the revocation store given to the service', () => {
  it('is used instead of Redis (the single-process dev stack shares one with the gateway)', async () => {
    const revocations = new InMemoryRevocationStore();
    const local = await startUsers(cleanup, {
      env: { REDIS_URL: process.env.REDIS_URL },
      revocations,
    });
    const session = await signedUp(local.service.url, 'shared');
    await graphqlRequest(local.service.url, LOGOUT, {}, bearer(session.accessToken));
    const identity = local.identityOf(session.accessToken);
    expect(await revocations.standing(identity)).toBe('revoked');
    expect(await store.standing(identity)).toBe('valid');
  });
});
