/**
 * Files for documents through the gateway, over real HTTP: createDocumentUpload, the bytes PUT to
 * the signed upload URL (the local store, proxied under /files/), completeDocumentUpload with its
 * checks, versions, signed downloads (headers, ranges, the DOWNLOAD in the access log), the stable
 * fileUrl, who may do what, tampered and expired links, the purge of uploads never completed, and
 * deletes taking the files with them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, ObjectId } from 'mongodb';
import { UrlSigner, type FileClaims } from '@psa/documents-service';
import { CONSOLE_ORIGIN, startGraph, type Graph } from './helpers/graph';
import { eventually, loginAdmin, ok, signUp, type Person } from './helpers/people';

const SECRET = 'a signing secret for the files tests, 32+ chars';
const MAX_UPLOAD_BYTES = 64 * 1024;
const filesDir = mkdtempSync(path.join(os.tmpdir(), 'psa-files-flow-'));
const signer = new UrlSigner(Buffer.from(SECRET, 'utf8'));

let graph: Graph;
let mongo: MongoClient;
let admin: Person;
let manager: Person;
let member: Person;
let client: Person;
let outsider: Person;
let friend: Person;
let projectId: string;

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n');
const PDF_V2 = Buffer.from('%PDF-1.7\n% the second version\n%%EOF\n');
// A PNG signature and its IHDR chunk (1x1, 8-bit RGBA).
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a1d00000000049454e44ae426082',
  'hex',
);

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

const CREATE_UPLOAD = `mutation ($input: CreateDocumentUploadInput!) { createDocumentUpload(input: $input) {
  document { id title file { version } } uploadUrl uploadMethod uploadHeaders { name value } expiresAt } }`;
const COMPLETE = `mutation ($id: ID!) { completeDocumentUpload(input: { documentId: $id }) {
  id title fileUrl downloadUrl
  file { version name contentType size sha256 uploadedBy { id } uploadedAt }
  versions { version sha256 } } }`;
const READ = `query ($id: ID!) { document(id: $id) { id title fileUrl downloadUrl
  file { version name size sha256 } versions { version } } }`;
const ACCESS_LOG = `query ($id: ID!) { document(id: $id) { accessLog(first: 100) {
  edges { node { action user { id } } } } } }`;
const LIST = 'query { documents(first: 100) { edges { node { id } } } }';

interface Upload {
  document: { id: string; title: string; file: { version: number } | null };
  uploadUrl: string;
  uploadMethod: string;
  uploadHeaders: { name: string; value: string }[];
  expiresAt: string;
}

interface ReadDocument {
  id: string;
  title: string;
  fileUrl: string;
  downloadUrl: string | null;
  file: { version: number; name: string; size: number; sha256: string } | null;
  versions: { version: number }[];
}

type ErrorBody = { errors?: { message: string; extensions?: Record<string, unknown> }[] };
const firstError = (body: ErrorBody) => body.errors?.[0];

async function startUpload(person: Person, input: Record<string, unknown>): Promise<Upload> {
  const data = await ok<{ createDocumentUpload: Upload }>(graph, person, CREATE_UPLOAD, {
    input: {
      title: 'Statement of work',
      fileName: 'sow.pdf',
      contentType: 'application/pdf',
      ...input,
    },
  });
  return data.createDocumentUpload;
}

function put(upload: Upload, body: Buffer | ReadableStream<Uint8Array>, headers = {}) {
  return fetch(upload.uploadUrl, {
    method: upload.uploadMethod,
    headers: {
      ...Object.fromEntries(upload.uploadHeaders.map((header) => [header.name, header.value])),
      ...headers,
    },
    body,
    ...(body instanceof Buffer ? {} : { duplex: 'half' }),
  } as RequestInit);
}

/** Creates, sends and completes an upload of `bytes`; resolves to the completed document. */
async function uploaded(
  person: Person,
  bytes: Buffer,
  input: Record<string, unknown> = {},
): Promise<ReadDocument & { id: string }> {
  const upload = await startUpload(person, { projectId, size: bytes.length, ...input });
  expect((await put(upload, bytes)).status).toBe(204);
  const data = await ok<{ completeDocumentUpload: ReadDocument }>(graph, person, COMPLETE, {
    id: upload.document.id,
  });
  return data.completeDocumentUpload;
}

