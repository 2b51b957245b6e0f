/**
 * Lists ordered by a name, through the gateway with the real subgraphs: projects by name, users by
 * username or display name, documents and a project's tasks by title. A to Z ignoring case (a
 * collation, `{locale: 'en', strength: 2}`), ties by id; cursor pages neither skip nor repeat;
 * each list is served by an index carrying the same collation, which is what lets MongoDB use it.
 */
import { MongoClient, ObjectId, type Document } from 'mongodb';
import { ADMIN, startGraph, type Graph } from './helpers/graph';
import { loginAdmin, ok, signUp, type Person } from './helpers/people';
import { CREATE_DOCUMENT, CREATE_PROJECT, CREATE_TASK } from './helpers/operations';

const NAME_COLLATION = { locale: 'en', strength: 2 };

interface Page {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: { id: string; name: string | null } }[];
}

const PAGE = 'totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } }';
const PROJECTS = `query ($first: Int, $after: String, $orderBy: ProjectOrder, $search: String) {
  list: projects(first: $first, after: $after, orderBy: $orderBy, filter: { search: $search }) {
    ${PAGE}
  }
}`;
const USERS = (field: 'username' | 'displayName') => `
  query ($first: Int, $after: String, $orderBy: UserOrder) {
    list: users(first: $first, after: $after, orderBy: $orderBy) {
      ${PAGE.replace('name }', `name: ${field} }`)}
    }
  }`;
const DOCUMENTS = `query ($first: Int, $after: String, $orderBy: DocumentOrder) {
  list: documents(first: $first, after: $after, orderBy: $orderBy) {
    ${PAGE.replace('name }', 'name: title }')}
  }
}`;
const TASKS = `query ($id: ID!, $first: Int, $after: String, $orderBy: TaskOrder, $status: TaskStatus) {
  project(id: $id) {
    list: tasks(first: $first, after: $after, orderBy: $orderBy, filter: { status: $status }) {
      ${PAGE.replace('name }', 'name: title }')}
    }
  }
}`;

let graph: Graph;
let mongo: MongoClient;
let admin: Person;
let manager: Person;

/** Every page of a list, `first` at a time: the names in order, after checking each page. */
async function allPages(
  person: Person,
  query: string,
  variables: Record<string, unknown>,
  first: number,
): Promise<{ names: (string | null)[]; ids: string[]; pages: number }> {
  const names: (string | null)[] = [];
  const ids: string[] = [];
  let after: string | null = null;
  let total: number | null = null;
  for (let pages = 1; pages <= 50; pages += 1) {
    const data: { list?: Page; project?: { list: Page } } = await ok(graph, person, query, {
      ...variables,
      first,
      after,
    });
    const page = data.list ?? data.project?.list;
    if (!page) throw new Error('no list in the answer');
    expect(page.edges.length).toBeLessThanOrEqual(first);
    total ??= page.totalCount;
    expect(page.totalCount).toBe(total);
    names.push(...page.edges.map((edge) => edge.node.name));
    ids.push(...page.edges.map((edge) => edge.node.id));
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
    if (!page.pageInfo.hasNextPage) {
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(ids.length);
      return { names, ids, pages };
    }
    after = page.pageInfo.endCursor;
  }
  throw new Error('more than 50 pages');
}

/** The winning plan's stages from the top, as the database explains `find` for the first page. */
async function planStages(
  database: string,
  collection: string,
  filter: Document,
  sort: Document,
): Promise<Document[]> {
  const explained = await mongo
    .db(database)
    .collection(collection)
    .find(filter, { sort, collation: NAME_COLLATION, limit: 3 })
    .explain('queryPlanner');
  const stages: Document[] = [];
  for (let stage = explained.queryPlanner.winningPlan as Document | undefined; stage;) {
    stages.push(stage);
    stage = stage.inputStage as Document | undefined;
  }
  return stages;
}

