/**
 * The S3 store against s3rver: a real S3-compatible server over HTTP (a Koa app storing on the
 * disk), with the AWS SDK's own client and presigner on the other side. s3rver checks a presigned
 * URL's expiry but not its SigV4 signature, so that a tampered URL or a body of another length is
 * refused is AWS's (and MinIO's...) part, shown here only by what the URL signs.
 */
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import { FileTooLargeError } from '../files/file-store';
import { S3FileStore } from '../files/s3-file-store';

const BUCKET = 'psa-files-test';
// s3rver's built-in account.
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

let server: S3rver;
let directory: string;
let endpoint: string;
let store: S3FileStore;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'psa-s3rver-'));
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const address = (await server.run()) as AddressInfo;
  endpoint = `http://127.0.0.1:${address.port}`;
  store = new S3FileStore({
    bucket: BUCKET,
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials,
  });
});

afterAll(async () => {
  store?.close();
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000);
const key = () => `documents/${randomBytes(6).toString('hex')}/${randomBytes(8).toString('hex')}`;
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(3000), Buffer.from('\n%%EOF\n')]);

async function uploadThroughUrl(target: string, bytes: Buffer, contentType = 'application/pdf') {
  const signed = await store.signUpload({
    key: target,
    contentType,
    size: bytes.length,
    expiresAt: inMinutes(15),
  });
  const headers = Object.fromEntries(signed.headers.map((h) => [h.name, h.value]));
  return {
    signed,
    response: await fetch(signed.url, {
      method: signed.method,
      headers,
      body: new Uint8Array(bytes),
    }),
  };
}

