import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  loadOrCreateDevSigningKey,
  projectAccessChanged,
  publicKeyPem,
  STREAMS,
  type EventBus,
  type SigningKey,
} from '@psa/shared';
import {
  bearer,
  Cleanup,
  graphqlRequest,
  randomId,
  startServiceUnderTest,
  type AuthHeaders,
  type GraphQLBody,
} from '@psa/shared/testing';
import {
  loadDocumentsConfig,
  startDocumentsService,
  type SubgraphService,
} from '../documents-service';

interface DocumentView {
  id: string;
  title: string;
  fileUrl: string;
  owner: { id: string };
  project: { id: string } | null;
  sharedWith: { id: string }[];
  createdAt: string;
  updatedAt: string;
}

const cleanup = new Cleanup();
let service: SubgraphService;
let signingKey: SigningKey;
// Unset until the first service made it: later ones reuse it.
let keysDir: string | undefined;
let auth: AuthHeaders;
let events: EventBus;

const errorOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions ?? {};

const DOCUMENT_FIELDS =
  'id title fileUrl owner { id } project { id } sharedWith { id } createdAt updatedAt';
const CREATE = `mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { ${DOCUMENT_FIELDS} } }`;
const READ = `query ($id: ID!) { document(id: $id) { ${DOCUMENT_FIELDS} } }`;

async function createDocument(
  input: Record<string, unknown>,
  headers: Record<string, string>,
  url = service.url,
): Promise<GraphQLBody<{ createDocument: DocumentView }>> {
  const { body } = await graphqlRequest<{ createDocument: DocumentView }>(
    url,
    CREATE,
    { input: { title: 'SOW', fileUrl: 'https://files.example.com/sow.pdf', ...input } },
    headers,
  );
  return body;
}

/** Starts a documents service on this file's keys (a fresh pair for the first); `env` overrides. */
const startDocuments = (env: NodeJS.ProcessEnv = {}) =>
  startServiceUnderTest({
    name: 'documents',
    load: loadDocumentsConfig,
    start: startDocumentsService,
    cleanup,
    env,
    keysDir,
  });

beforeAll(async () => {
  ({ service, signingKey, keysDir, auth, events } = await startDocuments());
});

afterAll(() => cleanup.run());

describe('configuration', () => {
  it('defaults to port 4004 and the psa_documents database', () => {
    expect(loadDocumentsConfig({})).toMatchObject({
      DOCUMENTS_PORT: 4004,
      DOCUMENTS_DB: 'psa_documents',
    });
  });

  it('requires the verification keys in production', () => {
    expect(() => loadDocumentsConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadDocumentsConfig({ NODE_ENV: 'production' })).toThrow(/JWT_PUBLIC_KEYS/);
  });

  it('requires a file signing secret of 32 characters or more in production', () => {
    expect(() => loadDocumentsConfig({ NODE_ENV: 'production' })).toThrow(
      /FILES_SIGNING_SECRET: required in production/,
    );
    expect(() => loadDocumentsConfig({ FILES_SIGNING_SECRET: 'short' })).toThrow(
      /FILES_SIGNING_SECRET: must be at least 32 characters/,
    );
  });
});

