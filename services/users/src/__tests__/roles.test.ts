import type { Role } from '@psa/shared';
import { bearer, Cleanup, graphqlRequest, randomId, type GraphQLBody } from '@psa/shared/testing';
import {
  ADMIN,
  AUTH_FIELDS,
  codeOf,
  connectTestRedis,
  errorOf,
  login,
  ME,
  newUser,
  refresh,
  signedUp,
  startUsers,
  roleKey,
  type AuthView,
  type UserView,
  type UsersUnderTest,
} from './users-harness';

const cleanup = new Cleanup();
let users: UsersUnderTest;
let url: string;
let admin: AuthView;

const SET_USER_ROLE = `mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) { id role email } }`;

const setRole = async (headers: Record<string, string>, userId: string, role: Role) =>
  (
    await graphqlRequest<{ setUserRole: UserView }>(
      url,
      SET_USER_ROLE,
      { input: { userId, role } },
      headers,
    )
  ).body;

const signInAdmin = async () =>
  (await login(url, ADMIN.username, ADMIN.password)).data?.login as AuthView;

beforeAll(async () => {
  users = await startUsers(cleanup, { env: { REDIS_URL: process.env.REDIS_URL } });
  url = users.service.url;
  admin = await signInAdmin();
});

afterAll(() => cleanup.run());

