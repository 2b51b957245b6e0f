/**
 * Files for documents with FILE_STORE=s3, through the gateway: the graph hands out presigned URLs
 * of a real S3-compatible server (s3rver over HTTP, installed from npm), the bytes go straight to
 * it and back, and completeDocumentUpload checks what the bucket holds. The S3 store's own
 * behaviour (ranges, multipart, expiry) is services/documents/src/__tests__/s3-file-store.test.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { startGraph, type Graph } from './helpers/graph';
import { loginAdmin, ok, signUp, type Person } from './helpers/people';

const BUCKET = 'psa-files-flow';
const directory = mkdtempSync(path.join(os.tmpdir(), 'psa-files-s3-'));

let server: S3rver;
let endpoint: string;
let graph: Graph;
let admin: Person;
let manager: Person;
let member: Person;
let projectId: string;

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n');
const PDF_V2 = Buffer.from('%PDF-1.7\n% the second version\n%%EOF\n');
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

const CREATE_UPLOAD = `mutation ($input: CreateDocumentUploadInput!) { createDocumentUpload(input: $input) {
  document { id } uploadUrl uploadMethod uploadHeaders { name value } expiresAt } }`;
const COMPLETE = `mutation ($id: ID!) { completeDocumentUpload(input: { documentId: $id }) {
  id file { version name contentType size sha256 uploadedBy { id } } versions { version } } }`;
const DOWNLOAD = 'query ($id: ID!) { document(id: $id) { downloadUrl } }';
const ACCESS_LOG = `query ($id: ID!) { document(id: $id) { accessLog(first: 100) {
  edges { node { action user { id } } } } } }`;

interface Upload {
  document: { id: string };
  uploadUrl: string;
  uploadMethod: string;
  uploadHeaders: { name: string; value: string }[];
}

async function startUpload(person: Person, input: Record<string, unknown>): Promise<Upload> {
  const data = await ok<{ createDocumentUpload: Upload }>(graph, person, CREATE_UPLOAD, {
    input: { fileName: 'sow.pdf', contentType: 'application/pdf', ...input },
  });
  return data.createDocumentUpload;
}

const put = (upload: Upload, body: Buffer) =>
  fetch(upload.uploadUrl, {
    method: upload.uploadMethod,
    headers: Object.fromEntries(upload.uploadHeaders.map((h) => [h.name, h.value])),
    body: new Uint8Array(body),
  });

beforeAll(async () => {
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  endpoint = `http://127.0.0.1:${((await server.run()) as AddressInfo).port}`;
  graph = await startGraph({
    env: {
      FILE_STORE: 's3',
      S3_BUCKET: BUCKET,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      // s3rver's built-in account.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
  });
  admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER');
  member = await signUp(graph, admin, 'MEMBER');
  const created = await ok<{ createProject: { id: string } }>(
    graph,
    manager,
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: 'Files in S3', status: 'ACTIVE' } },
  );
  projectId = created.createProject.id;
  await ok(
    graph,
    manager,
    'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
    { input: { projectId, userId: member.id } },
  );
}, 120_000);

afterAll(async () => {
  await graph?.stop();
  await server?.close();
  rmSync(directory, { recursive: true, force: true });
});

it('uploads straight to the bucket, completes, and downloads from it with a DOWNLOAD logged', async () => {
  const upload = await startUpload(member, { projectId, size: PDF.length, sha256: sha256(PDF) });
  const url = new URL(upload.uploadUrl);
  expect(url.origin).toBe(endpoint);
  expect(url.pathname.startsWith(`/${BUCKET}/`)).toBe(true);
  expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
  expect((await put(upload, PDF)).status).toBe(200);

  const { completeDocumentUpload: done } = await ok<{
    completeDocumentUpload: {
      id: string;
      file: { version: number; size: number; sha256: string; uploadedBy: { id: string } };
      versions: { version: number }[];
    };
  }>(graph, member, COMPLETE, { id: upload.document.id });
  expect(done.file).toMatchObject({ version: 1, size: PDF.length, sha256: sha256(PDF) });
  expect(done.file.uploadedBy.id).toBe(member.id);

  const { document } = await ok<{ document: { downloadUrl: string } }>(graph, manager, DOWNLOAD, {
    id: done.id,
  });
  expect(new URL(document.downloadUrl).origin).toBe(endpoint);
  const response = await fetch(document.downloadUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/pdf');
  expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="sow.pdf"/);
  expect(Buffer.from(await response.arrayBuffer()).equals(PDF)).toBe(true);

  const log = await ok<{
    document: { accessLog: { edges: { node: { action: string; user: { id: string } } }[] } };
  }>(graph, admin, ACCESS_LOG, { id: done.id });
  expect(log.document.accessLog.edges.map((e) => `${e.node.action} ${e.node.user.id}`)).toContain(
    `DOWNLOAD ${manager.id}`,
  );
});

it('keeps every version in the bucket and answers the newest', async () => {
  const first = await startUpload(member, { projectId, size: PDF.length });
  expect((await put(first, PDF)).status).toBe(200);
  await ok(graph, member, COMPLETE, { id: first.document.id });

  const second = await startUpload(member, { documentId: first.document.id, size: PDF_V2.length });
  expect((await put(second, PDF_V2)).status).toBe(200);
  const { completeDocumentUpload: done } = await ok<{
    completeDocumentUpload: { file: { version: number }; versions: { version: number }[] };
  }>(graph, member, COMPLETE, { id: first.document.id });
  expect(done.file.version).toBe(2);
  expect(done.versions.map((v) => v.version)).toEqual([2, 1]);

  const { document } = await ok<{ document: { downloadUrl: string } }>(graph, member, DOWNLOAD, {
    id: first.document.id,
  });
  expect(Buffer.from(await (await fetch(document.downloadUrl)).arrayBuffer())).toEqual(PDF_V2);
});

it('refuses what the bucket holds when it is not what was declared, and deletes it', async () => {
  // HTML declared as a PDF: the bytes' head read back from the bucket gives it away.
  const html = Buffer.from('<!doctype html><script>alert(1)</script>');
  const upload = await startUpload(member, { projectId, size: html.length });
  expect((await put(upload, html)).status).toBe(200);
  const key = new URL(upload.uploadUrl).pathname;
  expect((await fetch(`${endpoint}${key}`, { method: 'HEAD' })).status).toBe(200);

  const { body } = await graph.query(COMPLETE, { id: upload.document.id }, member.headers);
  expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect((await fetch(`${endpoint}${key}`, { method: 'HEAD' })).status).toBe(404);

  // A body shorter than declared: the size read back from the bucket refuses it.
  const short = await startUpload(member, { projectId, size: PDF.length + 10 });
  // s3rver does not hold a body to the signed length (AWS would answer 403 here).
  expect((await put(short, PDF)).status).toBe(200);
  const refused = await graph.query(COMPLETE, { id: short.document.id }, member.headers);
  expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
});