const create = async (person: Person, mutation: string, input: Record<string, unknown>) =>
  Object.values(await ok<Record<string, { id: string }>>(graph, person, mutation, { input }))[0]
    ?.id as string;

beforeAll(async () => {
  graph = await startGraph();
  mongo = await MongoClient.connect(process.env.MONGO_URL as string);
  admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER', 'orderer');
  // Six services and two password hashes: well over 30 s on a loaded machine.
}, 120_000);

afterAll(async () => {
  await mongo?.close();
  await graph?.stop();
});

describe('projects(orderBy: NAME)', () => {
  // Created in this order, so of two names equal but for case the first made has the lower id.
  const names = ['gamma', 'Beta', 'alpha', 'Alpha', 'beta', 'Delta', 'épée', 'Echo'];
  const sorted = ['alpha', 'Alpha', 'Beta', 'beta', 'Delta', 'Echo', 'épée', 'gamma'];
  const ids = new Map<string, string>();

  beforeAll(async () => {
    for (const name of names) ids.set(name, await create(manager, CREATE_PROJECT, { name }));
  }, 60_000);

  it('lists A to Z ignoring case, in pages that neither skip nor repeat', async () => {
    const byName = await allPages(manager, PROJECTS, { orderBy: 'NAME' }, 3);
    expect(byName.names).toEqual(sorted);
    expect(byName.ids).toEqual(sorted.map((name) => ids.get(name)));
    expect(byName.pages).toBe(3);
    // The admin's list (every project, no visibility branches) pages alike, one at a time.
    expect((await allPages(admin, PROJECTS, { orderBy: 'NAME' }, 1)).names).toEqual(sorted);
    // The default order is still oldest first.
    expect((await allPages(manager, PROJECTS, {}, 5)).names).toEqual(names);
    expect((await allPages(manager, PROJECTS, { orderBy: 'CREATED_AT' }, 5)).names).toEqual(names);
  });

  it('a page after a cursor starts right behind it while projects are added', async () => {
    const first: { list: Page } = await ok(graph, manager, PROJECTS, { orderBy: 'NAME', first: 2 });
    expect(first.list.edges.map((edge) => edge.node.name)).toEqual(['alpha', 'Alpha']);
    // "ALPHA" sorts with the alphas (after them: its id is higher), "aardvark" before them all:
    // neither is behind the cursor, so the next page starts with "ALPHA".
    const added = [
      await create(manager, CREATE_PROJECT, { name: 'ALPHA' }),
      await create(manager, CREATE_PROJECT, { name: 'aardvark' }),
    ];
    const next: { list: Page } = await ok(graph, manager, PROJECTS, {
      orderBy: 'NAME',
      first: 2,
      after: first.list.pageInfo.endCursor,
    });
    expect(next.list.edges.map((edge) => edge.node.name)).toEqual(['ALPHA', 'Beta']);
    for (const id of added) {
      await ok(graph, manager, 'mutation ($id: ID!) { deleteProject(id: $id) }', { id });
    }
  });

  it('refuses a search with an order, and a cursor of another order, naming the argument', async () => {
    const both = await graph.query(PROJECTS, { orderBy: 'NAME', search: 'alpha' }, manager.headers);
    expect(both.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'orderBy',
    });
    const oldest: { list: Page } = await ok(graph, manager, PROJECTS, { first: 1 });
    const mixed = await graph.query(
      PROJECTS,
      { orderBy: 'NAME', after: oldest.list.pageInfo.endCursor },
      manager.headers,
    );
    expect(mixed.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'after',
    });
  });

  it('is served by the name index under the same collation', async () => {
    const indexes = await mongo.db(graph.databases.projects).collection('projects').indexes();
    expect(indexes.find((index) => index.name === 'name_1__id_1')).toMatchObject({
      key: { name: 1, _id: 1 },
      collation: NAME_COLLATION,
    });
    const stages = await planStages(graph.databases.projects, 'projects', {}, { name: 1, _id: 1 });
    expect(stages.map((stage) => stage.stage)).not.toContain('SORT');
    expect(stages.at(-1)).toMatchObject({ stage: 'IXSCAN', indexName: 'name_1__id_1' });
  });
});

