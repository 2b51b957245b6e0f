/**
 * File transfers and the request timeout, through the gateway's /files/ proxy and the documents
 * service over real HTTP, with REQUEST_TIMEOUT_MS and FILES_IDLE_TIMEOUT_MS set to 1 s: an upload
 * that takes several times the request timeout but keeps moving completes, one that stalls is
 * cut (408) and leaves nothing, and an ordinary request body dribbled past the request timeout
 * still gets its 408. (Answers that stall are cut the same way: shared's graphql-server test; a
 * client here that stops reading a download would not stall it, the loopback's socket buffers
 * taking tens of megabytes.)
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { startGraph, type Graph } from './helpers/graph';
import { loginAdmin, ok, signUp, type Person } from './helpers/people';

const TIMEOUT_MS = 1_000;

let graph: Graph;
let member: Person;

const CREATE_UPLOAD = `mutation ($input: CreateDocumentUploadInput!) { createDocumentUpload(input: $input) {
  document { id } uploadUrl } }`;
const COMPLETE = `mutation ($id: ID!) { completeDocumentUpload(input: { documentId: $id }) {
  file { size sha256 } downloadUrl } }`;

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A text file of `size` bytes (what text/plain's check accepts). */
const textOf = (size: number): Buffer =>
  Buffer.from('a line of a slowly sent file\n'.repeat(Math.ceil(size / 29)).slice(0, size));

async function startUpload(bytes: Buffer): Promise<{ id: string; url: string }> {
  const { createDocumentUpload } = await ok<{
    createDocumentUpload: { document: { id: string }; uploadUrl: string };
  }>(graph, member, CREATE_UPLOAD, {
    input: {
      fileName: 'slow.txt',
      contentType: 'text/plain',
      size: bytes.length,
      sha256: sha256(bytes),
    },
  });
  return { id: createDocumentUpload.document.id, url: createDocumentUpload.uploadUrl };
}

interface Answer {
  status: number;
  body: string;
  afterMs: number;
}

/**
 * PUTs `bytes` to `url` in `pieces` parts `gapMs` apart, stopping (without closing) after
 * `stopAfter` parts when given; resolves to the answer, or status 0 when the connection was cut
 * without one.
 */
function putSlowly(
  url: string,
  bytes: Buffer,
  pieces: number,
  gapMs: number,
  stopAfter = pieces,
): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const request = http.request(url, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain', 'content-length': String(bytes.length) },
      agent: false,
    });
    let settled = false;
    const settle = (answer: Omit<Answer, 'afterMs'>) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      resolve({ ...answer, afterMs: Date.now() - started });
    };
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => settle({ status: response.statusCode ?? 0, body }));
      response.on('error', () => settle({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', () => settle({ status: 0, body: '' }));
    const size = Math.ceil(bytes.length / pieces);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= stopAfter) return;
      request.write(bytes.subarray(sent * size, (sent + 1) * size));
      sent++;
      if (sent === pieces) request.end();
    }, gapMs);
  });
}

beforeAll(async () => {
  graph = await startGraph({
    env: {
      REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
      FILES_IDLE_TIMEOUT_MS: String(TIMEOUT_MS),
    },
  });
  const admin = await loginAdmin(graph);
  member = await signUp(graph, admin, 'MEMBER');
}, 120_000);

afterAll(async () => {
  await graph?.stop();
});

describe('file transfers and the request timeout', () => {
  it('completes an upload that takes several times the request timeout but keeps moving', async () => {
    const bytes = textOf(20_000);
    const upload = await startUpload(bytes);
    // 16 parts 250 ms apart: 4 s in all, never 1 s without a byte.
    const answer = await putSlowly(upload.url, bytes, 16, 250);
    expect(answer).toMatchObject({ status: 204 });
    expect(answer.afterMs).toBeGreaterThan(3 * TIMEOUT_MS);
    const { completeDocumentUpload } = await ok<{
      completeDocumentUpload: { file: { size: number; sha256: string } };
    }>(graph, member, COMPLETE, { id: upload.id });
    expect(completeDocumentUpload.file).toEqual({ size: bytes.length, sha256: sha256(bytes) });
  }, 30_000);

  it('cuts an upload that stalls with a 408, and keeps nothing of it', async () => {
    const bytes = textOf(20_000);
    const upload = await startUpload(bytes);
    // Half the body, then nothing (the connection stays open).
    const answer = await putSlowly(upload.url, bytes, 4, 100, 2);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual({
      errors: [
        {
          message: 'The request was not received in time',
          extensions: { code: 'BAD_REQUEST' },
        },
      ],
    });
    const { body } = await graph.query(COMPLETE, { id: upload.id }, member.headers);
    expect(body.errors?.[0]?.message).toMatch(/no bytes arrived/);
  }, 30_000);

  it('still answers 408 to a GraphQL body dribbled past the request timeout', async () => {
    const { hostname, port } = new URL(graph.gatewayUrl);
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(port), hostname);
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', () => undefined);
      // A byte every 100 ms: always moving, never done within the second it has.
      const timer = setInterval(() => socket.writable && socket.write(' '), 100);
      socket.on('close', () => {
        clearInterval(timer);
        resolve(received);
      });
      socket.write(
        'POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n',
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(10 * TIMEOUT_MS);
  }, 30_000);
});
