import pLimit from 'p-limit';
import { randomUUID } from 'node:crypto';
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  HeaderMap,
  type ApolloServer,
  type ApolloServerPlugin,
  type BaseContext,
} from '@apollo/server';
import { ErrorCode, HTTP_STATUS } from '../errors/error-code';
import { codeOf } from '../errors/format-error';
import type { Logger } from '../logging/logger';
import { requestErrorStatusPlugin } from './request-error-status.plugin';

/** What every request context carries: its id (from `x-request-id` or new) and a logger bound to it. */
export interface RequestContextBase extends BaseContext {
  requestId: string;
  logger: Logger;
}

/** The incoming request as context factories see it. */
export interface IncomingRequest {
  headers: IncomingHttpHeaders;
  requestId: string;
  logger: Logger;
  /** Client address (the socket's; no proxy header is trusted). */
  ip: string;
}

/** A plain HTTP route served beside `/graphql` (e.g. a JWKS document). */
export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface GraphQLServerOptions<TContext extends RequestContextBase> {
  /** Names the process in logs and health answers. */
  name: string;
  /** A configured, not yet started Apollo Server. */
  apollo: ApolloServer<TContext>;
  context: (request: IncomingRequest) => Promise<TContext>;
  port: number;
  host: string;
  logger: Logger;
  /** Largest request body accepted; larger ones get 413. */
  bodyLimitBytes: number;
  /** Client `/graphql` requests answered at once; the rest wait their turn in order. */
  maxConcurrentRequests?: number;
  /** How long `stop()` waits for in-flight requests before closing their sockets. */
  shutdownGraceMs: number;
  /**
   * How long `stop()` keeps serving after `/readyz` turned 503, so load balancers stop sending
   * new requests before the server stops accepting them. Default 0.
   */
  shutdownDelayMs?: number;
  /** Named dependency checks for `/readyz` (all must be true, but those in `degradedWithout`). */
  readiness?: () => Record<string, boolean>;
  /**
   * Checks whose failure leaves the process serving what it can: `/readyz` answers 200 with
   * status `degraded` and the failed checks, so a load balancer keeps sending (a Redis outage
   * must not take every replica out).
   */
  degradedWithout?: readonly string[];
  /** Extra routes by exact path. */
  routes?: Record<string, Route>;
  /**
   * Routes for every path under a prefix (e.g. `/api/`: a REST API), any method, after the exact
   * routes and before `fallback`; the first prefix that matches serves.
   */
  prefixRoutes?: Record<string, Route>;
  /**
   * Routes for every path under a prefix that move large bodies either way (file uploads and
   * downloads), like `prefixRoutes` but timed differently: no bound on a whole request, which a
   * big file over a slow link would outlast, but one on inactivity: the request is cut once no
   * byte moved in or out for `transferIdleTimeoutMs`.
   */
  transferRoutes?: Record<string, Route>;
  /** How long a transfer route's request may stall (default 60 s). */
  transferIdleTimeoutMs?: number;
  /**
   * How long a request's body may take to arrive once its headers did (default 30 s; the headers
   * themselves get 10 s). A transfer route's has no such bound.
   */
  requestTimeoutMs?: number;
  /** Serves GET and HEAD requests no route matched (e.g. the web console's files). */
  fallback?: Route;
  /** Browser origins allowed to call the API (CORS). Default: none. */
  corsOrigins?: readonly string[];
}

/** A GraphQL request handed to a server in the same process, as it would arrive over HTTP. */
export interface InProcessRequest {
  method: string;
  /** The URL the caller would have sent it to (its path must be `/graphql`). */
  url: string;
  /** Header names in any case, as a fetch call's headers. */
  headers: Record<string, string>;
  body?: string;
}

/** The answer a server in the same process gives: what it would have written to the socket. */
export interface InProcessResponse {
  status: number;
  /** Header names in lower case. */
  headers: Map<string, string>;
  body: string;
}

/**
 * Serves a `/graphql` request without a socket: the same body limit, request id, context factory,
 * Apollo pipeline and answer as over HTTP, for a caller in the same process (the dev stack's
 * gateway). Rejects like a refused connection once the server has stopped.
 */