describe('setUserRole', () => {
  it('lets an admin change a role; the user sees it in `me` and the answer shows the email', async () => {
    const member = await signedUp(url, 'member');
    const body = await setRole(bearer(admin.accessToken), member.user.id, 'MANAGER');
    expect(body.errors).toBeUndefined();
    expect(body.data?.setUserRole).toEqual({
      id: member.user.id,
      role: 'MANAGER',
      email: expect.stringMatching(/^member\./),
    });
  });

  it("stops the user's current access tokens; their next refresh carries the new role", async () => {
    const { redis, store } = await connectTestRedis(cleanup);
    const member = await signedUp(url, 'stale');
    expect((await setRole(bearer(admin.accessToken), member.user.id, 'CLIENT')).errors).toBe(
      undefined,
    );

    const old = users.identityOf(member.accessToken);
    expect(await store.standing(old)).toBe('stale');
    expect(await redis.get(roleKey(member.user.id))).toBe('CLIENT');
    const ttl = await redis.ttl(roleKey(member.user.id));
    expect(ttl).toBeGreaterThan(890);
    expect(ttl).toBeLessThanOrEqual(900);
    const refused = await graphqlRequest(url, ME, {}, bearer(member.accessToken));
    expect(codeOf(refused.body)).toBe('UNAUTHENTICATED');

    const refreshed = (await refresh(url, member.refreshToken)).data?.refreshSession as AuthView;
    expect(users.identityOf(refreshed.accessToken).role).toBe('CLIENT');
    const me = await graphqlRequest<{ me: UserView }>(url, ME, {}, bearer(refreshed.accessToken));
    expect(me.body.data?.me).toMatchObject({ id: member.user.id, role: 'CLIENT' });
  });

  it.each(['CLIENT', 'MEMBER', 'MANAGER'] as const)('is FORBIDDEN for a %s', async (role) => {
    const target = await signedUp(url, 'target');
    const body = await setRole(users.auth(role), target.user.id, 'ADMIN');
    expect(body.data).toBeNull();
    expect(errorOf(body)).toEqual({ code: 'FORBIDDEN' });
  });

  it('answers NOT_FOUND for an unknown user and BAD_USER_INPUT for a malformed id', async () => {
    const unknown = await setRole(bearer(admin.accessToken), randomId(), 'MEMBER');
    expect(errorOf(unknown)).toEqual({ code: 'NOT_FOUND' });
    const malformed = await setRole(bearer(admin.accessToken), 'nope', 'MEMBER');
    expect(errorOf(malformed)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.userId' });
  });

  it('keeps an admin: the last one cannot demote themself (CONFLICT); with two, one can', async () => {
    const alone = await setRole(bearer(admin.accessToken), admin.user.id, 'MANAGER');
    expect(alone.data).toBeNull();
    expect(errorOf(alone)).toEqual({ code: 'CONFLICT', field: 'input.role' });
    const me = await graphqlRequest<{ me: UserView }>(url, ME, {}, bearer(admin.accessToken));
    expect(me.body.data?.me.role).toBe('ADMIN');

    const deputy = await signedUp(url, 'deputy');
    expect((await setRole(bearer(admin.accessToken), deputy.user.id, 'ADMIN')).errors).toBe(
      undefined,
    );
    const deputyAdmin = (await refresh(url, deputy.refreshToken)).data?.refreshSession as AuthView;
    const stepDown = await setRole(bearer(deputyAdmin.accessToken), deputy.user.id, 'MEMBER');
    expect(stepDown.errors).toBeUndefined();
    expect(stepDown.data?.setUserRole.role).toBe('MEMBER');
    // Back to one admin: the guard holds again.
    const again = await setRole(bearer(admin.accessToken), admin.user.id, 'MEMBER');
    expect(errorOf(again)).toEqual({ code: 'CONFLICT', field: 'input.role' });
  });
});

describe('forged identity headers', () => {
  it('are ignored: without a token a direct call is UNAUTHENTICATED', async () => {
    const forged = { 'x-user-id': admin.user.id, 'x-user-role': 'ADMIN', 'x-role': 'ADMIN' };
    const body = await setRole(forged, admin.user.id, 'ADMIN');
    expect(body.data).toBeUndefined();
    expect(codeOf(body)).toBe('UNAUTHENTICATED');
  });
});

/** An account the matrix acts as: a real user with the role, and its credentials. */
interface Account {
  id: string;
  username: string;
  password: string;
  refreshToken: string;
}

interface Operation {
  name: string;
  query: string;
  variables(account: Account, target: Account): Record<string, unknown>;
}

// Every users operation, in an order that keeps the account usable to the end (deleteAccount).
const OPERATIONS: Operation[] = [
  {
    name: 'signUp',
    query: `mutation ($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} } }`,
    variables: () => ({ input: newUser('matrix') }),
  },
  {
    name: 'login',
    query: `mutation ($input: LoginInput!) { login(input: $input) { accessToken } }`,
    variables: (account) => ({ input: { login: account.username, password: account.password } }),
  },
  {
    name: 'refreshSession',
    query: 'mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken } }',
    variables: (account) => ({ t: account.refreshToken }),
  },
  { name: 'me', query: '{ me { id } }', variables: () => ({}) },
  {
    name: 'user',
    query: 'query ($id: ID!) { user(id: $id) { id } }',
    variables: (_account, target) => ({ id: target.id }),
  },
  { name: 'users', query: '{ users(first: 1) { totalCount } }', variables: () => ({}) },
  {
    name: 'updateProfile',
    query: 'mutation { updateProfile(input: {displayName: "Matrix"}) { id } }',
    variables: () => ({}),
  },
  {
    name: 'changePassword',
    query: 'mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }',
    // The same password again: the account stays usable for the operations after this one.
    variables: (account) => ({
      input: { currentPassword: account.password, newPassword: account.password },
    }),
  },
  {
    name: 'setUserRole',
    query: 'mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) { id } }',
    variables: (_account, target) => ({ input: { userId: target.id, role: 'MEMBER' } }),
  },
  { name: 'logout', query: 'mutation { logout }', variables: () => ({}) },
  { name: 'logoutAll', query: 'mutation { logoutAll }', variables: () => ({}) },
  {
    name: 'deleteAccount',
    query: 'mutation ($p: String!) { deleteAccount(password: $p) }',
    variables: (account) => ({ p: account.password }),
  },
];

const outcome = (body: GraphQLBody<unknown>): string =>
  body.errors ? String(codeOf(body)) : body.data ? 'ok' : 'no data';

describe('role matrix (each users operation, called on the subgraph directly)', () => {
  let target: Account;

  /** A real user with `role`, made by the admin. */
  async function account(role: Role): Promise<Account> {
    const input = newUser(`as_${role.toLowerCase()}`);
    const created = await graphqlRequest<{ signUp: AuthView }>(
      url,
      `mutation ($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} } }`,
      { input },
    );
    const user = created.body.data?.signUp as AuthView;
    if (role !== 'MEMBER') await setRole(bearer(admin.accessToken), user.user.id, role);
    return {
      id: user.user.id,
      username: user.user.username,
      password: input.password as string,
      refreshToken: user.refreshToken,
    };
  }

  beforeAll(async () => {
    target = await account('MEMBER');
  });

  const PUBLIC = ['signUp', 'login', 'refreshSession'];
  const allowed = Object.fromEntries(OPERATIONS.map((op) => [op.name, 'ok']));
  const signInFirst = Object.fromEntries(
    OPERATIONS.map((op) => [op.name, PUBLIC.includes(op.name) ? 'ok' : 'UNAUTHENTICATED']),
  );

  it.each([
    ['anonymous', null, signInFirst],
    // A CLIENT sees only the people they share a project with: the target shares none.
    ['CLIENT', 'CLIENT', { ...allowed, user: 'NOT_FOUND', setUserRole: 'FORBIDDEN' }],
    ['MEMBER', 'MEMBER', { ...allowed, setUserRole: 'FORBIDDEN' }],
    ['MANAGER', 'MANAGER', { ...allowed, setUserRole: 'FORBIDDEN' }],
    ['ADMIN', 'ADMIN', allowed],
  ] as const)('%s', async (_name, role, expected) => {
    const acting = await account(role ?? 'MEMBER');
    const outcomes: Record<string, string> = {};
    for (const op of OPERATIONS) {
      // A fresh token of the acting user per operation (a session of its own: logout ends one).
      const headers = role ? users.auth(role, acting.id) : {};
      const { body } = await graphqlRequest(url, op.query, op.variables(acting, target), headers);
      outcomes[op.name] = outcome(body);
    }
    expect(outcomes).toEqual(expected);
  });
});
