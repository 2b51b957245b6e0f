import type { Role } from '@psa/shared';
import { bearer, randomId } from '@psa/shared/testing';
import { ADMIN, type Graph } from './graph';

/** A signed-up user with a fresh session. */
export interface Person {
  id: string;
  username: string;
  password: string;
  token: string;
  headers: Record<string, string>;
}

interface LoginData {
  login: { accessToken: string; user: { id: string } };
}

const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken user { id } } }';

/** Logs in through the gateway; throws with the errors when refused. */
export async function login(graph: Graph, username: string, password: string): Promise<Person> {
  const { body } = await graph.query<LoginData>(LOGIN, { input: { login: username, password } });
  const data = body.data?.login;
  if (!data) throw new Error(`login ${username}: ${JSON.stringify(body.errors)}`);
  return {
    id: data.user.id,
    username,
    password,
    token: data.accessToken,
    headers: bearer(data.accessToken),
  };
}

/** The seeded admin, signed in. */
export const loginAdmin = (graph: Graph): Promise<Person> =>
  login(graph, ADMIN.username, ADMIN.password);

/**
 * Signs up a user through the gateway, has `admin` give them `role` (sign-up gives MEMBER), and
 * logs them in again so their token carries it.
 */
export async function signUp(
  graph: Graph,
  admin: Person,
  role: Role,
  name = role.toLowerCase(),
): Promise<Person> {
  const username = `${name}-${randomId().slice(0, 8)}`;
  const password = `${username} password 1`;
  const { body } = await graph.query<{ signUp: { user: { id: string } } }>(
    'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } } }',
    { input: { username, email: `${username}@example.com`, password } },
  );
  const id = body.data?.signUp.user.id;
  if (!id) throw new Error(`signUp ${username}: ${JSON.stringify(body.errors)}`);
  if (role !== 'MEMBER') {
    const set = await graph.query(
      'mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) { id } }',
      { input: { userId: id, role } },
      admin.headers,
    );
    if (set.body.errors) throw new Error(`setUserRole: ${JSON.stringify(set.body.errors)}`);
  }
  return login(graph, username, password);
}

/** Runs an operation as `person` and returns its data, or throws with the errors. */
export async function ok<T = Record<string, unknown>>(
  graph: Graph,
  person: Person,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const { body } = await graph.query<T>(query, variables, person.headers);
  if (body.errors || !body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

export { eventually } from '@psa/shared/testing';