export type InProcessHandler = (request: InProcessRequest) => Promise<InProcessResponse>;

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly httpServer: http.Server;
  readonly handleInProcess: InProcessHandler;
  /**
   * Marks not-ready, keeps serving for `shutdownDelayMs`, runs `beforeClose` (e.g. closing
   * WebSockets), stops accepting, lets in-flight requests finish (bounded), stops Apollo.
   */
  stop(beforeClose?: () => Promise<void>): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id to use: the caller's when well-formed, else a new one. */
export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Thrown by {@link readBody} for a body over the limit (answer 413 and close the connection). */
export class BodyTooLargeError extends Error {}

/** The route of the first prefix `pathname` starts with. */
function prefixRouteOf(
  routes: Record<string, Route> | undefined,
  pathname: string,
): Route | undefined {
  return Object.entries(routes ?? {}).find(([prefix]) => pathname.startsWith(prefix))?.[1];
}

/** The request body as text; rejects with {@link BodyTooLargeError} past `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new BodyTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** A `/graphql` answer before it is written: to a socket, or handed to an in-process caller. */
interface GraphQLAnswer {
  status: number;
  headers: [string, string][];
  body: string | AsyncIterable<string>;
}

/** `code` with its HTTP status, or with `status` where the HTTP method calls for another. */
function graphqlError(
  code: ErrorCode,
  message: string,
  status = HTTP_STATUS[code],
): GraphQLAnswer & { body: string } {
  return {
    status,
    headers: [['content-type', 'application/json; charset=utf-8']],
    body: JSON.stringify({ errors: [{ message, extensions: { code } }] }),
  };
}

function writeAnswer(res: ServerResponse, answer: GraphQLAnswer): void | Promise<void> {
  for (const [key, value] of answer.headers) res.setHeader(key, value);
  res.statusCode = answer.status;
  if (typeof answer.body === 'string') {
    res.end(answer.body);
    return;
  }
  const chunks = answer.body;
  return (async () => {
    for await (const chunk of chunks) res.write(chunk);
    res.end();
  })();
}

/**
 * Apollo plugins every server uses: one log line per operation (name, outcome, duration) and the
 * stack of every unexpected error, both tagged with the request id.
 */
export function requestLoggingPlugin<TContext extends RequestContextBase>(
  userIdOf: (context: TContext) => string | null = () => null,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            if (codeOf(error.originalError) !== null) continue;
            const code = error.extensions?.code;
            if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) continue;
            contextValue.logger.error(
              { err: error.originalError ?? error, path: error.path },
              'unexpected error',
            );
          }
        },
        async willSendResponse({ operationName, errors }) {
          contextValue.logger.info(
            {
              operationName: operationName ?? null,
              userId: userIdOf(contextValue),
              errors: errors?.length ?? 0,
              durationMs: Number(process.hrtime.bigint() - started) / 1e6,
            },
            'graphql request',
          );
        },
      };
    },
  };
}

/**
 * Serves an Apollo Server over node:http: `POST|GET /graphql`, `/healthz` (alive), `/readyz`
 * (dependencies reachable and not draining), extra routes, a body limit, request ids and CORS.
 * Parse, validation and variable errors answer 200 to `application/json` clients and 400 to
 * `application/graphql-response+json` ones (GraphQL over HTTP). Resolves once listening.
 */