async function read(person: Person, id: string) {
  const { body } = await graph.query<{ document: ReadDocument | null }>(
    READ,
    { id },
    person.headers,
  );
  return body;
}

async function actions(id: string): Promise<string[]> {
  const data = await ok<{
    document: { accessLog: { edges: { node: { action: string; user: { id: string } } }[] } };
  }>(graph, admin, ACCESS_LOG, { id });
  return data.document.accessLog.edges.map((edge) => `${edge.node.action} ${edge.node.user.id}`);
}

const tokenOf = (url: string): string => url.slice(url.lastIndexOf('/') + 1);
const claimsOf = (url: string) =>
  JSON.parse(Buffer.from(tokenOf(url).split('.')[0] ?? '', 'base64url').toString()) as FileClaims;
/** The same link with `claims` changed and signed with the real key (expired, another file). */
const resigned = (url: string, changes: Partial<FileClaims>): string =>
  url.replace(tokenOf(url), signer.sign({ ...claimsOf(url), ...changes } as FileClaims));
const keyFilesOf = (documentId: string): string[] => {
  const dir = path.join(filesDir, 'documents', documentId);
  return existsSync(dir) ? readdirSync(dir) : [];
};

beforeAll(async () => {
  graph = await startGraph({
    env: {
      FILES_DIR: filesDir,
      FILES_SIGNING_SECRET: SECRET,
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      UPLOAD_PURGE_INTERVAL_MS: '200',
    },
  });
  mongo = await MongoClient.connect(process.env.MONGO_URL as string);
  admin = await loginAdmin(graph);
  // One at a time: sign-ups hash passwords, and the machine is shared.
  manager = await signUp(graph, admin, 'MANAGER');
  member = await signUp(graph, admin, 'MEMBER');
  client = await signUp(graph, admin, 'CLIENT');
  outsider = await signUp(graph, admin, 'MEMBER', 'outsider');
  friend = await signUp(graph, admin, 'MEMBER', 'friend');
  const created = await ok<{ createProject: { id: string } }>(
    graph,
    manager,
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: 'Files project', status: 'ACTIVE' } },
  );
  projectId = created.createProject.id;
  for (const person of [member, client]) {
    await ok(
      graph,
      manager,
      'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
      { input: { projectId, userId: person.id } },
    );
  }
}, 120_000);

afterAll(async () => {
  await mongo?.close();
  await graph?.stop();
});

