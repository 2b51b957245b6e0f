import { bearer } from '@psa/shared/testing';
import { ADMIN, startGraph, type Graph } from './helpers/graph';

type Caller = 'anonymous' | 'CLIENT' | 'MEMBER' | 'MANAGER' | 'ADMIN';
const CALLERS: Caller[] = ['anonymous', 'CLIENT', 'MEMBER', 'MANAGER', 'ADMIN'];

/**
 * Every users operation, as each kind of caller, through the gateway. An operation "passes" when
 * it is not refused for who the caller is (UNAUTHENTICATED/FORBIDDEN); the inputs are chosen so
 * that passing changes nothing lasting (wrong passwords, the caller's own id).
 */
interface Operation {
  name: string;
  query: string;
  variables: (self: { id: string }) => Record<string, unknown>;
  /** Who may use it: 'public', 'signed-in' or a minimum role. */
  access: 'public' | 'signed-in' | 'ADMIN';
  /** Runs with a session of its own (it ends the session it runs in). */
  ownSession?: boolean;
}

const OPERATIONS: Operation[] = [
  {
    name: 'signUp',
    access: 'public',
    query: 'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } } }',
    variables: () => ({ input: { username: 'x', email: 'bad', password: 'short' } }),
  },
  {
    name: 'login',
    access: 'public',
    query: 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }',
    variables: () => ({ input: { login: 'nobody-here', password: 'wrong password 123' } }),
  },
  {
    name: 'refreshSession',
    access: 'public',
    query: 'mutation ($token: String!) { refreshSession(refreshToken: $token) { accessToken } }',
    variables: () => ({ token: 'not-a-refresh-token' }),
  },
  { name: 'me', access: 'signed-in', query: '{ me { id } }', variables: () => ({}) },
  {
    name: 'user',
    access: 'signed-in',
    query: 'query ($id: ID!) { user(id: $id) { id } }',
    variables: (self) => ({ id: self.id }),
  },
  {
    name: 'users',
    access: 'signed-in',
    query: '{ users(first: 1) { totalCount } }',
    variables: () => ({}),
  },
  {
    name: 'updateProfile',
    access: 'signed-in',
    query: 'mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }',
    variables: () => ({ input: {} }),
  },
  {
    name: 'changePassword',
    access: 'signed-in',
    query: 'mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }',
    variables: () => ({
      input: { currentPassword: 'not the password 1', newPassword: 'a brand new password' },
    }),
  },
  {
    name: 'deleteAccount',
    access: 'signed-in',
    query: 'mutation ($password: String!) { deleteAccount(password: $password) }',
    variables: () => ({ password: 'not the password 1' }),
  },
  {
    name: 'setUserRole',
    access: 'ADMIN',
    query: 'mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) { id } }',
    variables: (self) => ({ input: { userId: self.id, role: 'CLIENT' } }),
  },
  {
    name: 'logoutAll',
    access: 'signed-in',
    query: 'mutation { logoutAll }',
    variables: () => ({}),
    ownSession: true,
  },
  {
    name: 'logout',
    access: 'signed-in',
    query: 'mutation { logout }',
    variables: () => ({}),
    ownSession: true,
  },
];

function expected(operation: Operation, caller: Caller): 'pass' | 'UNAUTHENTICATED' | 'FORBIDDEN' {
  if (operation.access === 'public') return 'pass';
  if (caller === 'anonymous') return 'UNAUTHENTICATED';
  if (operation.access === 'ADMIN' && caller !== 'ADMIN') return 'FORBIDDEN';
  return 'pass';
}

describe('users operations × callers, through the gateway', () => {
  let graph: Graph;
  const sessions = new Map<
    Caller,
    { token: string; id: string; password: string; username: string }
  >();
  const login = async (username: string, password: string) =>
    (
      await graph.query<{ login: { accessToken: string; user: { id: string } } }>(
        'mutation ($input: LoginInput!) { login(input: $input) { accessToken user { id } } }',
        { input: { login: username, password } },
      )
    ).body.data?.login;

  beforeAll(async () => {
    graph = await startGraph();
    const admin = await login(ADMIN.username, ADMIN.password);
    for (const role of ['CLIENT', 'MEMBER', 'MANAGER', 'ADMIN'] as const) {
      const username = `matrix-${role.toLowerCase()}`;
      const password = `${username} password 1`;
      const signUp = await graph.query<{ signUp: { user: { id: string } } }>(
        'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } } }',
        { input: { username, email: `${username}@example.com`, password } },
      );
      const id = signUp.body.data?.signUp.user.id ?? '';
      if (role !== 'MEMBER') {
        await graph.query(
          'mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) { id } }',
          { input: { userId: id, role } },
          bearer(admin?.accessToken ?? ''),
        );
      }
      const token = (await login(username, password))?.accessToken ?? '';
      sessions.set(role, { token, id, username, password });
    }
  });

  afterAll(async () => {
    await graph?.stop();
  });

  it.each(CALLERS)('as %s', async (caller) => {
    const session = sessions.get(caller);
    const outcomes: Record<string, string> = {};
    const wanted: Record<string, string> = {};
    for (const operation of OPERATIONS) {
      let token = session?.token;
      if (session && operation.ownSession)
        token = (await login(session.username, session.password))?.accessToken;
      const { body } = await graph.query(
        operation.query,
        operation.variables(session ?? { id: '000000000000000000000000' }),
        token ? bearer(token) : {},
      );
      // Refused for who the caller is: before execution (no path), or FORBIDDEN by a resolver.
      // Other errors (a wrong password, an unknown refresh token) come from running the operation.
      const error = body.errors?.[0];
      const code = error?.extensions?.code;
      const refused = (code === 'UNAUTHENTICATED' && !error?.path) || code === 'FORBIDDEN';
      outcomes[operation.name] = refused ? String(code) : 'pass';
      wanted[operation.name] = expected(operation, caller);
    }
    expect(outcomes).toEqual(wanted);
  });
});