describe('S3FileStore against s3rver', () => {
  it('presigns a PUT straight to the bucket that signs the declared length and type', async () => {
    const target = key();
    const { signed, response } = await uploadThroughUrl(target, PDF);

    expect(response.status).toBe(200);
    expect(signed.method).toBe('PUT');
    expect(signed.headers).toEqual([{ name: 'Content-Type', value: 'application/pdf' }]);
    const url = new URL(signed.url);
    expect(url.origin).toBe(endpoint);
    expect(url.pathname).toBe(`/${BUCKET}/${target}`);
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'content-type', 'host']),
    );
    // No checksum of an empty body that S3 would hold the real bytes to.
    expect(url.searchParams.has('x-amz-checksum-crc32')).toBe(false);

    const seen = await store.head(target, 8);
    expect(seen).toEqual({ size: PDF.length, head: PDF.subarray(0, 8) });
  });

  it('answers expiresAt exactly as the URL expires, in whole seconds', async () => {
    const wanted = new Date(Date.now() + 15 * 60_000 - 500);
    const signed = await store.signUpload({
      key: key(),
      contentType: 'text/plain',
      size: 3,
      expiresAt: wanted,
    });
    const url = new URL(signed.url);
    const date = url.searchParams.get('X-Amz-Date') ?? '';
    const signedAt = Date.parse(
      `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
    );
    const expiresIn = Number(url.searchParams.get('X-Amz-Expires'));
    expect(signed.expiresAt.getTime()).toBe(signedAt + expiresIn * 1000);
    expect(signed.expiresAt.getTime()).toBeLessThanOrEqual(wanted.getTime());
    expect(signed.expiresAt.getTime() % 1000).toBe(0);
  });

  it('reads back the size and only the first bytes, and ranges', async () => {
    const target = key();
    await uploadThroughUrl(target, PDF);

    expect(await store.head(target, 5)).toEqual({ size: PDF.length, head: Buffer.from('%PDF-') });
    // Fewer bytes than asked when the file is shorter.
    const whole = await store.head(target, PDF.length + 100);
    expect(whole?.head.equals(PDF)).toBe(true);

    const range = await store.get(target, { start: 9, end: 18 });
    expect(await bytesOf(range)).toEqual(PDF.subarray(9, 19));
    expect((await bytesOf(await store.get(target))).equals(PDF)).toBe(true);
  });

  it('reads an empty object as size 0 without asking for an unsatisfiable range', async () => {
    const target = key();
    await store.put(target, Readable.from([]), { maxBytes: 10, contentType: 'text/plain' });
    expect(await store.head(target, 16)).toEqual({ size: 0, head: Buffer.alloc(0) });
  });

  it('answers null for a key with nothing under it', async () => {
    const target = key();
    expect(await store.head(target, 16)).toBeNull();
    expect(await store.get(target)).toBeNull();
    expect(await store.get(target, { start: 0, end: 3 })).toBeNull();
  });

  it('presigns a GET answering the bytes as an attachment with the stored type', async () => {
    const target = key();
    await uploadThroughUrl(target, PDF);
    const signed = await store.signDownload({
      key: target,
      contentType: 'application/pdf',
      fileName: 'Statement of work é.pdf',
      size: PDF.length,
      sha256: createHash('sha256').update(PDF).digest('hex'),
      documentId: 'doc-1',
      userId: 'user-1',
      expiresAt: inMinutes(5),
    });
    expect(signed.method).toBe('GET');
    expect(signed.headers).toEqual([]);
    expect(signed.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 5 * 60_000);

    const response = await fetch(signed.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="Statement of work _.pdf"; filename*=UTF-8''Statement%20of%20work%20%C3%A9.pdf`,
    );
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]+"$/);
    expect(Buffer.from(await response.arrayBuffer()).equals(PDF)).toBe(true);

    const partial = await fetch(signed.url, { headers: { range: 'bytes=0-3' } });
    expect(partial.status).toBe(206);
    expect(await partial.text()).toBe('%PDF');
  });

  it('refuses a presigned URL once it expired', async () => {
    const target = key();
    await uploadThroughUrl(target, PDF);
    const signed = await store.signDownload({
      key: target,
      contentType: 'application/pdf',
      fileName: 'a.pdf',
      size: PDF.length,
      sha256: '',
      documentId: 'doc-1',
      userId: 'user-1',
      // The shortest a presigned URL lives: one second.
      expiresAt: new Date(Date.now() + 1000),
    });
    await new Promise((resolve) =>
      setTimeout(resolve, signed.expiresAt.getTime() - Date.now() + 1100),
    );
    const response = await fetch(signed.url);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('streams a body larger than a part through a multipart upload', async () => {
    const target = key();
    // 12 MiB: three parts of 5 MiB at most, one in flight.
    const chunk = randomBytes(1024 * 1024);
    const hash = createHash('sha256');
    const chunks = Array.from({ length: 12 }, () => chunk);
    chunks.forEach((c) => hash.update(c));
    const stored = await store.put(target, Readable.from(chunks), {
      maxBytes: 12 * 1024 * 1024,
      contentType: 'application/zip',
    });
    expect(stored).toEqual({ size: 12 * 1024 * 1024 });

    const read = createHash('sha256');
    const stream = await store.get(target);
    for await (const piece of stream ?? []) read.update(piece as Buffer);
    expect(read.digest('hex')).toBe(hash.digest('hex'));
  });

  it.each([
    ['in one request', 1024, 2048],
    ['in a multipart upload', 5 * 1024 * 1024, 6 * 1024 * 1024 + 1],
  ])(
    'refuses a body over maxBytes %s and leaves nothing under the key',
    async (_how, maxBytes, sent) => {
      const target = key();
      const body = Readable.from(
        (function* () {
          for (let left = sent; left > 0; left -= 65536) yield randomBytes(Math.min(65536, left));
        })(),
      );
      await expect(
        store.put(target, body, { maxBytes, contentType: 'application/zip' }),
      ).rejects.toBeInstanceOf(FileTooLargeError);
      expect(await store.head(target, 4)).toBeNull();
    },
  );

  it('deletes every key it is given, missing ones being no error', async () => {
    const targets = [key(), key(), key()];
    for (const target of targets.slice(0, 2)) await uploadThroughUrl(target, PDF);

    await store.delete(targets);
    for (const target of targets) expect(await store.head(target, 4)).toBeNull();
    await expect(store.delete([])).resolves.toBeUndefined();
  });

  it('is ready while the bucket answers, not for a bucket that does not exist', async () => {
    expect(await store.ready()).toBe(true);
    const elsewhere = new S3FileStore({
      bucket: 'psa-no-such-bucket',
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials,
    });
    try {
      expect(await elsewhere.ready()).toBe(false);
    } finally {
      elsewhere.close();
    }
  });
});

async function bytesOf(stream: Readable | null): Promise<Buffer> {
  if (!stream) throw new Error('expected a stream');
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