describe('the upload flow', () => {
  it('creates a pending document, takes the bytes, completes version 1 and downloads it', async () => {
    const before = Date.now();
    const upload = await startUpload(member, { projectId, size: PDF.length, sha256: sha256(PDF) });
    const gatewayOrigin = new URL(graph.gatewayUrl).origin;
    expect(upload.uploadUrl.startsWith(`${gatewayOrigin}/files/upload/`)).toBe(true);
    expect(upload.uploadMethod).toBe('PUT');
    expect(upload.uploadHeaders).toEqual([{ name: 'Content-Type', value: 'application/pdf' }]);
    // The server stamps the link while the request runs, between `before` and now: at most 15
    // minutes from when it was handed out, so at most 15 minutes from now.
    const expiresAt = Date.parse(upload.expiresAt);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(15 * 60 * 1000);
    expect(expiresAt - before).toBeGreaterThan(14 * 60 * 1000);
    const id = upload.document.id;

    // Pending: no list shows it, no one but its owner reads it.
    for (const person of [member, manager, admin]) {
      const list = await ok<{ documents: { edges: { node: { id: string } }[] } }>(
        graph,
        person,
        LIST,
      );
      expect(list.documents.edges.map((edge) => edge.node.id)).not.toContain(id);
    }
    expect(firstError(await read(manager, id))?.extensions?.code).toBe('NOT_FOUND');
    expect(firstError(await read(admin, id))?.extensions?.code).toBe('NOT_FOUND');
    expect((await read(member, id)).data?.document?.file).toBeNull();

    expect((await put(upload, PDF)).status).toBe(204);
    const done = await ok<{
      completeDocumentUpload: ReadDocument & { file: Record<string, unknown> };
    }>(graph, member, COMPLETE, { id });
    const document = done.completeDocumentUpload;
    expect(document.file).toMatchObject({
      version: 1,
      name: 'sow.pdf',
      contentType: 'application/pdf',
      size: PDF.length,
      sha256: sha256(PDF),
      uploadedBy: { id: member.id },
    });
    expect(document.versions).toEqual([{ version: 1, sha256: sha256(PDF) }]);
    expect(document.fileUrl).toBe(`${gatewayOrigin}/files/documents/${id}`);

    // Now listed for whoever reads the project.
    const list = await ok<{ documents: { edges: { node: { id: string } }[] } }>(
      graph,
      manager,
      LIST,
    );
    expect(list.documents.edges.map((edge) => edge.node.id)).toContain(id);

    const link = document.downloadUrl ?? '';
    expect(link.startsWith(`${gatewayOrigin}/files/download/`)).toBe(true);
    const linkLife = claimsOf(link).exp * 1000 - Date.now();
    expect(linkLife).toBeLessThanOrEqual(5 * 60 * 1000);
    expect(linkLife).toBeGreaterThan(4 * 60 * 1000);
    const response = await fetch(link);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(PDF);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="sow.pdf"; filename*=UTF-8''sow.pdf`,
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe('sandbox');
    expect(response.headers.get('etag')).toBe(`"${sha256(PDF)}"`);
    expect(await actions(id)).toContain(`DOWNLOAD ${member.id}`);
  });

  it('serves ranges, conditional requests and HEAD', async () => {
    const document = await uploaded(member, PDF);
    const link = document.downloadUrl ?? '';
    const first = await fetch(link, { headers: { range: 'bytes=0-3' } });
    expect(first.status).toBe(206);
    expect(await first.text()).toBe('%PDF');
    expect(first.headers.get('content-range')).toBe(`bytes 0-3/${PDF.length}`);
    expect(first.headers.get('content-length')).toBe('4');

    const tail = await fetch(link, { headers: { range: 'bytes=-6' } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(PDF.subarray(PDF.length - 6));

    const open = await fetch(link, { headers: { range: `bytes=${PDF.length - 2}-` } });
    expect(open.status).toBe(206);
    expect(Buffer.from(await open.arrayBuffer())).toEqual(PDF.subarray(PDF.length - 2));

    const outside = await fetch(link, { headers: { range: `bytes=${PDF.length}-` } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${PDF.length}`);

    const etag = `"${sha256(PDF)}"`;
    expect((await fetch(link, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // A range for another version's ETag answers the whole file.
    const stale = await fetch(link, { headers: { range: 'bytes=0-3', 'if-range': '"other"' } });
    expect(stale.status).toBe(200);
    expect(Buffer.from(await stale.arrayBuffer())).toEqual(PDF);

    const head = await fetch(link, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(PDF.length));
  });

  it('keeps every version, newest first, behind one stable fileUrl', async () => {
    const first = await uploaded(member, PDF);
    const upload = await startUpload(member, {
      documentId: first.id,
      projectId: undefined,
      title: 'Statement of work, signed',
      size: PDF_V2.length,
    });
    expect(upload.document.file?.version).toBe(1);
    // Until completion the document is as it was.
    expect((await read(manager, first.id)).data?.document?.file?.version).toBe(1);
    expect((await put(upload, PDF_V2)).status).toBe(204);
    const second = (
      await ok<{ completeDocumentUpload: ReadDocument }>(graph, member, COMPLETE, { id: first.id })
    ).completeDocumentUpload;
    expect(second.title).toBe('Statement of work, signed');
    expect(second.file?.version).toBe(2);
    expect(second.versions.map((version) => version.version)).toEqual([2, 1]);
    expect(second.fileUrl).toBe(first.fileUrl);
    const fetched = await fetch(second.downloadUrl ?? '');
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(PDF_V2);
    expect(await actions(first.id)).toContain(`UPDATE ${member.id}`);

    // The stable link redirects a signed-in reader to a fresh download of the current version.
    const redirected = await fetch(first.fileUrl, { headers: manager.headers, redirect: 'manual' });
    expect(redirected.status).toBe(302);
    const location = redirected.headers.get('location') ?? '';
    expect(location).toContain('/files/download/');
    expect(Buffer.from(await (await fetch(location)).arrayBuffer())).toEqual(PDF_V2);
    expect(await actions(first.id)).toContain(`DOWNLOAD ${manager.id}`);

    const anonymous = await fetch(first.fileUrl, { redirect: 'manual' });
    expect(anonymous.status).toBe(401);
    const stranger = await fetch(first.fileUrl, { headers: outsider.headers, redirect: 'manual' });
    expect(stranger.status).toBe(404);
  });

  it('accepts a personal upload, images and text', async () => {
    const image = await uploaded(outsider, PNG, {
      projectId: undefined,
      fileName: 'pixel.png',
      contentType: 'image/png',
    });
    expect(image.file?.version).toBe(1);
    const csv = Buffer.from('name,hours\nAda,7.5\n');
    const sheet = await uploaded(member, csv, { fileName: 'hours.csv', contentType: 'text/csv' });
    expect(sheet.file?.size).toBe(csv.length);
  });
});

describe('refusals when an upload is created', () => {
  const refusal = async (person: Person, input: Record<string, unknown>) => {
    const { body } = await graph.query(
      CREATE_UPLOAD,
      {
        input: {
          projectId,
          title: 'x',
          fileName: 'a.pdf',
          contentType: 'application/pdf',
          size: 10,
          ...input,
        },
      },
      person.headers,
    );
    return firstError(body)?.extensions;
  };

  it.each([
    [{ size: 0 }, 'input.size'],
    [{ size: MAX_UPLOAD_BYTES + 1 }, 'input.size'],
    [{ contentType: 'text/html' }, 'input.contentType'],
    [{ contentType: 'image/svg+xml' }, 'input.contentType'],
    [{ contentType: 'application/x-msdownload' }, 'input.contentType'],
    [{ sha256: 'abc' }, 'input.sha256'],
    [{ fileName: '../etc/passwd' }, 'input.fileName'],
    [{ fileName: 'a\u0000.pdf' }, 'input.fileName'],
    [{ fileName: '' }, 'input.fileName'],
    [{ title: '' }, 'input.title'],
    [{ documentId: '0123456789abcdef01234567' }, 'input.projectId'],
    [{ projectId: 'nope' }, 'input.projectId'],
  ])('%j is BAD_USER_INPUT naming %s', async (input, field) => {
    expect(await refusal(member, input)).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('a CLIENT may not add to the project; an outsider does not see it', async () => {
    expect((await refusal(client, {}))?.code).toBe('FORBIDDEN');
    expect((await refusal(outsider, {}))?.code).toBe('NOT_FOUND');
  });

  it('a new version is for the owner or an admin', async () => {
    const document = await uploaded(member, PDF);
    await ok(
      graph,
      member,
      'mutation ($input: ShareDocumentInput!) { shareDocument(input: $input) { id } }',
      { input: { documentId: document.id, userId: friend.id } },
    );
    const asVersion = { documentId: document.id, projectId: undefined };
    expect((await refusal(friend, asVersion))?.code).toBe('FORBIDDEN');
    expect((await refusal(manager, asVersion))?.code).toBe('FORBIDDEN');
    expect((await refusal(client, asVersion))?.code).toBe('FORBIDDEN');
    expect((await refusal(outsider, asVersion))?.code).toBe('NOT_FOUND');
    const byAdmin = await startUpload(admin, { ...asVersion, size: PDF.length });
    expect(byAdmin.document.id).toBe(document.id);
  });

  it('a linked document has no uploaded versions', async () => {
    const linked = await ok<{ createDocument: { id: string } }>(
      graph,
      member,
      'mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { id } }',
      { input: { title: 'Elsewhere', fileUrl: 'https://files.example.com/a.pdf', projectId } },
    );
    expect(
      await refusal(member, { documentId: linked.createDocument.id, projectId: undefined }),
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.documentId' });
    const read = await ok<{ document: ReadDocument }>(graph, member, READ, {
      id: linked.createDocument.id,
    });
    expect(read.document).toMatchObject({
      fileUrl: 'https://files.example.com/a.pdf',
      file: null,
      versions: [],
      downloadUrl: null,
    });
  });
});

describe('refusals when the bytes arrive', () => {
  it('cuts off a body longer than declared, with or without Content-Length', async () => {
    const upload = await startUpload(member, { projectId, size: 10 });
    const declared = await put(upload, PDF);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as ErrorBody).errors?.[0]?.extensions?.code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    // Chunked: the length is only known once too many bytes came.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(PDF.subarray(0, 8));
        controller.enqueue(PDF.subarray(8));
        controller.close();
      },
    });
    const chunked = await put(upload, chunks);
    expect(chunked.status).toBe(413);
    expect(keyFilesOf(upload.document.id)).toEqual([]);
  });

  it('lets the console origin upload and download across origins (CORS)', async () => {
    const upload = await startUpload(member, { projectId, size: PDF.length });
    const preflight = await fetch(upload.uploadUrl, {
      method: 'OPTIONS',
      headers: {
        origin: CONSOLE_ORIGIN,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    const sent = await put(upload, PDF, { origin: CONSOLE_ORIGIN });
    expect(sent.status).toBe(204);
    expect(sent.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
  });

  it('refuses a body shorter than declared and another content type', async () => {
    const upload = await startUpload(member, { projectId, size: PDF.length });
    expect((await put(upload, PDF.subarray(0, 5))).status).toBe(400);
    expect(keyFilesOf(upload.document.id)).toEqual([]);
    expect((await put(upload, PDF, { 'content-type': 'text/html' })).status).toBe(400);
  });

  it('answers 403 to a tampered or expired upload link and stores nothing', async () => {
    const upload = await startUpload(member, { projectId, size: PDF.length });
    const token = tokenOf(upload.uploadUrl);
    const tampered = {
      ...upload,
      uploadUrl: upload.uploadUrl.replace(token, `${token.slice(0, -2)}xx`),
    };
    expect((await put(tampered, PDF)).status).toBe(403);
    const bigger = resigned(upload.uploadUrl, {});
    const [body, mac] = tokenOf(bigger).split('.');
    const claims = JSON.parse(Buffer.from(body ?? '', 'base64url').toString()) as FileClaims;
    const forged = Buffer.from(JSON.stringify({ ...claims, size: 999 })).toString('base64url');
    expect(
      (
        await put(
          { ...upload, uploadUrl: upload.uploadUrl.replace(token, `${forged}.${mac}`) },
          PDF,
        )
      ).status,
    ).toBe(403);
    const expired = {
      ...upload,
      uploadUrl: resigned(upload.uploadUrl, { exp: Math.floor(Date.now() / 1000) - 1 }),
    };
    expect((await put(expired, PDF)).status).toBe(403);
    expect(keyFilesOf(upload.document.id)).toEqual([]);
  });

  it('answers 409 to an upload link whose upload was completed', async () => {
    const upload = await startUpload(member, { projectId, size: PDF.length });
    expect((await put(upload, PDF)).status).toBe(204);
    await ok(graph, member, COMPLETE, { id: upload.document.id });
    expect((await put(upload, PDF_V2.subarray(0, PDF.length))).status).toBe(409);
    const read = await ok<{ document: ReadDocument }>(graph, member, READ, {
      id: upload.document.id,
    });
    expect(read.document.file?.sha256).toBe(sha256(PDF));
  });
});

describe('refusals on completion', () => {
  const failedCompletion = async (bytes: Buffer, input: Record<string, unknown>) => {
    const upload = await startUpload(member, { projectId, size: bytes.length, ...input });
    expect((await put(upload, bytes)).status).toBe(204);
    const { body } = await graph.query(COMPLETE, { id: upload.document.id }, member.headers);
    return { id: upload.document.id, error: firstError(body) };
  };

  it.each([
    ['a SHA-256 that does not match', PDF, { sha256: sha256(PDF_V2) }, 'sha256'],
    [
      'HTML disguised as a PDF',
      Buffer.from('<html><script>alert(1)</script></html>'),
      {},
      'contentType',
    ],
    [
      'a script disguised as an image',
      Buffer.from('<script>alert(1)</script>'),
      { contentType: 'image/png', fileName: 'x.png' },
      'contentType',
    ],
    ['a PNG declared as a PDF', PNG, {}, 'contentType'],
    [
      'HTML sent as plain text',
      Buffer.from('<!DOCTYPE html><html><body onload="alert(1)"></body></html>'),
      { contentType: 'text/plain', fileName: 'x.txt' },
      'contentType',
    ],
    ['binary sent as CSV', PNG, { contentType: 'text/csv', fileName: 'x.csv' }, 'contentType'],
  ])('%s: BAD_USER_INPUT, bytes and first document gone', async (_name, bytes, input, check) => {
    const { id, error } = await failedCompletion(bytes, input);
    expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: check });
    expect(error?.message).toContain(`${check} check`);
    expect(keyFilesOf(id)).toEqual([]);
    expect(firstError(await read(member, id))?.extensions?.code).toBe('NOT_FOUND');
  });

  it('completing before any bytes arrived fails and removes the first upload', async () => {
    const upload = await startUpload(member, { projectId, size: PDF.length });
    const { body } = await graph.query(COMPLETE, { id: upload.document.id }, member.headers);
    expect(firstError(body)?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.documentId',
    });
    expect(firstError(await read(member, upload.document.id))?.extensions?.code).toBe('NOT_FOUND');
  });

  it('a failed new version leaves the previous file in place', async () => {
    const document = await uploaded(member, PDF);
    const upload = await startUpload(member, {
      documentId: document.id,
      projectId: undefined,
      size: PDF_V2.length,
      sha256: sha256(PDF),
    });
    expect((await put(upload, PDF_V2)).status).toBe(204);
    const { body } = await graph.query(COMPLETE, { id: document.id }, member.headers);
    expect(firstError(body)?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sha256' });
    const after = await ok<{ document: ReadDocument }>(graph, member, READ, { id: document.id });
    expect(after.document.file?.version).toBe(1);
    expect(keyFilesOf(document.id)).toHaveLength(1);
    const fetched = await fetch(after.document.downloadUrl ?? '');
    expect(Buffer.from(await fetched.arrayBuffer())).toEqual(PDF);
    // Nothing is pending any more.
    const again = await graph.query(COMPLETE, { id: document.id }, member.headers);
    expect(firstError(again.body)?.extensions?.field).toBe('input.documentId');
  });

  it('only the owner or an admin completes', async () => {
    const upload = await startUpload(member, { projectId, size: PDF.length });
    expect((await put(upload, PDF)).status).toBe(204);
    for (const person of [manager, outsider, client]) {
      const { body } = await graph.query(COMPLETE, { id: upload.document.id }, person.headers);
      expect(firstError(body)?.extensions?.code).toBe('NOT_FOUND');
    }
  });
});

describe('who downloads', () => {
  it('the owner, project members, clients, admins and shared-with users; no outsider', async () => {
    const document = await uploaded(member, PDF);
    await ok(
      graph,
      member,
      'mutation ($input: ShareDocumentInput!) { shareDocument(input: $input) { id } }',
      { input: { documentId: document.id, userId: friend.id } },
    );
    for (const person of [member, manager, client, admin, friend]) {
      const body = await read(person, document.id);
      const link = body.data?.document?.downloadUrl ?? '';
      expect(claimsOf(link)).toMatchObject({ op: 'get', user: person.id });
      const response = await fetch(link);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(PDF);
      expect(await actions(document.id)).toContain(`DOWNLOAD ${person.id}`);
    }
    expect(firstError(await read(outsider, document.id))?.extensions?.code).toBe('NOT_FOUND');
  });

  it('answers 403 to a tampered or expired download link and records nothing', async () => {
    const document = await uploaded(member, PDF);
    const link = document.downloadUrl ?? '';
    const downloads = async () =>
      (await actions(document.id)).filter((entry) => entry.startsWith('DOWNLOAD'));
    const token = tokenOf(link);
    expect((await fetch(link.replace(token, `${token.slice(0, -2)}xx`))).status).toBe(403);
    const other = await uploaded(outsider, PNG, {
      projectId: undefined,
      fileName: 'p.png',
      contentType: 'image/png',
    });
    // Pointing a link at another file needs the key: an edited body no longer matches its MAC.
    const [, mac] = token.split('.');
    const edited = Buffer.from(
      JSON.stringify({ ...claimsOf(link), key: claimsOf(other.downloadUrl ?? '').key }),
    ).toString('base64url');
    expect((await fetch(link.replace(token, `${edited}.${mac}`))).status).toBe(403);
    const expired = resigned(link, { exp: Math.floor(Date.now() / 1000) - 1 });
    expect((await fetch(expired)).status).toBe(403);
    expect(await downloads()).toEqual([]);
  });

  it('a download link for an upload link, and the other way round, is refused', async () => {
    const document = await uploaded(member, PDF);
    const link = document.downloadUrl ?? '';
    const asUpload = link.replace('/files/download/', '/files/upload/');
    const response = await fetch(asUpload, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf' },
      body: PDF,
    });
    expect(response.status).toBe(403);
  });
});

describe('purge and deletes', () => {
  const backdate = (id: string) =>
    mongo
      .db(graph.databases.documents)
      .collection('documents')
      .updateOne(
        { _id: new ObjectId(id) },
        { $set: { 'upload.createdAt': new Date(Date.now() - 25 * 60 * 60 * 1000) } },
      );

  it('purges a first upload never completed after 24 hours: its bytes and its document', async () => {
    const upload = await startUpload(member, { projectId, size: PDF.length });
    expect((await put(upload, PDF)).status).toBe(204);
    expect(keyFilesOf(upload.document.id)).toHaveLength(1);
    await backdate(upload.document.id);
    await eventually(
      async () =>
        firstError(await read(member, upload.document.id))?.extensions?.code === 'NOT_FOUND',
    );
    expect(keyFilesOf(upload.document.id)).toEqual([]);
  });

  it('purges a new version never completed; the document keeps its file', async () => {
    const document = await uploaded(member, PDF);
    const upload = await startUpload(member, {
      documentId: document.id,
      projectId: undefined,
      size: PDF_V2.length,
    });
    expect((await put(upload, PDF_V2)).status).toBe(204);
    expect(keyFilesOf(document.id)).toHaveLength(2);
    await backdate(document.id);
    await eventually(() => keyFilesOf(document.id).length === 1);
    const after = await ok<{ document: ReadDocument }>(graph, member, READ, { id: document.id });
    expect(after.document.file?.version).toBe(1);
    const { body } = await graph.query(COMPLETE, { id: document.id }, member.headers);
    expect(firstError(body)?.extensions?.field).toBe('input.documentId');
  });

  it('deleting a document records the DELETE and deletes its files', async () => {
    const document = await uploaded(member, PDF);
    const upload = await startUpload(member, {
      documentId: document.id,
      projectId: undefined,
      size: PDF_V2.length,
    });
    expect((await put(upload, PDF_V2)).status).toBe(204);
    expect(keyFilesOf(document.id)).toHaveLength(2);
    const link = document.downloadUrl ?? '';
    await ok(graph, member, 'mutation ($id: ID!) { deleteDocument(id: $id) }', { id: document.id });
    expect(keyFilesOf(document.id)).toEqual([]);
    expect((await fetch(link)).status).toBe(404);
    const log = await mongo
      .db(graph.databases.documents)
      .collection('access_logs')
      .find({ documentId: new ObjectId(document.id), action: 'DELETE' })
      .toArray();
    expect(log).toHaveLength(1);
  });

  it("deleting a project deletes its documents' files", async () => {
    const created = await ok<{ createProject: { id: string } }>(
      graph,
      manager,
      'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
      { input: { name: 'Short-lived', status: 'ACTIVE' } },
    );
    const doomed = created.createProject.id;
    const document = await uploaded(manager, PDF, { projectId: doomed });
    const pending = await startUpload(manager, { projectId: doomed, size: PDF.length });
    expect((await put(pending, PDF)).status).toBe(204);
    await ok(graph, manager, 'mutation ($id: ID!) { deleteProject(id: $id) }', { id: doomed });
    await eventually(
      () => keyFilesOf(document.id).length === 0 && keyFilesOf(pending.document.id).length === 0,
    );
    expect(firstError(await read(manager, document.id))?.extensions?.code).toBe('NOT_FOUND');
  });
});
