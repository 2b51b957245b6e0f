/** The access log: what is recorded, by whom, in which order, and how it pages. */
import { Cleanup, randomId } from '@psa/shared/testing';
import mongoose from 'mongoose';
import {
  ACCESS_LOG,
  DELETE,
  errorOf,
  LIST,
  READ,
  SHARE,
  startDocuments,
  uniqueTitle,
  UNSHARE,
  UPDATE,
  USER_DOCUMENTS,
  type AccessLogView,
  type DocumentsHarness,
  type PageView,
} from './documents-harness';

const cleanup = new Cleanup();
let harness: DocumentsHarness;

beforeAll(async () => {
  harness = await startDocuments(cleanup);
});

afterAll(() => cleanup.run());

const actionsOf = (entries: { action: string; userId: string }[]) =>
  entries.map(({ action, userId }) => [action, userId]);

describe('recording', () => {
  it('records VIEW, UPDATE, SHARE and DELETE with the acting user, in order; DELETE survives', async () => {
    const ownerId = randomId();
    const readerId = randomId();
    const adminId = randomId();
    const owner = harness.auth('MEMBER', ownerId);
    const reader = harness.auth('CLIENT', readerId);
    const admin = harness.auth('ADMIN', adminId);
    const { id } = await harness.createDocument({ title: uniqueTitle('Log') }, owner);
    await harness.ok(READ, { id }, owner);
    await harness.ok(UPDATE, { input: { id, title: 'Log v2' } }, owner);
    await harness.ok(SHARE, { input: { documentId: id, userId: readerId } }, owner);
    await harness.ok(READ, { id }, reader);
    await harness.ok(UNSHARE, { input: { documentId: id, userId: readerId } }, admin);
    const { document } = await harness.ok<{
      document: { accessLog: PageView<AccessLogView> };
    }>(ACCESS_LOG, { id, first: 100 }, owner);
    // Reading the log reads the document: that VIEW comes first.
    expect(
      document.accessLog.edges.map(({ node }) => [node.action, node.user.id, node.document.id]),
    ).toEqual([
      ['VIEW', ownerId, id],
      ['UPDATE', ownerId, id],
      ['SHARE', ownerId, id],
      ['VIEW', readerId, id],
      ['SHARE', adminId, id],
      ['VIEW', ownerId, id],
    ]);
    expect(document.accessLog.totalCount).toBe(6);
    const times = document.accessLog.edges.map(({ node }) => Date.parse(node.accessTime));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    await harness.ok(DELETE, { id }, owner);
    expect(actionsOf(await harness.storedLog(id)).at(-1)).toEqual(['DELETE', ownerId]);
    expect(await harness.storedLog(id)).toHaveLength(7);
  });

  it('records nothing for changes that change nothing', async () => {
    const ownerId = randomId();
    const owner = harness.auth('MEMBER', ownerId);
    const readerId = randomId();
    const { id } = await harness.createDocument({}, owner);
    await harness.ok(UPDATE, { input: { id } }, owner);
    await harness.ok(SHARE, { input: { documentId: id, userId: ownerId } }, owner);
    await harness.ok(UNSHARE, { input: { documentId: id, userId: readerId } }, owner);
    await harness.ok(SHARE, { input: { documentId: id, userId: readerId } }, owner);
    const again = await harness.ok<{ shareDocument: { sharedWith: { id: string }[] } }>(
      SHARE,
      { input: { documentId: id, userId: readerId } },
      owner,
    );
    expect(again.shareDocument.sharedWith).toEqual([{ id: readerId }]);
    expect(actionsOf(await harness.storedLog(id))).toEqual([['SHARE', ownerId]]);
  });

  it('records one VIEW per listed document, all in one insert, for documents and User.documents', async () => {
    const ownerId = randomId();
    const owner = harness.auth('MEMBER', ownerId);
    const title = uniqueTitle('Listed');
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await harness.createDocument({ title }, owner)).id);
    // The service runs in this process: count the inserts its models make.
    const inserts = jest.spyOn(mongoose.Model, 'insertMany');
    try {
      await harness.ok(LIST, { filter: { search: `"${title}"` } }, owner);
      expect(inserts).toHaveBeenCalledTimes(1);
      await harness.ok(
        USER_DOCUMENTS,
        { representations: [{ __typename: 'User', id: ownerId }] },
        owner,
      );
      expect(inserts).toHaveBeenCalledTimes(2);
    } finally {
      inserts.mockRestore();
    }
    for (const id of ids) {
      expect(actionsOf(await harness.storedLog(id))).toEqual([
        ['VIEW', ownerId],
        ['VIEW', ownerId],
      ]);
    }
  });

  it('records a VIEW for each document resolved through _entities', async () => {
    const ownerId = randomId();
    const owner = harness.auth('MEMBER', ownerId);
    const first = await harness.createDocument({}, owner);
    const second = await harness.createDocument({}, owner);
    await harness.ok(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Document { id } } }',
      {
        r: [first.id, second.id, first.id].map((id) => ({ __typename: 'Document', id })),
      },
      owner,
    );
    expect(actionsOf(await harness.storedLog(first.id))).toEqual([['VIEW', ownerId]]);
    expect(actionsOf(await harness.storedLog(second.id))).toEqual([['VIEW', ownerId]]);
  });

  it('records no VIEW for a document the caller may not read', async () => {
    const { id } = await harness.createDocument({}, harness.auth('MEMBER'));
    const body = await harness.gql(READ, { id }, harness.auth('MEMBER'));
    expect(errorOf(body).code).toBe('NOT_FOUND');
    expect(await harness.storedLog(id)).toEqual([]);
  });
});

describe('paging the access log', () => {
  let id: string;
  let owner: Record<string, string>;

  beforeAll(async () => {
    owner = harness.auth('MEMBER');
    ({ id } = await harness.createDocument({}, owner));
    for (let i = 0; i < 4; i += 1) {
      await harness.ok(UPDATE, { input: { id, title: `Version ${i}` } }, owner);
    }
  });

  it('pages without overlap, with the right totalCount', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const data: { document: { accessLog: PageView<AccessLogView> } } = await harness.ok(
        ACCESS_LOG,
        { id, first: 2, after },
        owner,
      );
      const page = data.document.accessLog;
      total = page.totalCount;
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    // Each page's read adds a VIEW after the ones already seen: the pages end with all of them.
    expect(seen.length).toBe(total);
  });

  it.each([
    ['first over 100', { first: 101 }, 'first'],
    ['a negative first', { first: -1 }, 'first'],
    ['a bad cursor', { after: 'not-a-cursor' }, 'after'],
  ])('refuses %s with BAD_USER_INPUT', async (_case, args, field) => {
    const body = await harness.gql(ACCESS_LOG, { id, ...args }, owner);
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
  });
});
