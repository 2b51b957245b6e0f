/**
 * Who may list and read users (`users`, `user`), through the gateway with the five subgraphs:
 * the firm's people (ADMIN, MANAGER, MEMBER) see everyone, a CLIENT only the people who share a
 * project with them; emails only for oneself and admins. A CLIENT learns of membership changes
 * from the projects service's events, so those checks wait for them.
 */
import { randomId } from '@psa/shared/testing';
import { startGraph, type Graph } from './helpers/graph';
import { eventually, loginAdmin, ok, signUp, type Person } from './helpers/people';
import { ADD_MEMBER, CREATE_PROJECT, REMOVE_MEMBER } from './helpers/operations';

interface Listed {
  id: string;
  username: string;
  email: string | null;
  role: string;
}

const USERS = `query ($search: String, $first: Int, $after: String) {
  users(first: $first, after: $after, filter: { search: $search }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id username email role } }
  }
}`;
const USER = 'query ($id: ID!) { user(id: $id) { id username email role } }';

let graph: Graph;
// Every username of this file starts with it, so a search finds this file's people only.
const run = `d${randomId().slice(0, 6)}`;
let admin: Person;
let manager: Person;
let member: Person;
let client: Person;
/** On another project (with `otherClient`), sharing none with `client`. */
let otherManager: Person;
let outsider: Person;
let otherClient: Person;
let projectId: string;

async function usersAs(person: Person, search: string | null = run): Promise<Listed[]> {
  const { users } = await ok<{ users: { totalCount: number; edges: { node: Listed }[] } }>(
    graph,
    person,
    USERS,
    { search, first: 100 },
  );
  expect(users.totalCount).toBe(users.edges.length);
  return users.edges.map((edge) => edge.node);
}

const namesOf = (list: Listed[]) => list.map((user) => user.username).sort();
const names = (...people: Person[]) => people.map((person) => person.username).sort();

async function userAs(person: Person, id: string) {
  const { body } = await graph.query<{ user: Listed | null }>(USER, { id }, person.headers);
  return body;
}

async function project(owner: Person, members: Person[]): Promise<string> {
  const { createProject } = await ok<{ createProject: { id: string } }>(
    graph,
    owner,
    CREATE_PROJECT,
    { input: { name: `Directory ${run}` } },
  );
  for (const person of members) {
    await ok(graph, owner, ADD_MEMBER, {
      input: { projectId: createProject.id, userId: person.id },
    });
  }
  return createProject.id;
}

beforeAll(async () => {
  graph = await startGraph();
  admin = await loginAdmin(graph);
  [manager, member, client, otherManager, outsider, otherClient] = await Promise.all([
    signUp(graph, admin, 'MANAGER', `${run}-mgr`),
    signUp(graph, admin, 'MEMBER', `${run}-mem`),
    signUp(graph, admin, 'CLIENT', `${run}-cli`),
    signUp(graph, admin, 'MANAGER', `${run}-mgr2`),
    signUp(graph, admin, 'MEMBER', `${run}-out`),
    signUp(graph, admin, 'CLIENT', `${run}-cli2`),
  ]);
  projectId = await project(manager, [member, client]);
  await project(otherManager, [outsider, otherClient]);
  // The users service hears of both projects' members through events.
  await eventually(async () => namesOf(await usersAs(client)).length === 3);
  await eventually(async () => namesOf(await usersAs(otherClient)).length === 3);
});

afterAll(async () => {
  await graph?.stop();
});

