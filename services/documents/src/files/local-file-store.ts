import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  FileTooLargeError,
  type ByteRange,
  type DownloadTarget,
  type FileStore,
  type PublicOrigin,
  type PutOptions,
  type SignedRequest,
  type StoredHead,
  type UploadTarget,
} from './file-store';
import type { UrlSigner } from './url-signer';

/** Where the local store's URLs live on the gateway's origin (the gateway proxies the prefix). */
export const FILES_PREFIX = '/files/';
export const UPLOAD_PATH = `${FILES_PREFIX}upload/`;
export const DOWNLOAD_PATH = `${FILES_PREFIX}download/`;

// Keys are made by the service (`documents/<id>/<random>`); anything else could climb out of the
// directory.
const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

/** Counts what passes and fails the stream once more than `max` bytes went through. */
function byteLimit(max: number, counted: { size: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counted.size += chunk.length;
      if (counted.size > max) callback(new FileTooLargeError(max));
      else callback(null, chunk);
    },
  });
}

/**
 * Files on the local disk under `dir`, one file per key. Writes go to a temporary file renamed
 * into place once complete, so a key never shows half a file. The signed URLs point at the
 * documents service's `/files/` routes on the gateway's origin, signed with {@link UrlSigner}.
 */
export class LocalFileStore implements FileStore {
  readonly servesOwnUrls = true;

  constructor(
    private readonly dir: string,
    private readonly signer: UrlSigner,
  ) {}

  async put(key: string, body: Readable, options: PutOptions): Promise<{ size: number }> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const partial = `${target}.partial-${randomBytes(6).toString('hex')}`;
    const counted = { size: 0 };
    try {
      await pipeline(body, byteLimit(options.maxBytes, counted), createWriteStream(partial));
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { size: counted.size };
  }

  async get(key: string, range?: ByteRange): Promise<Readable | null> {
    const handle = await open(this.pathOf(key), 'r').catch(missing);
    if (!handle) return null;
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async head(key: string, headBytes: number): Promise<StoredHead | null> {
    const handle = await open(this.pathOf(key), 'r').catch(missing);
    if (!handle) return null;
    try {
      const { size } = await handle.stat();
      const buffer = Buffer.alloc(Math.min(headBytes, size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return { size, head: buffer.subarray(0, bytesRead) };
    } finally {
      await handle.close();
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => rm(this.pathOf(key), { force: true })));
  }

  async signUpload(upload: UploadTarget, origin: PublicOrigin): Promise<SignedRequest> {
    const token = this.signer.sign({
      op: 'put',
      key: upload.key,
      size: upload.size,
      type: upload.contentType,
      exp: Math.floor(upload.expiresAt.getTime() / 1000),
    });
    return {
      url: `${origin}${UPLOAD_PATH}${token}`,
      method: 'PUT',
      headers: [{ name: 'Content-Type', value: upload.contentType }],
      expiresAt: secondsOf(upload.expiresAt),
    };
  }

  async signDownload(download: DownloadTarget, origin: PublicOrigin): Promise<SignedRequest> {
    const token = this.signer.sign({
      op: 'get',
      key: download.key,
      type: download.contentType,
      name: download.fileName,
      size: download.size,
      sha: download.sha256,
      doc: download.documentId,
      user: download.userId,
      exp: Math.floor(download.expiresAt.getTime() / 1000),
    });
    return {
      url: `${origin}${DOWNLOAD_PATH}${token}`,
      method: 'GET',
      headers: [],
      expiresAt: secondsOf(download.expiresAt),
    };
  }

  /** Whether `key` has a file (for the readiness of a mounted volume, tests). */
  async exists(key: string): Promise<boolean> {
    return (await stat(this.pathOf(key)).catch(missing)) !== null;
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`not a file key: ${key}`);
    return path.join(this.dir, ...key.split('/'));
  }
}

/** The token carries whole seconds: the answer says when it really expires. */
const secondsOf = (date: Date): Date => new Date(Math.floor(date.getTime() / 1000) * 1000);

function missing(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT') return null;
  throw error;
}
