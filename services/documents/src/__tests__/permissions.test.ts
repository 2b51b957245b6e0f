/**
 * The "who may do what" rows about documents (ARCHITECTURE.md §2), every actor against every action
 * on a fresh project document, straight to the subgraph. Project membership comes from the
 * `project.access-changed` events the test publishes as the projects service would. Denied writes
 * change nothing.
 */
import type { Role } from '@psa/shared';
import { Cleanup, randomId, type GraphQLBody } from '@psa/shared/testing';
import {
  ACCESS_LOG,
  CREATE,
  DELETE,
  errorOf,
  LIST,
  newProject,
  READ,
  SHARE,
  startDocuments,
  uniqueTitle,
  UNSHARE,
  UPDATE,
  type AccessLogView,
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

type Actor =
  | 'ADMIN'
  | 'the owner'
  | 'a MEMBER it is shared with'
  | 'a CLIENT it is shared with'
  | 'the project manager'
  | 'a project member'
  | 'a CLIENT on the project'
  | 'an outsider MANAGER'
  | 'an outsider MEMBER'
  | 'an outsider CLIENT';

type Action =
  | 'read it'
  | 'list it'
  | 'update it'
  | 'share it'
  | 'unshare it'
  | 'delete it'
  | 'read its access log';

interface Fixture {
  documentId: string;
  title: string;
  users: Record<
    'owner' | 'memberReader' | 'clientReader' | 'manager' | 'member' | 'client',
    string
  >;
}

function headersOf(actor: Actor, { users }: Fixture): Record<string, string> {
  const table: Record<Actor, [Role, string]> = {
    ADMIN: ['ADMIN', randomId()],
    'the owner': ['MEMBER', users.owner],
    'a MEMBER it is shared with': ['MEMBER', users.memberReader],
    'a CLIENT it is shared with': ['CLIENT', users.clientReader],
    'the project manager': ['MANAGER', users.manager],
    'a project member': ['MEMBER', users.member],
    'a CLIENT on the project': ['CLIENT', users.client],
    'an outsider MANAGER': ['MANAGER', randomId()],
    'an outsider MEMBER': ['MEMBER', randomId()],
    'an outsider CLIENT': ['CLIENT', randomId()],
  };
  const [role, userId] = table[actor];
  return harness.auth(role, userId);
}

/** A document of a project (the owner is one of its members), shared with two outsiders. */
async function setUp(): Promise<Fixture> {
  const users = {
    owner: randomId(),
    memberReader: randomId(),
    clientReader: randomId(),
    manager: randomId(),
    member: randomId(),
    client: randomId(),
  };
  const project = newProject(users.manager, [users.owner, users.member, users.client]);
  await harness.setProjectAccess(project);
  const ownerHeaders = harness.auth('MEMBER', users.owner);
  const title = uniqueTitle('Contract');
  const created = await harness.createDocument(
    { title, projectId: project.projectId },
    ownerHeaders,
  );
  await harness.share(created.id, users.memberReader, ownerHeaders);
  await harness.share(created.id, users.clientReader, ownerHeaders);
  return { documentId: created.id, title, users };
}

/** What an admin sees of the document: its fields and every entry of its log but the VIEWs. */
async function snapshot(documentId: string): Promise<unknown> {
  const stored = await harness.storedLog(documentId);
  const document = await harness.gql<{ document: DocumentView | null }>(
    READ,
    { id: documentId },
    harness.auth('ADMIN'),
  );
  return {
    document: document.data?.document ?? null,
    log: stored.filter((entry) => entry.action !== 'VIEW'),
  };
}

type Outcome = 'allowed' | 'FORBIDDEN' | 'NOT_FOUND' | 'not listed';

/** Runs `action` as `headers`; whether it was allowed, and checks the effect when it was. */
async function attempt(action: Action, fixture: Fixture, headers: Record<string, string>) {
  const { documentId, title, users } = fixture;
  let body: GraphQLBody<Record<string, unknown>>;
  switch (action) {
    case 'read it':
      body = await harness.gql(READ, { id: documentId }, headers);
      break;
    case 'list it': {
      body = await harness.gql(LIST, { first: 100, filter: { search: `"${title}"` } }, headers);
      const page = body.data?.documents as PageView<{ id: string }> | undefined;
      if (page && page.edges.length === 0) return 'not listed' as const;
      if (page) expect(page.edges.map((e) => e.node.id)).toEqual([documentId]);
      break;
    }
    case 'update it':
      body = await harness.gql(UPDATE, { input: { id: documentId, title: 'Renamed' } }, headers);
      if (!body.errors) expect(body.data?.updateDocument).toMatchObject({ title: 'Renamed' });
      break;
    case 'share it': {
      const userId = randomId();
      body = await harness.gql(SHARE, { input: { documentId, userId } }, headers);
      if (!body.errors) {
        const shared = (body.data?.shareDocument as DocumentView).sharedWith;
        expect(shared).toContainEqual({ id: userId });
      }
      break;
    }
    case 'unshare it':
      body = await harness.gql(
        UNSHARE,
        { input: { documentId, userId: users.clientReader } },
        headers,
      );
      if (!body.errors) {
        const shared = (body.data?.unshareDocument as DocumentView).sharedWith;
        expect(shared).toEqual([{ id: users.memberReader }]);
      }
      break;
    case 'delete it':
      body = await harness.gql(DELETE, { id: documentId }, headers);
      if (!body.errors) {
        expect(body.data).toEqual({ deleteDocument: true });
        const after = await harness.gql(READ, { id: documentId }, harness.auth('ADMIN'));
        expect(errorOf(after).code).toBe('NOT_FOUND');
      }
      break;
    case 'read its access log': {
      body = await harness.gql(ACCESS_LOG, { id: documentId, first: 100 }, headers);
      const document = body.data?.document as
        { accessLog: PageView<AccessLogView> | null } | null | undefined;
      if (!body.errors) expect(document?.accessLog?.totalCount).toBeGreaterThan(0);
      break;
    }
  }
  if (!body.errors) return 'allowed' as const;
  return String(errorOf(body).code) as Outcome;
}

const ACTIONS: Action[] = [
  'read it',
  'list it',
  'update it',
  'share it',
  'unshare it',
  'delete it',
  'read its access log',
];

const EXPECTED: Record<Actor, Record<Action, Outcome>> = {
  ADMIN: Object.fromEntries(ACTIONS.map((a) => [a, 'allowed'])) as Record<Action, Outcome>,
  'the owner': Object.fromEntries(ACTIONS.map((a) => [a, 'allowed'])) as Record<Action, Outcome>,
  ...(Object.fromEntries(
    (
      [
        'a MEMBER it is shared with',
        'a CLIENT it is shared with',
        'the project manager',
        'a project member',
        'a CLIENT on the project',
      ] as const
    ).map((actor) => [
      actor,
      {
        'read it': 'allowed',
        'list it': 'allowed',
        'update it': 'FORBIDDEN',
        'share it': 'FORBIDDEN',
        'unshare it': 'FORBIDDEN',
        'delete it': 'FORBIDDEN',
        'read its access log': 'FORBIDDEN',
      },
    ]),
  ) as Record<
    | 'a MEMBER it is shared with'
    | 'a CLIENT it is shared with'
    | 'the project manager'
    | 'a project member'
    | 'a CLIENT on the project',
    Record<Action, Outcome>
  >),
  ...(Object.fromEntries(
    (['an outsider MANAGER', 'an outsider MEMBER', 'an outsider CLIENT'] as const).map((actor) => [
      actor,
      {
        'read it': 'NOT_FOUND',
        'list it': 'not listed',
        'update it': 'NOT_FOUND',
        'share it': 'NOT_FOUND',
        'unshare it': 'NOT_FOUND',
        'delete it': 'NOT_FOUND',
        'read its access log': 'NOT_FOUND',
      },
    ]),
  ) as Record<
    'an outsider MANAGER' | 'an outsider MEMBER' | 'an outsider CLIENT',
    Record<Action, Outcome>
  >),
};

const CASES = (Object.keys(EXPECTED) as Actor[]).flatMap((actor) =>
  ACTIONS.map((action) => [actor, action, EXPECTED[actor][action]] as const),
);

describe('who may do what with a document', () => {
  it.each(CASES)('%s: %s → %s', async (actor, action, expected) => {
    const fixture = await setUp();
    const before = await snapshot(fixture.documentId);
    const outcome = await attempt(action, fixture, headersOf(actor, fixture));
    expect(outcome).toBe(expected);
    if (outcome !== 'allowed') expect(await snapshot(fixture.documentId)).toEqual(before);
  });
});

describe('adding a document to a project', () => {
  const CREATE_CASES: [string, Role, 'manager' | 'member' | 'client' | 'outsider', string][] = [
    ['the project manager', 'MANAGER', 'manager', 'allowed'],
    ['a project member', 'MEMBER', 'member', 'allowed'],
    ['ADMIN', 'ADMIN', 'outsider', 'allowed'],
    ['a CLIENT on the project', 'CLIENT', 'client', 'FORBIDDEN'],
    ['an outsider MANAGER', 'MANAGER', 'outsider', 'NOT_FOUND'],
    ['an outsider CLIENT', 'CLIENT', 'outsider', 'NOT_FOUND'],
  ];

  it.each(CREATE_CASES)('%s → %s', async (_actor, role, who, expected) => {
    const users = { manager: randomId(), member: randomId(), client: randomId() };
    const project = newProject(users.manager, [users.member, users.client]);
    await harness.setProjectAccess(project);
    const userId = who === 'outsider' ? randomId() : users[who];
    const title = uniqueTitle('Added');
    const body = await harness.gql<{ createDocument: DocumentView }>(
      CREATE,
      {
        input: { title, fileUrl: 'https://files.example.com/a.pdf', projectId: project.projectId },
      },
      harness.auth(role, userId),
    );
    if (expected === 'allowed') {
      expect(body.errors).toBeUndefined();
      expect(body.data?.createDocument).toMatchObject({
        owner: { id: userId },
        project: { id: project.projectId },
      });
      return;
    }
    expect(errorOf(body).code).toBe(expected);
    const listed = await harness.ok<{ documents: PageView<{ id: string }> }>(
      LIST,
      { filter: { search: `"${title}"` } },
      harness.auth('ADMIN'),
    );
    expect(listed.documents.totalCount).toBe(0);
  });

  it('is NOT_FOUND for a project the service has not heard of, even for an admin', async () => {
    const body = await harness.gql(
      CREATE,
      {
        input: { title: 'SOW', fileUrl: 'https://files.example.com/a.pdf', projectId: randomId() },
      },
      harness.auth('ADMIN'),
    );
    expect(errorOf(body)).toMatchObject({ code: 'NOT_FOUND' });
    expect(body.errors?.[0]?.message).toBe('Project not found');
  });

  it('validates the input before looking at the project', async () => {
    const body = await harness.gql(
      CREATE,
      { input: { title: ' ', fileUrl: 'https://files.example.com/a.pdf', projectId: randomId() } },
      harness.auth('CLIENT'),
    );
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.title' });
  });
});