describe('the firm’s people list and search everyone', () => {
  const everyone = () => names(manager, member, client, otherManager, outsider, otherClient);

  it.each(['ADMIN', 'MANAGER', 'MEMBER'] as const)('as %s', async (role) => {
    const caller = { ADMIN: admin, MANAGER: otherManager, MEMBER: outsider }[role];
    const listed = await usersAs(caller);
    expect(namesOf(listed)).toEqual(everyone());
    // Names and roles for all; emails only for oneself, or all of them for an admin.
    const byName = new Map(listed.map((user) => [user.username, user]));
    expect(byName.get(client.username)?.role).toBe('CLIENT');
    expect(byName.get(manager.username)?.role).toBe('MANAGER');
    for (const user of listed) {
      const own = user.id === caller.id;
      expect(user.email).toBe(role === 'ADMIN' || own ? `${user.username}@example.com` : null);
    }
    // A search narrows to the start of a username, whoever asks.
    expect(namesOf(await usersAs(caller, `${run}-cli`))).toEqual(names(client, otherClient));
    // user(id) of anyone, the people on other projects included.
    const read = await userAs(caller, client.id);
    expect(read.data?.user).toMatchObject({ id: client.id, username: client.username });
    expect(read.data?.user?.email).toBe(role === 'ADMIN' ? `${client.username}@example.com` : null);
  });
});

describe('a CLIENT sees only the people who share a project with them', () => {
  it('lists the project’s manager and members and themselves, and nobody else', async () => {
    const listed = await usersAs(client);
    expect(namesOf(listed)).toEqual(names(manager, member, client));
    // Without a search, still nobody else (not even the seeded admin).
    expect(namesOf(await usersAs(client, null))).toEqual(names(manager, member, client));
    for (const user of listed) {
      expect(user.email).toBe(user.id === client.id ? `${client.username}@example.com` : null);
    }
    expect(namesOf(await usersAs(otherClient))).toEqual(names(otherManager, outsider, otherClient));
  });

  it('pages through what it may see only', async () => {
    const first = await ok<{
      users: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string };
        edges: { node: Listed }[];
      };
    }>(graph, client, USERS, { search: null, first: 2 });
    expect(first.users.totalCount).toBe(3);
    expect(first.users.pageInfo.hasNextPage).toBe(true);
    const rest = await ok<{
      users: { edges: { node: Listed }[]; pageInfo: { hasNextPage: boolean } };
    }>(graph, client, USERS, { search: null, first: 2, after: first.users.pageInfo.endCursor });
    expect(rest.users.pageInfo.hasNextPage).toBe(false);
    expect(
      [...first.users.edges, ...rest.users.edges].map((edge) => edge.node.username).sort(),
    ).toEqual(names(manager, member, client));
  });

  it('reads them with user(id); anyone else is NOT_FOUND, like an id that does not exist', async () => {
    for (const person of [manager, member, client]) {
      expect((await userAs(client, person.id)).data?.user?.username).toBe(person.username);
    }
    for (const id of [outsider.id, otherManager.id, otherClient.id, admin.id, '0'.repeat(24)]) {
      const body = await userAs(client, id);
      expect(body.data?.user ?? null).toBeNull();
      expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    }
  });

  it('follows membership: removed, they no longer see the project’s people; added, they do', async () => {
    await ok(graph, manager, REMOVE_MEMBER, { input: { projectId, userId: client.id } });
    await eventually(async () => namesOf(await usersAs(client)).length === 1);
    expect(namesOf(await usersAs(client))).toEqual(names(client));
    expect((await userAs(client, manager.id)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    await ok(graph, manager, ADD_MEMBER, { input: { projectId, userId: client.id } });
    await eventually(async () => namesOf(await usersAs(client)).length === 3);
    expect(namesOf(await usersAs(client))).toEqual(names(manager, member, client));
  });

  it('loses sight of the people of a deleted project', async () => {
    const temporary = await project(otherManager, [client]);
    await eventually(async () => namesOf(await usersAs(client)).includes(otherManager.username));
    await ok(graph, otherManager, 'mutation ($id: ID!) { deleteProject(id: $id) }', {
      id: temporary,
    });
    await eventually(async () => !namesOf(await usersAs(client)).includes(otherManager.username));
    expect(namesOf(await usersAs(client))).toEqual(names(manager, member, client));
  });
});

describe('anonymous callers', () => {
  it('are UNAUTHENTICATED for users and user', async () => {
    for (const [query, variables] of [
      [USERS, { search: run }],
      [USER, { id: client.id }],
    ] as const) {
      const { body } = await graph.query(query, variables);
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});
