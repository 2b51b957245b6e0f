/**
 * The "who may do what" rows about projects and status updates (ARCHITECTURE.md §2), every actor
 * against every action on a fresh project, straight to the subgraph. Denied writes change nothing.
 */
import type { Role } from '@psa/shared';
import { Cleanup, randomId, type GraphQLBody } from '@psa/shared/testing';
import {
  ADD_MEMBER,
  DELETE,
  errorOf,
  LIST,
  POST_UPDATE,
  PROJECT_PAGE,
  READ,
  REMOVE_MEMBER,
  startProjects,
  uniqueName,
  UPDATE,
  type PageView,
  type ProjectsHarness,
} from './projects-harness';

const cleanup = new Cleanup();
let harness: ProjectsHarness;

beforeAll(async () => {
  harness = await startProjects(cleanup);
});

afterAll(() => cleanup.run());

type Actor =
  | 'ADMIN'
  | 'the manager'
  | 'a MEMBER member'
  | 'a CLIENT member'
  | 'a MANAGER member'
  | 'an outsider MEMBER'
  | 'an outsider MANAGER'
  | 'an outsider CLIENT';

type Action =
  | 'read the project and its status updates'
  | 'list it'
  | 'update it'
  | 'delete it'
  | 'add a member'
  | 'remove a member'
  | 'post a status update';

/** A fresh project with a member of each kind and one status update. */
interface Fixture {
  projectId: string;
  name: string;
  users: Record<'manager' | 'memberMember' | 'clientMember' | 'managerMember', string>;
}

/** Who each actor is on `fixture` (a token with that role and user id). */
function headersOf(actor: Actor, { users }: Fixture): Record<string, string> {
  const table: Record<Actor, [Role, string]> = {
    ADMIN: ['ADMIN', randomId()],
    'the manager': ['MANAGER', users.manager],
    'a MEMBER member': ['MEMBER', users.memberMember],
    'a CLIENT member': ['CLIENT', users.clientMember],
    'a MANAGER member': ['MANAGER', users.managerMember],
    'an outsider MEMBER': ['MEMBER', randomId()],
    'an outsider MANAGER': ['MANAGER', randomId()],
    'an outsider CLIENT': ['CLIENT', randomId()],
  };
  const [role, userId] = table[actor];
  return harness.auth(role, userId);
}

const SNAPSHOT = `query ($id: ID!) { project(id: $id) {
  name members { id } statusUpdates(first: 100) { totalCount } } }`;

async function setUp(): Promise<Fixture> {
  const users = {
    manager: randomId(),
    memberMember: randomId(),
    clientMember: randomId(),
    managerMember: randomId(),
  };
  const name = uniqueName('Permissions');
  const manager = harness.auth('MANAGER', users.manager);
  const project = await harness.createProject({ name }, manager);
  for (const id of [users.memberMember, users.clientMember, users.managerMember]) {
    await harness.addMember(project.id, id, manager);
  }
  const posted = await harness.gql(
    POST_UPDATE,
    { input: { projectId: project.id, message: 'Kick-off' } },
    manager,
  );
  expect(posted.errors).toBeUndefined();
  return { projectId: project.id, name, users };
}

/** Each action, done with `headers`; the response body. */
const ACTIONS: Record<
  Action,
  (fixture: Fixture, headers: Record<string, string>) => Promise<GraphQLBody<unknown>>
> = {
  'read the project and its status updates': ({ projectId }, headers) =>
    harness.gql(
      `query ($id: ID!) { project(id: $id) { id statusUpdates { totalCount edges { node { message } } } } }`,
      { id: projectId },
      headers,
    ),
  'list it': ({ name }, headers) => harness.gql(LIST, { filter: { search: `"${name}"` } }, headers),
  'update it': ({ projectId }, headers) =>
    harness.gql(UPDATE, { input: { id: projectId, name: 'Renamed' } }, headers),
  'delete it': ({ projectId }, headers) => harness.gql(DELETE, { id: projectId }, headers),
  'add a member': ({ projectId }, headers) =>
    harness.gql(ADD_MEMBER, { input: { projectId, userId: randomId() } }, headers),
  'remove a member': ({ projectId, users }, headers) =>
    harness.gql(REMOVE_MEMBER, { input: { projectId, userId: users.memberMember } }, headers),
  'post a status update': ({ projectId }, headers) =>
    harness.gql(POST_UPDATE, { input: { projectId, message: 'Progress' } }, headers),
};

type Outcome = 'yes' | 'FORBIDDEN' | 'NOT_FOUND';
const READERS: Outcome[] = ['yes', 'yes'];
const NO_WRITES: Outcome[] = ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'];
const HIDDEN: Outcome[] = Array<Outcome>(7).fill('NOT_FOUND');