describe('users(orderBy: USERNAME | DISPLAY_NAME)', () => {
  it('lists by display name A to Z ignoring case (none first), and by username', async () => {
    const people: { username: string; displayName: string | null }[] = [];
    for (const [username, displayName] of [
      ['zed', 'gamma'],
      ['bob', 'Beta'],
      ['amy', 'alpha'],
      ['cat', null],
    ] as const) {
      const signed = await signUp(graph, admin, 'MEMBER', username);
      people.push({ username: signed.username, displayName });
      if (displayName) {
        await ok(
          graph,
          signed,
          'mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }',
          { input: { displayName } },
        );
      }
    }
    const byDisplayName = await allPages(
      admin,
      USERS('displayName'),
      { orderBy: 'DISPLAY_NAME' },
      2,
    );
    // The orderer and cat have none: first, by id (creation order); the admin is "Administrator".
    expect(byDisplayName.names).toEqual([null, null, 'Administrator', 'alpha', 'Beta', 'gamma']);
    const byUsername = await allPages(admin, USERS('username'), { orderBy: 'USERNAME' }, 2);
    expect(byUsername.names).toEqual(
      [ADMIN.username, manager.username, ...people.map((person) => person.username)].sort(
        new Intl.Collator('en', { sensitivity: 'accent' }).compare,
      ),
    );
    const stages = await planStages(graph.databases.users, 'users', {}, { displayName: 1, _id: 1 });
    expect(stages.at(-1)).toMatchObject({ stage: 'IXSCAN', indexName: 'displayName_1__id_1' });
    // Four sign-ups and logins hash eight passwords (scrypt): about 20 s on a loaded machine.
  }, 90_000);
});

describe('documents(orderBy: TITLE) and Project.tasks(orderBy: TITLE)', () => {
  it('lists documents by title A to Z ignoring case, in pages', async () => {
    for (const title of ['gamma', 'Beta', 'alpha']) {
      await create(manager, CREATE_DOCUMENT, { title, fileUrl: 'https://files.example.com/a.pdf' });
    }
    const { names } = await allPages(manager, DOCUMENTS, { orderBy: 'TITLE' }, 1);
    expect(names).toEqual(['alpha', 'Beta', 'gamma']);
    const stages = await planStages(
      graph.databases.documents,
      'documents',
      {},
      { title: 1, _id: 1 },
    );
    expect(stages.at(-1)).toMatchObject({ stage: 'IXSCAN', indexName: 'title_1__id_1' });
  });

  it("lists a project's tasks by title A to Z ignoring case, also filtered, in pages", async () => {
    const projectId = await create(manager, CREATE_PROJECT, { name: 'Ordered tasks' });
    for (const title of ['gamma', 'Beta', 'alpha', 'ALPHA', 'delta']) {
      await create(manager, CREATE_TASK, { projectId, title });
    }
    const { names } = await allPages(manager, TASKS, { id: projectId, orderBy: 'TITLE' }, 2);
    expect(names).toEqual(['alpha', 'ALPHA', 'Beta', 'delta', 'gamma']);
    const todo = await allPages(
      manager,
      TASKS,
      { id: projectId, orderBy: 'TITLE', status: 'TODO' },
      2,
    );
    expect(todo.names).toEqual(['alpha', 'ALPHA', 'Beta', 'delta', 'gamma']);
    const stages = await planStages(
      graph.databases.tasks,
      'tasks',
      { projectId: new ObjectId(projectId) },
      { title: 1, _id: 1 },
    );
    expect(stages.at(-1)).toMatchObject({
      stage: 'IXSCAN',
      indexName: 'projectId_1_title_1__id_1',
    });
  });
});
