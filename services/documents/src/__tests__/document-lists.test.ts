/** documents(...) and User.documents: visibility, paging, filters; validation of the mutations. */
import { Cleanup, randomId } from '@psa/shared/testing';
import {
  DELETE,
  DOCUMENT_PAGE,
  errorOf,
  LIST,
  newProject,
  READ,
  SHARE,
  startDocuments,
  uniqueTitle,
  UNSHARE,
  UPDATE,
  USER_DOCUMENTS,
  type DocumentsHarness,
  type DocumentView,
  type PageView,
} from './documents-harness';

const cleanup = new Cleanup();
let harness: DocumentsHarness;

beforeAll(async () => {
  harness = await startDocuments(cleanup);
});

afterAll(() => cleanup.run());

const PROJECT_DOCUMENTS = `query ($representations: [_Any!]!, $first: Int) {
  _entities(representations: $representations) {
    ... on Project { id documents(first: $first) { ${DOCUMENT_PAGE} } } } }`;

type Page = PageView<{ id: string; title: string }>;

async function list(variables: Record<string, unknown>, headers: Record<string, string>) {
  return (await harness.ok<{ documents: Page }>(LIST, variables, headers)).documents;
}

describe('documents(first, after, filter)', () => {
  const ownerId = randomId();
  const readerId = randomId();
  const title = uniqueTitle('Paged');
  const projectId = randomId();
  let ids: string[] = [];

  beforeAll(async () => {
    await harness.setProjectAccess(newProject(randomId(), [ownerId], projectId));
    const owner = harness.auth('MEMBER', ownerId);
    ids = [];
    for (let i = 0; i < 5; i += 1) {
      const created = await harness.createDocument(
        { title: `${title} ${i}`, projectId: i % 2 === 0 ? projectId : null },
        owner,
      );
      ids.push(created.id);
    }
    await harness.share(ids[1] ?? '', readerId, owner);
    await harness.share(ids[4] ?? '', readerId, owner);
    // Someone else's document with the same title: not listed for the owner.
    await harness.createDocument({ title: `${title} other` }, harness.auth('MEMBER'));
  });

  it('pages what the owner may read without overlap, oldest first, with totalCount', async () => {
    const owner = harness.auth('MEMBER', ownerId);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page = await list({ first: 2, after, filter: { search: `"${title}"` } }, owner);
      expect(page.totalCount).toBe(5);
      expect(page.edges.length).toBeLessThanOrEqual(2);
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(ids);
  });

  it('lists for a user what is shared with them, for an admin everything', async () => {
    const shared = await list(
      { filter: { search: `"${title}"` } },
      harness.auth('CLIENT', readerId),
    );
    expect(shared.edges.map((edge) => edge.node.id)).toEqual([ids[1], ids[4]]);
    const all = await list({ filter: { search: `"${title}"` } }, harness.auth('ADMIN'));
    expect(all.totalCount).toBe(6);
    const none = await list({ filter: { search: `"${title}"` } }, harness.auth('MANAGER'));
    expect(none).toMatchObject({ totalCount: 0, edges: [] });
  });

  it('filters by project', async () => {
    const page = await list(
      { filter: { projectId, search: `"${title}"` } },
      harness.auth('MEMBER', ownerId),
    );
    expect(page.edges.map((edge) => edge.node.id)).toEqual([ids[0], ids[2], ids[4]]);
  });

  it('User.documents lists what a user owns or may read, limited to what the caller may read', async () => {
    const userDocuments = async (userId: string, headers: Record<string, string>) =>
      (
        await harness.ok<{ _entities: { id: string; documents: Page }[] }>(
          USER_DOCUMENTS,
          { representations: [{ __typename: 'User', id: userId }], first: 100 },
          headers,
        )
      )._entities[0]?.documents.edges.map((edge) => edge.node.id);
    expect(await userDocuments(readerId, harness.auth('CLIENT', readerId))).toEqual([
      ids[1],
      ids[4],
    ]);
    expect(await userDocuments(ownerId, harness.auth('ADMIN'))).toEqual(ids);
    // The reader sees of the owner's documents only those shared with them.
    expect(await userDocuments(ownerId, harness.auth('CLIENT', readerId))).toEqual([
      ids[1],
      ids[4],
    ]);
    expect(await userDocuments(ownerId, harness.auth('MEMBER'))).toEqual([]);
  });

  it('Project.documents lists the project documents the caller may read, recording VIEWs', async () => {
    const projectDocuments = async (headers: Record<string, string>) =>
      (
        await harness.ok<{ _entities: { id: string; documents: Page }[] }>(
          PROJECT_DOCUMENTS,
          { representations: [{ __typename: 'Project', id: projectId }], first: 100 },
          headers,
        )
      )._entities[0]?.documents;
    const forOwner = await projectDocuments(harness.auth('MEMBER', ownerId));
    expect(forOwner?.edges.map((edge) => edge.node.id)).toEqual([ids[0], ids[2], ids[4]]);
    expect(forOwner?.totalCount).toBe(3);
    const forReader = await projectDocuments(harness.auth('CLIENT', readerId));
    expect(forReader?.edges.map((edge) => edge.node.id)).toEqual([ids[4]]);
    expect((await projectDocuments(harness.auth('MANAGER')))?.edges).toEqual([]);
    const log = await harness.storedLog(ids[4] ?? '');
    expect(log.filter((entry) => entry.userId === readerId).map((e) => e.action)).toContain('VIEW');
  });

  it.each([
    ['first over 100', { first: 101 }, 'first'],
    ['a bad cursor', { after: 'bm90IGEgY3Vyc29y' }, 'after'],
    ['a malformed projectId', { filter: { projectId: 'p-1' } }, 'filter.projectId'],
    ['a search over 100 characters', { filter: { search: 'x'.repeat(101) } }, 'filter.search'],
  ])('refuses %s with BAD_USER_INPUT naming it', async (_case, variables, field) => {
    const body = await harness.gql(LIST, variables, harness.auth('ADMIN'));
    expect(body.data).toBeNull();
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it('accepts first: 100 and first: 0', async () => {
    const owner = harness.auth('MEMBER', ownerId);
    expect(
      (await list({ first: 100, filter: { search: `"${title}"` } }, owner)).edges,
    ).toHaveLength(5);
    const empty = await list({ first: 0, filter: { search: `"${title}"` } }, owner);
    expect(empty).toMatchObject({ edges: [], totalCount: 5 });
  });
});

describe('search', () => {
  it('ranks whole-word title matches by text score, with stemming, phrases and exclusions', async () => {
    const owner = harness.auth('MEMBER');
    const marker = randomId().slice(0, 8);
    const contract = await harness.createDocument({ title: `Contract ${marker}` }, owner);
    const twice = await harness.createDocument({ title: `${marker} contracts ${marker}` }, owner);
    const regex = await harness.createDocument({ title: `Q1 (v1.0)* [${marker}] Résumé` }, owner);
    const ids = async (search: string) =>
      (await list({ filter: { search } }, owner)).edges.map((edge) => edge.node.id);

    // More occurrences in a shorter title rank higher; equal scores in creation order.
    expect(await ids(marker.toUpperCase())).toEqual([twice.id, contract.id, regex.id]);
    // "contracts" and "Contract" are one English word; the start of a word is not a match.
    expect(await ids(`"${marker}" contracting`)).toEqual([twice.id, contract.id, regex.id]);
    expect(await ids(`contract -q1 "${marker}"`)).toEqual([twice.id, contract.id]);
    expect(await ids(`contr "${marker}"`)).toEqual([twice.id, contract.id, regex.id]);
    expect(await ids('resume')).toEqual([regex.id]);
    // Regular-expression characters separate words, never make a pattern: "v1" and "0" are words
    // only the third title holds.
    const pattern = `(V1.0)* [${marker.toUpperCase()}`;
    expect(await ids(pattern)).toEqual([regex.id, twice.id, contract.id]);
    expect(await ids('.*')).toEqual([]);
  });
});

describe('mutation validation', () => {
  let id: string;
  let owner: Record<string, string>;
  let before: DocumentView;

  beforeAll(async () => {
    owner = harness.auth('MEMBER');
    before = await harness.createDocument({ title: 'Validated' }, owner);
    id = before.id;
  });

  const unchanged = async () => {
    const read = await harness.ok<{ document: DocumentView }>(READ, { id }, owner);
    expect(read.document).toEqual(before);
  };

  it.each([
    ['an empty title', { title: '  ' }, 'input.title'],
    ['a null title', { title: null }, 'input.title'],
    ['a title over 300 characters', { title: 'x'.repeat(301) }, 'input.title'],
    ['a fileUrl that is not a URL', { fileUrl: 'sow.pdf' }, 'input.fileUrl'],
    ['a javascript: URL', { fileUrl: 'javascript:alert(1)' }, 'input.fileUrl'],
    ['a null fileUrl', { fileUrl: null }, 'input.fileUrl'],
    [
      'an over-long fileUrl',
      { fileUrl: `https://x.example/${'a'.repeat(2_048)}` },
      'input.fileUrl',
    ],
    ['a malformed id', { id: 'doc-1' }, 'input.id'],
  ])('updateDocument refuses %s naming the field', async (_case, input, field) => {
    const body = await harness.gql(UPDATE, { input: { id, ...input } }, owner);
    expect(body.data).toBeNull();
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
    await unchanged();
  });

  it('updateDocument changes the given fields only, trimmed', async () => {
    const { id: otherId } = await harness.createDocument({ title: 'Before' }, owner);
    const { updateDocument } = await harness.ok<{ updateDocument: DocumentView }>(
      UPDATE,
      { input: { id: otherId, fileUrl: ' http://localhost/a.pdf ' } },
      owner,
    );
    expect(updateDocument).toMatchObject({ title: 'Before', fileUrl: 'http://localhost/a.pdf' });
  });

  it.each([
    [SHARE, { documentId: 'd-1', userId: randomId() }, 'input.documentId'],
    [SHARE, { documentId: randomId(), userId: 'u-1' }, 'input.userId'],
    [UNSHARE, { documentId: 'd-1', userId: randomId() }, 'input.documentId'],
    [UNSHARE, { documentId: randomId(), userId: 'u-1' }, 'input.userId'],
  ])(
    'share and unshare refuse malformed ids (%#) naming the field',
    async (query, input, field) => {
      const body = await harness.gql(query, { input }, owner);
      expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
    },
  );

  it('deleteDocument refuses a malformed id, and is NOT_FOUND for an unknown one', async () => {
    expect(errorOf(await harness.gql(DELETE, { id: 'x' }, owner))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'id',
    });
    expect(errorOf(await harness.gql(DELETE, { id: randomId() }, owner)).code).toBe('NOT_FOUND');
    await unchanged();
  });

  it('every mutation is UNAUTHENTICATED without a token', async () => {
    for (const [query, variables] of [
      [UPDATE, { input: { id, title: 'x' } }],
      [SHARE, { input: { documentId: id, userId: randomId() } }],
      [UNSHARE, { input: { documentId: id, userId: randomId() } }],
      [DELETE, { id }],
      [LIST, {}],
    ] as const) {
      const body = await harness.gql(query, variables, {});
      expect(errorOf(body).code).toBe('UNAUTHENTICATED');
    }
    await unchanged();
  });
});