// Columns in the order of ACTIONS. "list it" for a hidden project: it is simply not listed.
const TABLE: Record<Actor, Outcome[]> = {
  ADMIN: Array<Outcome>(7).fill('yes'),
  'the manager': Array<Outcome>(7).fill('yes'),
  'a MEMBER member': [...READERS, ...NO_WRITES],
  'a CLIENT member': [...READERS, ...NO_WRITES],
  'a MANAGER member': [...READERS, ...NO_WRITES],
  'an outsider MEMBER': HIDDEN,
  'an outsider MANAGER': HIDDEN,
  'an outsider CLIENT': HIDDEN,
};

const cases = (Object.keys(TABLE) as Actor[]).flatMap((actor) =>
  (Object.keys(ACTIONS) as Action[]).map((action, column) => {
    const outcome = TABLE[actor][column];
    if (!outcome) throw new Error(`no outcome for ${actor} / ${action}`);
    return [actor, action, outcome] as const;
  }),
);

describe('who may do what with a project', () => {
  it('covers every actor and action', () => {
    expect(cases).toHaveLength(8 * 7);
  });

  it.each(cases)('%s: %s → %s', async (actor, action, outcome) => {
    const fixture = await setUp();
    const admin = harness.auth('ADMIN');
    const before = await harness.gql(SNAPSHOT, { id: fixture.projectId }, admin);
    const body = await ACTIONS[action](fixture, headersOf(actor, fixture));

    if (action === 'list it') {
      expect(body.errors).toBeUndefined();
      const listed = (body.data as { projects: PageView<{ id: string }> }).projects;
      expect(listed.totalCount).toBe(outcome === 'yes' ? 1 : 0);
      expect(listed.edges.map((edge) => edge.node.id)).toEqual(
        outcome === 'yes' ? [fixture.projectId] : [],
      );
      return;
    }
    if (outcome === 'yes') {
      expect(body.errors).toBeUndefined();
      if (action === 'read the project and its status updates') {
        expect(body.data).toEqual({
          project: {
            id: fixture.projectId,
            statusUpdates: { totalCount: 1, edges: [{ node: { message: 'Kick-off' } }] },
          },
        });
      }
      if (action === 'delete it') {
        const gone = await harness.gql(READ, { id: fixture.projectId }, admin);
        expect(errorOf(gone).code).toBe('NOT_FOUND');
      }
      return;
    }
    expect(errorOf(body).code).toBe(outcome);
    // A nullable query answers null; a non-null mutation nulls the whole data.
    expect(body.data === null || (body.data as { project?: unknown }).project === null).toBe(true);
    expect(await harness.gql(SNAPSHOT, { id: fixture.projectId }, admin)).toEqual(before);
  });
});

describe('listing', () => {
  it('shows an admin every project and anyone else only their own', async () => {
    const fixture = await setUp();
    const search = { filter: { search: `"${fixture.name}"` } };
    const count = async (headers: Record<string, string>) =>
      (
        await harness.gql<{ projects: { totalCount: number } }>(
          `query ($filter: ProjectFilter) { projects(filter: $filter) { ${PROJECT_PAGE} } }`,
          search,
          headers,
        )
      ).data?.projects.totalCount;
    expect(await count(harness.auth('ADMIN'))).toBe(1);
    expect(await count(harness.auth('CLIENT', fixture.users.clientMember))).toBe(1);
    expect(await count(harness.auth('ADMIN', fixture.users.memberMember))).toBe(1);
    expect(await count(harness.auth('MANAGER'))).toBe(0);
  });
});

describe('projectReaders (for the gateway, straight to the subgraph)', () => {
  const READERS_OF = 'query ($id: ID!) { projectReaders(projectId: $id) { roles userIds } }';

  it('answers who may read the project to someone who may, NOT_FOUND to anyone else', async () => {
    const fixture = await setUp();
    const expected = {
      roles: ['ADMIN'],
      userIds: expect.arrayContaining(Object.values(fixture.users)) as unknown,
    };
    for (const actor of ['ADMIN', 'the manager', 'a CLIENT member'] as const) {
      const body = await harness.gql<{ projectReaders: { userIds: string[] } }>(
        READERS_OF,
        { id: fixture.projectId },
        headersOf(actor, fixture),
      );
      expect(body.errors).toBeUndefined();
      expect(body.data?.projectReaders).toEqual(expected);
      expect(body.data?.projectReaders.userIds).toHaveLength(4);
    }
    for (const actor of ['an outsider MANAGER', 'an outsider CLIENT'] as const) {
      const body = await harness.gql(
        READERS_OF,
        { id: fixture.projectId },
        headersOf(actor, fixture),
      );
      expect(errorOf(body).code).toBe('NOT_FOUND');
    }
    await harness.gql(DELETE, { id: fixture.projectId }, harness.auth('ADMIN'));
    const gone = await harness.gql(READERS_OF, { id: fixture.projectId }, harness.auth('ADMIN'));
    expect(errorOf(gone).code).toBe('NOT_FOUND');
  });
});
