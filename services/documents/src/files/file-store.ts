import type { Readable } from 'node:stream';

/**
 * Where the documents service keeps uploaded files' bytes. The bytes never travel through
 * GraphQL: clients send and fetch them with short-lived signed URLs the store makes, and the
 * service only reads them back to verify a completed upload. Everything streams: no method holds
 * a whole file in memory.
 *
 * Implementations: {@link LocalFileStore} (the local disk; its URLs are served by the documents
 * service under `/files/`, reached through the gateway) and an S3-compatible one (presigned URLs
 * straight to the bucket).
 */
export interface FileStore {
  /**
   * Whether the store's signed URLs are served by the documents service itself (`/files/` routes),
   * which then records each download when it is fetched. When false the URLs go straight to the
   * store, and the service records a download when it hands one out.
   */
  readonly servesOwnUrls: boolean;

  /**
   * Writes `body` under `key`, replacing what was there only once every byte arrived. Once more
   * than `maxBytes` arrive it stops reading and rejects with {@link FileTooLargeError}, leaving
   * nothing under `key`; on any other failure nothing is left either.
   */
  put(key: string, body: Readable, options: PutOptions): Promise<{ size: number }>;

  /**
   * The bytes under `key` (all, or the inclusive `range`), or null when there is none. The range
   * must lie within the object (callers check it against {@link head}'s size).
   */
  get(key: string, range?: ByteRange): Promise<Readable | null>;

  /** The size of what is under `key` and its first `headBytes` bytes (fewer when it is shorter); null when none. */
  head(key: string, headBytes: number): Promise<StoredHead | null>;

  /** Deletes what is under each key; a key with nothing under it is no error. */
  delete(keys: readonly string[]): Promise<void>;

  /** A URL the client sends the bytes of `upload` to, with the method and headers to use. */
  signUpload(upload: UploadTarget, origin: PublicOrigin): Promise<SignedRequest>;

  /** A URL that answers the bytes of `download` as an attachment. */
  signDownload(download: DownloadTarget, origin: PublicOrigin): Promise<SignedRequest>;
}

export interface PutOptions {
  maxBytes: number;
  contentType: string;
}

/** Inclusive byte offsets, as in an HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredHead {
  size: number;
  head: Buffer;
}

/**
 * Where the client reached the graph (e.g. `https://psa.example.com`): stores whose URLs the
 * documents service serves make them absolute on it; others ignore it.
 */
export type PublicOrigin = string;

/** One upload the service expects: exactly `size` bytes of `contentType` under `key`. */
export interface UploadTarget {
  key: string;
  contentType: string;
  size: number;
  /** When the URL stops working (at most 15 minutes from now). */
  expiresAt: Date;
}

/** One stored version to hand out. */
export interface DownloadTarget {
  key: string;
  contentType: string;
  /** The file name for `Content-Disposition` (already sanitised). */
  fileName: string;
  size: number;
  sha256: string;
  /** The document it belongs to (the local store's download records a DOWNLOAD of it). */
  documentId: string;
  /** Who the URL is for (the one the DOWNLOAD is recorded for). */
  userId: string;
  /** When the URL stops working (at most 5 minutes from now). */
  expiresAt: Date;
}

export interface SignedRequest {
  url: string;
  method: 'PUT' | 'GET';
  /** Headers the client must send with it (e.g. the content type a presigned PUT was signed with). */
  headers: { name: string; value: string }[];
  expiresAt: Date;
}

/** {@link FileStore.put} received more than its `maxBytes`. */
export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The body is larger than the declared ${maxBytes} bytes`);
    this.name = 'FileTooLargeError';
  }
}