describe('createDocument', () => {
  it('creates a document owned by the caller and reads it back', async () => {
    const ownerId = randomId();
    const projectId = randomId();
    // Who may see the project, as the projects service announces it.
    const announced = await events.publish(STREAMS.projects, projectAccessChanged.type, {
      projectId,
      managerId: randomId(),
      memberIds: [ownerId],
      version: 1,
      deleted: false,
    });
    expect(await events.handledBy(announced, ['documents'], 5_000)).toBe(true);
    const headers = auth('MEMBER', ownerId);
    const created = await createDocument(
      { title: '  Statement of work ', fileUrl: ' https://files.example.com/sow.pdf ', projectId },
      headers,
    );
    expect(created.errors).toBeUndefined();
    const document = created.data?.createDocument;
    expect(document).toMatchObject({
      title: 'Statement of work',
      fileUrl: 'https://files.example.com/sow.pdf',
      owner: { id: ownerId },
      project: { id: projectId },
      sharedWith: [],
    });
    expect(document?.id).toMatch(/^[0-9a-f]{24}$/);
    expect(document?.updatedAt).toBe(document?.createdAt);

    const { body: read } = await graphqlRequest<{ document: DocumentView }>(
      service.url,
      READ,
      { id: document?.id },
      headers,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data?.document).toEqual(document);
  });

  it('leaves the project null when none is given', async () => {
    const created = await createDocument({}, auth('MEMBER'));
    expect(created.data?.createDocument.project).toBeNull();
  });

  it('accepts an http: URL outside production', async () => {
    const created = await createDocument(
      { fileUrl: 'http://localhost:8080/a.pdf' },
      auth('MEMBER'),
    );
    expect(created.errors).toBeUndefined();
    expect(created.data?.createDocument.fileUrl).toBe('http://localhost:8080/a.pdf');
  });

  it.each([
    ['an empty title', { title: '  ' }, 'input.title'],
    ['a title over 300 characters', { title: 'x'.repeat(301) }, 'input.title'],
    ['a fileUrl that is not a URL', { fileUrl: 'sow.pdf' }, 'input.fileUrl'],
    ['a file: URL', { fileUrl: 'file:///etc/passwd' }, 'input.fileUrl'],
    ['a javascript: URL', { fileUrl: 'javascript:alert(1)' }, 'input.fileUrl'],
    ['an ftp: URL', { fileUrl: 'ftp://files.example.com/sow.pdf' }, 'input.fileUrl'],
    [
      'an over-long fileUrl',
      { fileUrl: `https://x.example/${'a'.repeat(2_048)}` },
      'input.fileUrl',
    ],
    ['a malformed projectId', { projectId: 'project-1' }, 'input.projectId'],
  ])('refuses %s with BAD_USER_INPUT naming the field', async (_case, input, field) => {
    const response = await createDocument(input, auth('MEMBER'));
    expect(response.data).toBeNull();
    expect(errorOf(response)).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it('accepts a title of exactly 300 characters', async () => {
    const response = await createDocument({ title: 'é'.repeat(300) }, auth('MEMBER'));
    expect(response.errors).toBeUndefined();
  });

  it('is UNAUTHENTICATED without a token, with a foreign token and with garbage', async () => {
    const otherDir = mkdtempSync(path.join(tmpdir(), 'psa-documents-other-'));
    cleanup.add(() => rmSync(otherDir, { recursive: true, force: true }));
    const forged = auth('ADMIN', randomId(), loadOrCreateDevSigningKey(otherDir));
    for (const headers of [{}, forged, bearer('not.a.token')]) {
      const { body } = await graphqlRequest(
        service.url,
        CREATE,
        { input: { title: 'x', fileUrl: 'https://x.example' } },
        headers,
      );
      // Refused before execution: no data at all.
      expect(body.data).toBeUndefined();
      expect(errorOf(body).code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('in production', () => {
  let productionUrl: string;

  beforeAll(async () => {
    const { service: production } = await startDocuments({
      NODE_ENV: 'production',
      JWT_PUBLIC_KEYS: publicKeyPem(signingKey),
      FILES_SIGNING_SECRET: 'a production file signing secret, 32+ chars',
    });
    productionUrl = production.url;
  });

  it('refuses an http: fileUrl and accepts an https: one', async () => {
    const headers = auth('MEMBER');
    const http = await createDocument(
      { fileUrl: 'http://files.example.com/a.pdf' },
      headers,
      productionUrl,
    );
    expect(http.data).toBeNull();
    expect(http.errors?.[0]).toMatchObject({
      message: 'fileUrl must be an https: URL',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.fileUrl' },
    });
    const https = await createDocument(
      { fileUrl: 'https://files.example.com/a.pdf' },
      headers,
      productionUrl,
    );
    expect(https.errors).toBeUndefined();
  });
});

describe('document(id)', () => {
  const ownerId = randomId();
  let documentId: string;

  beforeAll(async () => {
    const created = await createDocument({ title: 'Private' }, auth('MEMBER', ownerId));
    documentId = created.data?.createDocument.id ?? '';
  });

  it('is readable by an admin', async () => {
    const { body } = await graphqlRequest<{ document: DocumentView }>(
      service.url,
      READ,
      { id: documentId },
      auth('ADMIN'),
    );
    expect(body.data?.document.owner.id).toBe(ownerId);
  });

  it('is NOT_FOUND for anyone else, whatever their role', async () => {
    for (const role of ['MANAGER', 'MEMBER', 'CLIENT'] as const) {
      const { body } = await graphqlRequest(service.url, READ, { id: documentId }, auth(role));
      expect(body.data).toEqual({ document: null });
      expect(body.errors?.[0]).toMatchObject({
        message: 'Document not found',
        extensions: { code: 'NOT_FOUND' },
      });
    }
  });

  it('is readable by a user it is shared with', async () => {
    const readerId = randomId();
    const { body: shared } = await graphqlRequest(
      service.url,
      'mutation ($input: ShareDocumentInput!) { shareDocument(input: $input) { id } }',
      { input: { documentId, userId: readerId } },
      auth('MEMBER', ownerId),
    );
    expect(shared.errors).toBeUndefined();
    const { body } = await graphqlRequest<{ document: DocumentView }>(
      service.url,
      READ,
      { id: documentId },
      auth('CLIENT', readerId),
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.document.sharedWith).toEqual([{ id: readerId }]);
  });

  it.each([
    ['an unknown id', randomId()],
    ['a malformed id', 'not-an-id'],
  ])('is NOT_FOUND for %s', async (_case, id) => {
    const { body } = await graphqlRequest(service.url, READ, { id }, auth('ADMIN'));
    expect(body.data).toEqual({ document: null });
    expect(errorOf(body).code).toBe('NOT_FOUND');
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const { body } = await graphqlRequest(service.url, READ, { id: documentId });
    expect(errorOf(body).code).toBe('UNAUTHENTICATED');
  });
});

describe('_entities (federation references)', () => {
  const ENTITIES = `query ($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Document { id title owner { id } } }
  }`;

  it('resolves Document references in one request, in order', async () => {
    const ownerId = randomId();
    const headers = auth('MEMBER', ownerId);
    const first = await createDocument({ title: 'First' }, headers);
    const second = await createDocument({ title: 'Second' }, headers);
    const ids = [second.data?.createDocument.id, first.data?.createDocument.id];
    const { body } = await graphqlRequest<{ _entities: unknown[] }>(
      service.url,
      ENTITIES,
      { representations: ids.map((id) => ({ __typename: 'Document', id })) },
      headers,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?._entities).toEqual([
      { id: ids[0], title: 'Second', owner: { id: ownerId } },
      { id: ids[1], title: 'First', owner: { id: ownerId } },
    ]);
  });

  it('does not reveal a document the caller may not read, nor one that does not exist', async () => {
    const created = await createDocument({ title: 'Hidden' }, auth('MEMBER'));
    for (const id of [created.data?.createDocument.id, randomId()]) {
      const { body } = await graphqlRequest<{ _entities: unknown[] }>(
        service.url,
        ENTITIES,
        { representations: [{ __typename: 'Document', id }] },
        auth('MANAGER'),
      );
      expect(body.data?._entities).toEqual([null]);
      expect(errorOf(body).code).toBe('NOT_FOUND');
    }
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const { body } = await graphqlRequest(service.url, ENTITIES, {
      representations: [{ __typename: 'Document', id: randomId() }],
    });
    expect(errorOf(body).code).toBe('UNAUTHENTICATED');
  });
});
