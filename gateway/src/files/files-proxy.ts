import { randomUUID } from 'node:crypto';
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { ApolloServer } from '@apollo/server';
import { ErrorCode, HTTP_STATUS, type Logger, type Route } from '@psa/shared';
import type { GatewayContext } from '../gateway-context';

/** Every path under it is the documents service's file endpoints (or a document's stable link). */
export const FILES_PREFIX = '/files/';
/** `/files/documents/<id>`: an uploaded document's `fileUrl`, redirected to a fresh download link. */
const DOCUMENT_LINK = /^\/files\/documents\/([^/]+)$/;

// Only what the file endpoints read travels on; credentials never do (the URL is the credential).
const FORWARDED_REQUEST_HEADERS = [
  'content-type',
  'content-length',
  'range',
  'if-range',
  'if-none-match',
] as const;
// Hop-by-hop headers are this connection's, not the answer's.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

const DOWNLOAD_URL_QUERY = 'query FileLink($id: ID!) { document(id: $id) { downloadUrl } }';

function sendError(res: ServerResponse, code: ErrorCode, message: string, status?: number): void {
  const text = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status ?? HTTP_STATUS[code], {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The origin the client reached the gateway at: its `Host`, or behind `trustedHops` reverse
 * proxies the `X-Forwarded-Proto` and `X-Forwarded-Host` they set. Null without a usable host.
 */
export function publicOrigin(headers: IncomingHttpHeaders, trustedHops: number): string | null {
  const last = (value: string | string[] | undefined): string | undefined =>
    (Array.isArray(value) ? value.join(',') : value)?.split(',').at(-1)?.trim();
  const proto = trustedHops > 0 ? last(headers['x-forwarded-proto']) : undefined;
  const host = (trustedHops > 0 ? last(headers['x-forwarded-host']) : undefined) ?? headers.host;
  if (!host || !/^[A-Za-z0-9.:[\]-]+$/.test(host)) return null;
  return `${proto === 'https' ? 'https' : 'http'}://${host}`;
}

export interface FilesProxyOptions {
  /** The documents subgraph's GraphQL URL; its origin serves the file endpoints. */
  documentsUrl: string;
  /** Runs the download-link query as the caller, through every check a request gets. */
  apollo: ApolloServer<GatewayContext>;
  trustProxyHops: number;
  logger: Logger;
}

/**
 * Serves `/files/` on the gateway's origin: a document's stable link (`/files/documents/<id>`)
 * redirects a signed-in reader (a bearer token) to a fresh signed download; every other path is
 * proxied to the documents service as streams both ways (uploads and downloads are never held in
 * memory), so the subgraph stays private.
 */
export function filesProxy(options: FilesProxyOptions): Route {
  const documents = new URL(options.documentsUrl);
  const agent = new http.Agent({ keepAlive: true });

  const redirect = async (req: IncomingMessage, res: ServerResponse, documentId: string) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendError(res, ErrorCode.BAD_REQUEST, 'Use GET', 405);
    }
    const authorization = req.headers.authorization;
    if (typeof authorization !== 'string') {
      return sendError(
        res,
        ErrorCode.UNAUTHENTICATED,
        'Sign in: send Authorization: Bearer <token>',
      );
    }
    const response = await options.apollo.executeOperation(
      { query: DOWNLOAD_URL_QUERY, variables: { id: decodeURIComponent(documentId) } },
      {
        contextValue: {
          requestId: randomUUID(),
          logger: options.logger,
          authorization,
          clientAddress: req.socket.remoteAddress ?? '',
          identity: null,
          origin: publicOrigin(req.headers, options.trustProxyHops) ?? undefined,
        },
      },
    );
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not used');
    const { data, errors } = response.body.singleResult;
    const error = errors?.[0];
    if (error) {
      const code = Object.values(ErrorCode).includes(error.extensions?.code as ErrorCode)
        ? (error.extensions?.code as ErrorCode)
        : ErrorCode.INTERNAL_SERVER_ERROR;
      return sendError(res, code, error.message);
    }
    const link = (data as { document: { downloadUrl: string | null } | null } | undefined)?.document
      ?.downloadUrl;
    if (!link) return sendError(res, ErrorCode.NOT_FOUND, 'This document has no uploaded file');
    res.writeHead(302, { location: link, 'cache-control': 'no-store' }).end();
  };

  const proxy = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const headers: http.OutgoingHttpHeaders = {};
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const requestId = res.getHeader('x-request-id');
      if (typeof requestId === 'string') headers['x-request-id'] = requestId;
      const upstream = http.request({
        protocol: documents.protocol,
        hostname: documents.hostname,
        port: documents.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      });
      upstream.on('response', (answer) => {
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) res.setHeader(name, value);
        }
        // The service refused the body before reading it all: so must this connection.
        if (answer.headers.connection === 'close') res.setHeader('connection', 'close');
        res.writeHead(answer.statusCode ?? 502);
        pipeline(answer, res)
          .catch(() => undefined)
          .finally(() => {
            if (!req.complete) req.destroy();
            resolve();
          });
      });
      upstream.on('error', (error) => {
        if (req.socket.destroyed) {
          // The client went away (or was cut for stalling): there is no one to answer.
        } else if (!res.headersSent) {
          options.logger.warn({ err: error }, 'documents service unreachable for /files/');
          sendError(
            res,
            ErrorCode.SERVICE_UNAVAILABLE,
            'The documents service is unavailable right now; try again',
          );
        } else res.destroy();
        resolve();
      });
      // A client that goes away, or is cut for stalling (a documents service that stalls stalls
      // the client's socket too), must not leave a half upload or an answer waiting upstream.
      req.on('close', () => {
        if (!req.complete) upstream.destroy();
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      req.pipe(upstream);
    });

  return async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const link = DOCUMENT_LINK.exec(pathname);
    if (link?.[1]) return redirect(req, res, link[1]);
    return proxy(req, res);
  };
}