export async function startGraphQLServer<TContext extends RequestContextBase>(
  options: GraphQLServerOptions<TContext>,
): Promise<RunningServer> {
  const limit = options.maxConcurrentRequests ? pLimit(options.maxConcurrentRequests) : null;
  const { apollo, logger } = options;
  // Every server speaks the same GraphQL over HTTP, whoever configured its Apollo Server.
  apollo.addPlugin(requestErrorStatusPlugin<TContext>());
  await apollo.start();
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | null = null;
  const allowedOrigins = new Set(options.corsOrigins ?? []);

  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const transferIdleTimeoutMs = options.transferIdleTimeoutMs ?? 60_000;

  // A request that ran out of time is answered as Node answers its own timeouts (the clientError
  // handler below: a JSON 408 when nothing was answered yet, else the socket is closed).
  const timedOut = (req: IncomingMessage) => {
    const error: NodeJS.ErrnoException = new Error('request timed out');
    error.code = 'ERR_HTTP_REQUEST_TIMEOUT';
    httpServer.emit('clientError', error, req.socket);
  };

  // Node's own requestTimeout would bound transfers too: the bound is kept here, per request,
  // from when its headers arrived until its body did.
  const limitRequestTime = (req: IncomingMessage) => {
    if (req.complete) return;
    const timer = setTimeout(() => {
      if (!req.complete) timedOut(req);
    }, requestTimeoutMs).unref();
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = requestIdFrom(req.headers);
    res.setHeader('x-request-id', requestId);
    const origin = req.headers.origin;
    if (origin && allowedOrigins.has(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader(
        'access-control-allow-headers',
        'authorization, content-type, x-request-id, apollo-require-preflight, idempotency-key, range',
      );
      // PUT and HEAD, ranges and the download headers: the console's uploads and downloads (/files/).
      res.setHeader('access-control-allow-methods', 'GET, HEAD, POST, PUT, OPTIONS');
      res.setHeader(
        'access-control-expose-headers',
        'x-request-id, etag, content-disposition, content-range',
      );
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const transfer = prefixRouteOf(options.transferRoutes, url.pathname);
    if (transfer) res.setTimeout(transferIdleTimeoutMs, () => timedOut(req));
    else limitRequestTime(req);
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/healthz')
      return sendJson(res, 200, { status: 'ok', service: options.name });
    if (url.pathname === '/readyz') {
      const checks = options.readiness?.() ?? {};
      const failed = Object.keys(checks).filter((name) => !checks[name]);
      const degradable = new Set(options.degradedWithout ?? []);
      const ready = !draining && failed.every((name) => degradable.has(name));
      const status = !ready ? 'not ready' : failed.length > 0 ? 'degraded' : 'ready';
      return sendJson(res, ready ? 200 : 503, {
        status,
        service: options.name,
        draining,
        checks,
        ...(failed.length > 0 ? { failed } : {}),
      });
    }
    if (transfer) return transfer(req, res);
    const route =
      options.routes?.[url.pathname] ?? prefixRouteOf(options.prefixRoutes, url.pathname);
    if (route) return route(req, res);
    if (url.pathname !== '/graphql') {
      if (options.fallback && (req.method === 'GET' || req.method === 'HEAD')) {
        return options.fallback(req, res);
      }
      return sendJson(res, 404, { error: 'not found' });
    }
    const { method } = req;
    if (method !== 'POST' && method !== 'GET') {
      res.setHeader('allow', 'GET, POST');
      return writeAnswer(
        res,
        graphqlError(ErrorCode.BAD_REQUEST, 'Use POST (or GET for queries)', 405),
      );
    }
    let raw: string;
    try {
      raw = await readBody(req, options.bodyLimitBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        return writeAnswer(res, tooLarge());
      }
      throw error;
    }
    const answer = () =>
      answerGraphQL(
        method,
        req.headers,
        url.search,
        raw,
        requestId,
        req.socket.remoteAddress ?? '',
      );
    return writeAnswer(res, await (limit ? limit(answer) : answer()));
  };

  const tooLarge = (): GraphQLAnswer & { body: string } =>
    graphqlError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `Request body is larger than ${options.bodyLimitBytes} bytes`,
    );

  /** The `/graphql` answer, over HTTP and in-process alike: one pipeline, one set of rules. */
  const answerGraphQL = async (
    method: string,
    incoming: IncomingHttpHeaders,
    search: string,
    raw: string,
    requestId: string,
    ip: string,
  ): Promise<GraphQLAnswer> => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(incoming)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown = raw;
    if (raw.length > 0 && (headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.parse(raw);
      } catch {
        return graphqlError(ErrorCode.BAD_REQUEST, 'Request body is not valid JSON');
      }
    }
    const requestLogger = logger.child({ requestId });
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers, search, body },
      context: () => options.context({ headers: incoming, requestId, logger: requestLogger, ip }),
    });
    return {
      status: response.status ?? 200,
      // Answers carry who asked's data: no cache may keep them (what Apollo's cache-control plugin
      // sent before it was disabled for its per-field cost; no schema declares cache hints).
      headers: [['cache-control', 'no-store'], ...response.headers],
      body: response.body.kind === 'complete' ? response.body.string : response.body.asyncIterator,
    };
  };

  const internalError = (): GraphQLAnswer & { body: string } =>
    graphqlError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');

  let accepting = true;
  const handleInProcess: InProcessHandler = async (request) => {
    const url = new URL(request.url);
    if (url.pathname !== '/graphql') {
      throw new Error(`in-process calls serve /graphql only, not ${url.pathname}`);
    }
    // As a connection to a closed port would be refused.
    if (!accepting) throw new Error(`${options.name} has stopped (in-process call refused)`);
    // What Node's HTTP server would hand the handler: lower-case names, the Host the client sent.
    const headers: IncomingHttpHeaders = { host: url.host };
    for (const [key, value] of Object.entries(request.headers)) headers[key.toLowerCase()] = value;
    const requestId = requestIdFrom(headers);
    const raw = request.body ?? '';
    inFlight++;
    let answer: GraphQLAnswer;
    let text = '';
    try {
      if (request.method !== 'POST' && request.method !== 'GET') {
        answer = graphqlError(ErrorCode.BAD_REQUEST, 'Use POST (or GET for queries)', 405);
        answer.headers.push(['allow', 'GET, POST']);
      } else if (Buffer.byteLength(raw) > options.bodyLimitBytes) {
        answer = tooLarge();
      } else {
        // The caller is this process: the address a loopback connection would have had.
        answer = await answerGraphQL(
          request.method,
          headers,
          url.search,
          raw,
          requestId,
          '127.0.0.1',
        );
      }
      if (typeof answer.body === 'string') text = answer.body;
      else for await (const chunk of answer.body) text += chunk;
    } catch (error) {
      logger.error({ err: error }, 'request failed');
      const failed = internalError();
      answer = failed;
      text = failed.body;
    } finally {
      inFlight--;
      if (inFlight === 0) idle?.();
    }
    return {
      status: answer.status,
      headers: new Map([
        ['x-request-id', requestId],
        ...answer.headers.map(([key, value]): [string, string] => [key.toLowerCase(), value]),
      ]),
      body: text,
    };
  };

  // Timeouts are enforced when the server checks its connections: every second, not every 30 s
  // (Node's default), so a slowloris socket lasts about `headersTimeout`, not up to 40 s.
  const httpServer = http.createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    inFlight++;
    handle(req, res)
      .catch((error: unknown) => {
        logger.error({ err: error }, 'request failed');
        if (!res.headersSent) writeAnswer(res, internalError());
        else res.end();
      })
      .finally(() => {
        inFlight--;
        if (inFlight === 0) idle?.();
      });
  });
  // Slow or stalled clients must not hold sockets forever: headers within 10 s here, bodies by
  // limitRequestTime and transfers by their idle timeout (0 turns Node's whole-request bound off).
  httpServer.requestTimeout = 0;
  httpServer.headersTimeout = 10_000;
  httpServer.keepAliveTimeout = 5_000;
  // Malformed HTTP, headers too large and timeouts get a GraphQL-shaped JSON answer, not Node's
  // bare status line.
  httpServer.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node does: once a response went out on this socket, a second one would corrupt it.
    if (error.code === 'ECONNRESET' || !socket.writable || (socket as Socket).bytesWritten > 0) {
      socket.destroy();
      return;
    }
    const [status, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request headers are too large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'The request was not received in time']
          : [400, 'Malformed HTTP request'];
    const body = JSON.stringify({
      errors: [{ message, extensions: { code: ErrorCode.BAD_REQUEST } }],
    });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  const displayHost =
    options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  logger.info({ port }, `${options.name} listening`);

  let stopping: Promise<void> | null = null;
  const stop = (beforeClose?: () => Promise<void>): Promise<void> => {
    stopping ??= (async () => {
      draining = true;
      if (options.shutdownDelayMs) {
        await new Promise((resolve) => setTimeout(resolve, options.shutdownDelayMs));
      }
      await beforeClose?.();
      accepting = false;
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (idle = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, options.shutdownGraceMs).unref()),
        ]);
      }
      httpServer.closeAllConnections();
      await closed;
      await apollo.stop();
    })();
    return stopping;
  };

  return { url: `http://${displayHost}:${port}/graphql`, port, httpServer, handleInProcess, stop };
}
