import { Cleanup, randomId } from '@psa/shared/testing';
import {
  errorOf,
  LIST,
  POST_UPDATE,
  PROJECT_PAGE,
  startProjects,
  STATUS_UPDATES,
  uniqueName,
  type PageView,
  type ProjectsHarness,
} from './projects-harness';

const cleanup = new Cleanup();
let harness: ProjectsHarness;

beforeAll(async () => {
  harness = await startProjects(cleanup);
});

afterAll(() => cleanup.run());

type Page = PageView<{ id: string; name: string }>;

async function list(
  headers: Record<string, string>,
  variables: Record<string, unknown> = {},
): Promise<Page> {
  const body = await harness.gql<{ projects: Page }>(LIST, variables, headers);
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data.projects;
}

/** Every page of a connection, `size` at a time, through `fetchPage`. */
async function allPages(
  size: number,
  fetchPage: (after: string | null) => Promise<PageView<{ id: string }>>,
): Promise<{ ids: string[]; pages: number; totalCounts: number[] }> {
  const ids: string[] = [];
  const totalCounts: number[] = [];
  let after: string | null = null;
  for (let pages = 1; ; pages += 1) {
    const page: PageView<{ id: string }> = await fetchPage(after);
    expect(page.edges.length).toBeLessThanOrEqual(size);
    ids.push(...page.edges.map((edge) => edge.node.id));
    totalCounts.push(page.totalCount);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
    if (!page.pageInfo.hasNextPage) return { ids, pages, totalCounts };
    after = page.pageInfo.endCursor;
  }
}

describe('projects(first, after)', () => {
  it('pages through what the caller may see in creation order, without overlap', async () => {
    const headers = harness.auth('MANAGER');
    const created: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      created.push((await harness.createProject({ name: `Paged ${i}` }, headers)).id);
    }
    const { ids, pages, totalCounts } = await allPages(2, async (after) =>
      list(headers, { first: 2, after }),
    );
    expect(ids).toEqual(created);
    expect(pages).toBe(3);
    expect(totalCounts).toEqual([5, 5, 5]);
  });

  it('neither skips nor repeats an item when projects are created between pages', async () => {
    const headers = harness.auth('MANAGER');
    const created: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      created.push((await harness.createProject({ name: `Growing ${i}` }, headers)).id);
    }
    const first = await list(headers, { first: 2 });
    created.push((await harness.createProject({ name: 'Growing late' }, headers)).id);
    const rest = await list(headers, { first: 10, after: first.pageInfo.endCursor });
    expect([...first.edges, ...rest.edges].map((edge) => edge.node.id)).toEqual(created);
    expect(rest.totalCount).toBe(4);
  });

  it('answers first: 0 with no edges but the count', async () => {
    const headers = harness.auth('MANAGER');
    await harness.createProject({ name: 'Counted' }, headers);
    const page = await list(headers, { first: 0 });
    expect(page).toMatchObject({ totalCount: 1, edges: [], pageInfo: { hasNextPage: false } });
  });

  it.each([
    ['first over 100', { first: 101 }, 'first'],
    ['a negative first', { first: -1 }, 'first'],
    ['a malformed cursor', { after: 'not-a-cursor' }, 'after'],
    [
      'a cursor of the wrong shape',
      { after: Buffer.from('{"a":1}').toString('base64url') },
      'after',
    ],
  ])('refuses %s with BAD_USER_INPUT naming it', async (_c, variables, field) => {
    const body = await harness.gql(LIST, variables, harness.auth('ADMIN'));
    expect(body.data).toBeNull();
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
  });
});

