import { Readable, Transform } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  FileTooLargeError,
  type ByteRange,
  type DownloadTarget,
  type FileStore,
  type PutOptions,
  type SignedRequest,
  type StoredHead,
  type UploadTarget,
} from './file-store';
import { contentDisposition } from './file-routes';

export interface S3FileStoreOptions {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (MinIO, Ceph, R2...); absent for AWS itself. */
  endpoint?: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (most self-hosted stores). */
  forcePathStyle?: boolean;
  /** Absent in production: the SDK's default chain (environment, shared files, web identity, ECS, IMDS). */
  credentials?: S3ClientConfig['credentials'];
}

// DeleteObjects takes at most this many keys a request.
const DELETE_BATCH = 1000;
// Multipart parts for put(): S3's minimum part size, and one part in flight, so memory stays at a
// few MiB whatever the file's size.
const PART_SIZE = 5 * 1024 * 1024;

/**
 * Files in an S3 bucket (AWS or any S3-compatible store). Clients send and fetch the bytes with
 * presigned URLs straight to the bucket, so nothing passes through the graph; the service reads
 * back only an object's size and first bytes to verify a completed upload.
 */
export class S3FileStore implements FileStore {
  readonly servesOwnUrls = false;
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3FileStoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? false,
      credentials: options.credentials,
      // By default the SDK adds a CRC32 of the (empty) body to presigned PUT URLs, which S3 then
      // holds the uploaded bytes to: checksums only where an operation requires one.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<{ size: number }> {
    let size = 0;
    const limited = body.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          if (size > options.maxBytes) callback(new FileTooLargeError(options.maxBytes));
          else callback(null, chunk);
        },
      }),
    );
    body.once('error', (error) => limited.destroy(error));
    // One PutObject for a body under a part, a multipart upload otherwise (aborted on failure, so
    // nothing is left under the key).
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: limited, ContentType: options.contentType },
      partSize: PART_SIZE,
      queueSize: 1,
    });
    try {
      await upload.done();
    } catch (error) {
      if (size > options.maxBytes) throw new FileTooLargeError(options.maxBytes);
      throw error;
    } finally {
      body.unpipe(limited);
    }
    return { size };
  }

  async get(key: string, range?: ByteRange): Promise<Readable | null> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      return answer.Body instanceof Readable ? answer.Body : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async head(key: string, headBytes: number): Promise<StoredHead | null> {
    let size: number;
    try {
      const answer = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key }),
      );
      size = answer.ContentLength ?? 0;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    // A range of an empty object is unsatisfiable (416): there is nothing to read.
    const length = Math.min(headBytes, size);
    if (length === 0) return { size, head: Buffer.alloc(0) };
    const stream = await this.get(key, { start: 0, end: length - 1 });
    if (!stream) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { size, head: Buffer.concat(chunks).subarray(0, length) };
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let at = 0; at < keys.length; at += DELETE_BATCH) {
      const batch = keys.slice(at, at + DELETE_BATCH);
      const answer = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      // A missing key is no error in S3 either; anything reported here is a real failure.
      const failed = answer.Errors ?? [];
      if (failed.length) {
        const first = failed[0];
        throw new Error(
          `S3 refused to delete ${failed.length} of ${batch.length} objects (${first?.Code ?? 'unknown'}: ${first?.Key ?? ''})`,
        );
      }
    }
  }

  async signUpload(upload: UploadTarget): Promise<SignedRequest> {
    // The length and type are signed: S3 refuses a body of any other size or a different
    // Content-Type with 403, so a client cannot store more than it declared. Browsers set
    // Content-Length themselves; the client sends only the type.
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: upload.key,
      ContentType: upload.contentType,
      ContentLength: upload.size,
    });
    return this.sign(command, upload.expiresAt, 'PUT', [
      { name: 'Content-Type', value: upload.contentType },
    ]);
  }

  async signDownload(download: DownloadTarget): Promise<SignedRequest> {
    // S3 answers the overrides the URL was signed with: the stored type, as an attachment, never
    // cached by a shared cache. (S3 cannot add nosniff or a CSP: the bucket's own origin and
    // the attachment disposition keep the bytes away from the console's origin.)
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: download.key,
      ResponseContentType: download.contentType,
      ResponseContentDisposition: contentDisposition(download.fileName),
      ResponseCacheControl: 'private, no-store',
    });
    return this.sign(command, download.expiresAt, 'GET', []);
  }

  /** Whether the bucket answers with these credentials (the service's readiness). */
  async ready(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.client.destroy();
  }

  private async sign(
    command: PutObjectCommand | GetObjectCommand,
    expiresAt: Date,
    method: 'PUT' | 'GET',
    headers: SignedRequest['headers'],
  ): Promise<SignedRequest> {
    // A presigned URL is valid from its X-Amz-Date (whole seconds) for X-Amz-Expires seconds:
    // sign at a whole second so the answer's expiresAt is exactly when S3 stops taking it.
    const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const expiresIn = Math.max(1, Math.floor((expiresAt.getTime() - signingDate.getTime()) / 1000));
    const url = await getSignedUrl(this.client, command, {
      signingDate,
      expiresIn,
      signableHeaders: method === 'PUT' ? new Set(['content-type', 'content-length']) : undefined,
    });
    return {
      url,
      method,
      headers,
      expiresAt: new Date(signingDate.getTime() + expiresIn * 1000),
    };
  }
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchKey' ||
      error.name === 'NotFound' ||
      error.$metadata.httpStatusCode === 404)
  );
}
