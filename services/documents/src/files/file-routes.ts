import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, HTTP_STATUS, type Logger, type Route } from '@psa/shared';
import { FileTooLargeError, type ByteRange, type FileStore } from './file-store';
import { DOWNLOAD_PATH, UPLOAD_PATH } from './local-file-store';
import type { UrlSigner } from './url-signer';

/** What the routes ask the documents service. */
export interface FileRouteHooks {
  /** Whether an upload to `key` is still expected (created, neither completed nor replaced). */
  expectsUpload(key: string): Promise<boolean>;
  /** Records a DOWNLOAD of document `documentId` by user `userId`. */
  downloaded(documentId: string, userId: string): Promise<void>;
}

export interface FileRoutesOptions {
  store: FileStore;
  signer: UrlSigner;
  hooks: FileRouteHooks;
  logger: Logger;
}

function sendError(res: ServerResponse, code: ErrorCode, message: string, status?: number): void {
  const text = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status ?? HTTP_STATUS[code], {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The request's body as a stream of its own: the store may destroy it (a body over the limit)
 * without destroying the request and its socket, which still carries the 413 answer. A client
 * that goes away mid-body fails it.
 */
function detachedBody(req: IncomingMessage): PassThrough {
  const body = new PassThrough();
  req.pipe(body);
  req.on('error', (error) => body.destroy(error));
  req.on('close', () => {
    if (!req.complete) body.destroy(new Error('the client closed the upload'));
  });
  return body;
}

/**
 * A byte range of a `size`-byte file from a `Range` header: null to answer everything (no header,
 * another unit, several ranges), 'unsatisfiable' for a range outside the file.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | null | 'unsatisfiable' {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return null;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return null;
  if (from === '') {
    // A suffix: the last `to` bytes.
    const length = Number(to);
    if (length === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * `Content-Disposition` for `name`: an ASCII-only `filename` without quotes, backslashes or
 * control characters (old clients), and the exact name in `filename*` (RFC 6266, 5987).
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_').trim() || 'download';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The local store's endpoints, served under `/files/` by the documents service and reached
 * through the gateway's origin: `PUT /files/upload/<token>` takes an upload's bytes, `GET|HEAD
 * /files/download/<token>` answers a stored version. The token is the URL's signature: a tampered
 * or expired one answers 403 and nothing is written or recorded.
 */
export function fileRoutes({ store, signer, hooks, logger }: FileRoutesOptions): Route {
  const upload = async (req: IncomingMessage, res: ServerResponse, token: string) => {
    const claims = signer.verify(token);
    if (!claims || claims.op !== 'put') {
      return sendError(res, ErrorCode.FORBIDDEN, 'This upload link is invalid or has expired');
    }
    if (!(await hooks.expectsUpload(claims.key))) {
      return sendError(res, ErrorCode.CONFLICT, 'This upload was completed or replaced');
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== claims.type) {
      return sendError(
        res,
        ErrorCode.BAD_REQUEST,
        `Content-Type must be ${claims.type}, as the upload was declared`,
      );
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > claims.size) {
      res.setHeader('connection', 'close');
      return sendError(
        res,
        ErrorCode.PAYLOAD_TOO_LARGE,
        `The body is larger than the declared ${claims.size} bytes`,
      );
    }
    let size: number;
    try {
      ({ size } = await store.put(claims.key, detachedBody(req), {
        maxBytes: claims.size,
        contentType: claims.type,
      }));
    } catch (error) {
      if (!req.complete && !(error instanceof FileTooLargeError)) return; // the client went away
      if (!(error instanceof FileTooLargeError)) throw error;
      // The rest of the body is not read: close the connection instead of draining it.
      res.setHeader('connection', 'close');
      return sendError(res, ErrorCode.PAYLOAD_TOO_LARGE, error.message);
    }
    if (size !== claims.size) {
      await store.delete([claims.key]);
      return sendError(
        res,
        ErrorCode.BAD_REQUEST,
        `${size} bytes arrived; the upload was declared with ${claims.size}`,
      );
    }
    res.writeHead(204).end();
  };

  const download = async (req: IncomingMessage, res: ServerResponse, token: string) => {
    const claims = signer.verify(token);
    if (!claims || claims.op !== 'get') {
      return sendError(res, ErrorCode.FORBIDDEN, 'This download link is invalid or has expired');
    }
    const stored = await store.head(claims.key, 0);
    if (!stored) return sendError(res, ErrorCode.NOT_FOUND, 'This file no longer exists');
    const etag = `"${claims.sha}"`;
    res.setHeader('etag', etag);
    res.setHeader('accept-ranges', 'bytes');
    res.setHeader('cache-control', 'private, no-cache');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('content-security-policy', 'sandbox');
    res.setHeader('content-disposition', contentDisposition(claims.name));
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304).end();
      return;
    }
    // A range after If-Range naming another version would mix two files' bytes: send it whole.
    const ifRange = req.headers['if-range'];
    const range =
      ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, stored.size) : null;
    if (range === 'unsatisfiable') {
      res.setHeader('content-range', `bytes */${stored.size}`);
      return sendError(res, ErrorCode.BAD_REQUEST, 'The range is outside the file', 416);
    }
    res.setHeader('content-type', claims.type);
    res.setHeader('content-length', range ? range.end - range.start + 1 : stored.size);
    if (range) res.setHeader('content-range', `bytes ${range.start}-${range.end}/${stored.size}`);
    const status = range ? 206 : 200;
    if (req.method === 'HEAD') {
      res.writeHead(status).end();
      return;
    }
    const body = await store.get(claims.key, range ?? undefined);
    if (!body) return sendError(res, ErrorCode.NOT_FOUND, 'This file no longer exists');
    await hooks.downloaded(claims.doc, claims.user);
    res.writeHead(status);
    await pipeline(body, res).catch((error: NodeJS.ErrnoException) => {
      // A client that stops reading (or seeks elsewhere) is no server error.
      if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE')
        logger.warn({ err: error }, 'download failed');
    });
  };

  return async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname.startsWith(UPLOAD_PATH)) {
      if (req.method !== 'PUT') {
        res.setHeader('allow', 'PUT');
        return sendError(res, ErrorCode.BAD_REQUEST, 'Upload with PUT', 405);
      }
      return upload(req, res, pathname.slice(UPLOAD_PATH.length));
    }
    if (pathname.startsWith(DOWNLOAD_PATH)) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return sendError(res, ErrorCode.BAD_REQUEST, 'Download with GET', 405);
      }
      return download(req, res, pathname.slice(DOWNLOAD_PATH.length));
    }
    sendError(res, ErrorCode.NOT_FOUND, `No file route ${pathname}`);
  };
}