describe('projects(filter)', () => {
  it('filters by status and by manager, within what the caller may see', async () => {
    const tag = uniqueName('Filter');
    const [alice, bob] = [randomId(), randomId()];
    const asAlice = harness.auth('MANAGER', alice);
    const asBob = harness.auth('MANAGER', bob);
    await harness.createProject({ name: `${tag} a1`, status: 'ACTIVE' }, asAlice);
    await harness.createProject({ name: `${tag} a2` }, asAlice);
    const bobActive = await harness.createProject({ name: `${tag} b1`, status: 'ACTIVE' }, asBob);
    await harness.addMember(bobActive.id, alice, asBob);
    const admin = harness.auth('ADMIN');
    const names = async (headers: Record<string, string>, filter: Record<string, unknown>) =>
      (await list(headers, { filter: { search: tag, ...filter } })).edges.map((e) => e.node.name);

    expect(await names(admin, { status: 'ACTIVE' })).toEqual([`${tag} a1`, `${tag} b1`]);
    expect(await names(admin, { managerId: alice })).toEqual([`${tag} a1`, `${tag} a2`]);
    expect(await names(admin, { managerId: bob, status: 'PLANNED' })).toEqual([]);
    // Alice sees Bob's project as a member; Bob does not see Alice's at all.
    expect(await names(asAlice, { status: 'ACTIVE' })).toEqual([`${tag} a1`, `${tag} b1`]);
    expect(await names(asBob, { managerId: alice })).toEqual([]);
    expect(await names(asBob, {})).toEqual([`${tag} b1`]);
  });

  it('ranks whole-word matches by text score, a word in the name above one in the description', async () => {
    const tag = randomId().slice(0, 8);
    const headers = harness.auth('MANAGER');
    const kickoff = `${tag} Kickoff`;
    const website = 'Website';
    const plans = `Plans ${tag}`;
    await harness.createProject({ name: kickoff }, headers);
    await harness.createProject(
      { name: website, description: `Kickoff at the café, ${tag} planned` },
      headers,
    );
    await harness.createProject({ name: plans }, headers);
    const search = async (text: string) =>
      (await list(headers, { filter: { search: text } })).edges.map((e) => e.node.name);

    // In the name (weight 10) before in the description; equal scores in creation order.
    expect(await search(tag)).toEqual([kickoff, plans, website]);
    expect(await search(tag.toUpperCase())).toEqual([kickoff, plans, website]);
    // Any of the words; more of them in a field ranks higher.
    expect(await search(`kickoff ${tag}`)).toEqual([kickoff, plans, website]);
    // English stemming: "planning", "plans" and "planned" are one word.
    expect(await search('planning')).toEqual([plans, website]);
    // Diacritic-insensitive, phrases and exclusions as in MongoDB's $search.
    expect(await search('CAFE')).toEqual([website]);
    expect(await search('"kickoff at the café"')).toEqual([website]);
    expect(await search(`${tag} -kickoff`)).toEqual([plans]);
    // Whole words only: the start of a word is not a match.
    expect(await search('kick')).toEqual([]);
    // Regular-expression characters are word separators, never a pattern.
    expect(await search('.*')).toEqual([]);
    expect(await search(`^${tag}.*`)).toEqual([kickoff, plans, website]);
    expect((await list(headers, { filter: { search: tag } })).totalCount).toBe(3);
    // Blank is no filter.
    expect((await list(headers, { filter: { search: '   ' } })).totalCount).toBe(3);
  });

  it('pages a search by rank without overlap; a ranked cursor is only valid for a search', async () => {
    const tag = randomId().slice(0, 8);
    const headers = harness.auth('MANAGER');
    const names = [
      `${tag}`,
      `${tag} one`,
      `${tag} two words`,
      `${tag} ${tag}`,
      `Other ${tag} three four`,
      'Unrelated',
    ];
    for (const name of names) await harness.createProject({ name }, headers);
    const filter = { search: tag };
    const ranked = (await list(headers, { first: 100, filter })).edges.map((e) => e.node.id);
    expect(ranked).toHaveLength(5);
    const { ids, pages, totalCounts } = await allPages(2, async (after) =>
      list(headers, { first: 2, after, filter }),
    );
    expect(ids).toEqual(ranked);
    expect(pages).toBe(3);
    expect(totalCounts).toEqual([5, 5, 5]);

    const searched = await list(headers, { first: 1, filter });
    const plain = await list(headers, { first: 1 });
    for (const [after, variables] of [
      [searched.pageInfo.endCursor, {}],
      [plain.pageInfo.endCursor, { filter }],
    ] as const) {
      const body = await harness.gql(LIST, { first: 1, after, ...variables }, headers);
      expect(body.data).toBeNull();
      expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
    }
  });

  it.each([
    ['a malformed managerId', { managerId: 'nope' }, 'filter.managerId'],
    ['an operator as managerId', { managerId: '{"$ne":null}' }, 'filter.managerId'],
    ['a search over 100 characters', { search: 'x'.repeat(101) }, 'filter.search'],
  ])('refuses %s with BAD_USER_INPUT naming the field', async (_c, filter, field) => {
    const body = await harness.gql(LIST, { filter }, harness.auth('ADMIN'));
    expect(body.data).toBeNull();
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it('refuses an unknown status before the resolver runs', async () => {
    const body = await harness.gql(LIST, { filter: { status: 'DONE' } }, harness.auth('ADMIN'));
    expect(errorOf(body).code).toBe('BAD_USER_INPUT');
  });
});

describe('Project.statusUpdates', () => {
  type UpdatesPage = PageView<{ id: string; message: string }>;

  it('pages oldest first without overlap, with the right totalCount', async () => {
    const manager = harness.auth('MANAGER');
    const project = await harness.createProject({ name: 'Chatty' }, manager);
    const posted: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const body = await harness.gql<{ postStatusUpdate: { id: string } }>(
        POST_UPDATE,
        { input: { projectId: project.id, message: `Update ${i}` } },
        manager,
      );
      posted.push(body.data?.postStatusUpdate.id ?? '');
    }
    const member = randomId();
    await harness.addMember(project.id, member, manager);
    const { ids, pages, totalCounts } = await allPages(2, async (after) => {
      const body = await harness.gql<{ project: { statusUpdates: UpdatesPage } }>(
        STATUS_UPDATES,
        { id: project.id, first: 2, after },
        harness.auth('CLIENT', member),
      );
      if (!body.data) throw new Error(JSON.stringify(body.errors));
      return body.data.project.statusUpdates;
    });
    expect(ids).toEqual(posted);
    expect(pages).toBe(3);
    expect(totalCounts).toEqual([5, 5, 5]);
  });

  it.each([
    ['first over 100', { first: 101 }, 'first'],
    ['a malformed cursor', { after: '!!!' }, 'after'],
  ])('refuses %s with BAD_USER_INPUT naming it', async (_c, variables, field) => {
    const manager = harness.auth('MANAGER');
    const project = await harness.createProject({ name: 'Strict' }, manager);
    const body = await harness.gql(STATUS_UPDATES, { id: project.id, ...variables }, manager);
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
  });
});

describe('User.projects and User.managedProjects (through _entities)', () => {
  const USER_PROJECTS = `query ($r: [_Any!]!, $first: Int, $after: String) {
    _entities(representations: $r) { ... on User {
      id
      projects(first: $first, after: $after) { ${PROJECT_PAGE} }
      managedProjects(first: $first, after: $after) { ${PROJECT_PAGE} }
    } } }`;

  interface UserView {
    id: string;
    projects: Page;
    managedProjects: Page;
  }

  async function userProjects(
    userId: string,
    headers: Record<string, string>,
    variables: Record<string, unknown> = {},
  ): Promise<{ projects: string[]; managed: string[]; totals: [number, number] }> {
    const body = await harness.gql<{ _entities: UserView[] }>(
      USER_PROJECTS,
      { r: [{ __typename: 'User', id: userId }], ...variables },
      headers,
    );
    const user = body.data?._entities[0];
    if (!user) throw new Error(JSON.stringify(body.errors));
    expect(user.id).toBe(userId);
    return {
      projects: user.projects.edges.map((e) => e.node.name),
      managed: user.managedProjects.edges.map((e) => e.node.name),
      totals: [user.projects.totalCount, user.managedProjects.totalCount],
    };
  }

  it('lists the projects a user manages or belongs to, as far as the caller may see', async () => {
    const [user, colleague, other] = [randomId(), randomId(), randomId()];
    const asUser = harness.auth('MANAGER', user);
    const asOther = harness.auth('MANAGER', other);
    await harness.createProject({ name: 'Managed by user' }, asUser);
    const shared = await harness.createProject({ name: 'User is a member' }, asOther);
    await harness.addMember(shared.id, user, asOther);
    await harness.addMember(shared.id, colleague, asOther);
    await harness.createProject({ name: 'Not the user’s' }, asOther);

    const all = {
      projects: ['Managed by user', 'User is a member'],
      managed: ['Managed by user'],
      totals: [2, 1],
    };
    expect(await userProjects(user, asUser)).toEqual(all);
    expect(await userProjects(user, harness.auth('ADMIN'))).toEqual(all);
    // A colleague on the shared project sees only that one; the user's own project is hidden.
    expect(await userProjects(user, harness.auth('CLIENT', colleague))).toEqual({
      projects: ['User is a member'],
      managed: [],
      totals: [1, 0],
    });
    expect(await userProjects(user, harness.auth('MANAGER'))).toEqual({
      projects: [],
      managed: [],
      totals: [0, 0],
    });
  });

  it('pages, and refuses first over 100', async () => {
    const user = randomId();
    const asUser = harness.auth('MANAGER', user);
    for (const name of ['One', 'Two', 'Three']) await harness.createProject({ name }, asUser);
    expect(await userProjects(user, asUser, { first: 2 })).toEqual({
      projects: ['One', 'Two'],
      managed: ['One', 'Two'],
      totals: [3, 3],
    });
    const body = await harness.gql(
      USER_PROJECTS,
      { r: [{ __typename: 'User', id: user }], first: 101 },
      asUser,
    );
    expect(errorOf(body)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const body = await harness.gql(
      USER_PROJECTS,
      { r: [{ __typename: 'User', id: randomId() }] },
      {},
    );
    expect(errorOf(body).code).toBe('UNAUTHENTICATED');
  });
});
