import type http from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GraphQLError,
  getOperationAST,
  parse,
  validate,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { Context } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErrorCode, type Identity, type Logger, type RevocationStore } from '@psa/shared';
import {
  checkCaller,
  refusalMessage,
  refusalOfStanding,
  type CallerCheckOptions,
  type Refusal,
} from '../caller-check';
import { WebSocketCloseCode } from './close-code';
import type { RealtimeHub, Subscriber } from './realtime-hub';
import type { ResultSharing } from '../result-sharing';
import { realtimeOperation, type RealtimeOperation } from './realtime-operation';
import { serveGraphqlWs, type SocketExtra } from './ws-transport';

export interface SubscriptionLimits {
  /** Subscriptions one connection may hold at once. */
  maxSubscriptionsPerConnection: number;
  /** Largest message a client may send, bytes (larger ones close the socket with 1009). */
  maxMessageBytes: number;
  /** How long a client has to send `connection_init`, ms. */
  connectionInitTimeoutMs: number;
  /** Ping interval; a client that does not answer by the next one is dropped, ms. */
  keepAliveMs: number;
  /** How often open connections' sessions are checked against the revocation store, ms. */
  sessionCheckMs: number;
  /**
   * Results one subscription may have waiting while its client does not read them (the socket's
   * buffers are full); one more closes the connection with 1013 and drops what waited, so a
   * stalled client cannot make the gateway buffer without bound.
   */
  maxPendingResults: number;
  /** Most lexical tokens a subscription document may hold (as for HTTP operations). */
  maxTokens: number;
}

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  path: string;
  /** The gateway's current API schema, once loaded. */
  schema: () => GraphQLSchema | null;
  /** Which fields' values subscribers of one role may share, from the current supergraph. */
  sharing: () => ResultSharing;
  hub: RealtimeHub;
  caller: CallerCheckOptions;
  revocations: RevocationStore;
  limits: SubscriptionLimits;
  logger: Logger;
}

/** What one connection carries after `connection_init`. */
interface Connection {
  identity: Identity;
  authorization: string;
  socket: WebSocket;
  /** Removals of its subscriptions, by subscription id. */
  subscriptions: Map<string, () => void>;
  expiry: NodeJS.Timeout;
}

/** What a subscription's execution carries from onSubscribe to subscribe. */
interface SubscriptionContext {
  connection: Connection;
  id: string;
  realtime: RealtimeOperation;
}

type ConnectionContext = Context<
  Record<string, unknown>,
  SocketExtra & { connection?: Connection }
>;

/** `error` with `extensions.code` set (graphql-js's parse and validation errors carry none). */
function withCode(error: GraphQLError, code: ErrorCode): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });
}

/**
 * The close code a refused token gets: 4403 when its session ended or changed (refresh or log in),
 * 4401 when the token itself is not accepted or cannot be checked.
 */
function closeCodeOf(refusal: Refusal): WebSocketCloseCode {
  switch (refusal.kind) {
    case 'revoked':
    case 'role-changed':
      return WebSocketCloseCode.Forbidden;
    case 'invalid':
    case 'unchecked':
      return WebSocketCloseCode.Unauthorized;
    default: {
      const unknown: never = refusal;
      throw new Error(`unknown refusal ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * A push-driven async iterator: the hub pushes results, graphql-ws sends them one at a time, each
 * once the socket took the previous one. More than `maxPending` waiting calls `onOverflow`
 * instead of buffering.
 */
function resultStream(onEnd: () => void, maxPending: number, onOverflow: () => void) {
  const buffered: ExecutionResult[] = [];
  let waiting: ((value: IteratorResult<ExecutionResult>) => void) | null = null;
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: () => {
      const next = buffered.shift();
      if (next) return Promise.resolve({ value: next, done: false });
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    return: () => {
      finish();
      waiting?.({ value: undefined, done: true });
      waiting = null;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  const push = (result: ExecutionResult) => {
    if (ended) return;
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value: result, done: false });
    } else if (buffered.length >= maxPending) onOverflow();
    else buffered.push(result);
  };
  return {
    iterator,
    push,
    end: (last?: ExecutionResult) => {
      if (last) push(last);
      finish();
      if (buffered.length === 0) {
        waiting?.({ value: undefined, done: true });
        waiting = null;
      }
    },
    /** Ends the stream and drops what waits (its socket is gone or will not take it). */
    drop: () => {
      buffered.length = 0;
      finish();
      waiting?.({ value: undefined, done: true });
      waiting = null;
    },
  };
}

/**
 * Serves GraphQL subscriptions over WebSocket (graphql-ws) on the gateway's HTTP server. The
 * access token comes in `connection_init` and is checked like an HTTP request's (signature,
 * issuer, audience, revocation); the connection is closed with 4401 when it is missing, invalid
 * or expires, and with 4403 when its session ends. Returns `close()`, which ends every
 * subscription and closes every socket with 1001.
 */
export function startSubscriptionServer(options: SubscriptionServerOptions): {
  close(): Promise<void>;
  /** Open connections that passed `connection_init`. */
  connections(): number;
} {
  const { limits, logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });
  const connections = new Set<Connection>();
  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== options.path) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  options.httpServer.on('upgrade', onUpgrade);

  const closeConnection = (connection: Connection, code: number, reason: string) => {
    logger.debug({ code, reason, userId: connection.identity.userId }, 'closing a WebSocket');
    clearTimeout(connection.expiry);
    connection.socket.close(code, reason);
  };

  // A client that does not read: its subscriptions end at once (the hub stops resolving for them
  // and nothing more is buffered); the close frame waits behind what the socket already holds.
  const closeSlowConnection = (connection: Connection) => {
    logger.warn(
      { userId: connection.identity.userId, maxPendingResults: limits.maxPendingResults },
      'closing a WebSocket whose client does not read its results',
    );
    for (const drop of [...connection.subscriptions.values()]) drop();
    closeConnection(
      connection,
      WebSocketCloseCode.TryAgainLater,
      'Too many results waiting: the client is not reading',
    );
  };

  // One look-up per session, however many connections it holds.
  const sessionCheck = setInterval(() => {
    const bySession = new Map<string, Connection[]>();
    for (const connection of connections) {
      const group = bySession.get(connection.identity.sessionId);
      if (group) group.push(connection);
      else bySession.set(connection.identity.sessionId, [connection]);
    }
    for (const group of bySession.values()) {
      const [first] = group;
      if (!first) continue;
      options.revocations.standing(first.identity).then(
        (standing) => {
          const refusal = refusalOfStanding(standing);
          if (!refusal) return;
          for (const connection of group) {
            closeConnection(connection, closeCodeOf(refusal), refusalMessage(refusal));
          }
        },
        // The store is unreachable (Redis restarting): open sockets stay; new ones are refused.
        () => undefined,
      );
    }
  }, limits.sessionCheckMs);
  sessionCheck.unref();

  const server = serveGraphqlWs<{ connection?: Connection }>(
    {
      connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
      onConnect: async (ctx: ConnectionContext) => {
        const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const authorization = typeof raw === 'string' ? raw : undefined;
        const check = await checkCaller(authorization, options.caller);
        if (check.status === 'anonymous') {
          ctx.extra.socket.close(
            WebSocketCloseCode.Unauthorized,
            'Send the access token in connection_init: {"authorization": "Bearer <token>"}',
          );
          return false;
        }
        if (check.status === 'refused') {
          ctx.extra.socket.close(closeCodeOf(check.refusal), refusalMessage(check.refusal));
          return false;
        }
        const { identity } = check;
        const connection: Connection = {
          identity,
          authorization: authorization as string,
          socket: ctx.extra.socket,
          subscriptions: new Map(),
          expiry: setTimeout(
            () =>
              closeConnection(connection, WebSocketCloseCode.Unauthorized, 'Access token expired'),
            Math.max(0, identity.expiresAt * 1000 - Date.now()),
          ),
        };
        connection.expiry.unref();
        ctx.extra.connection = connection;
        connections.add(connection);
        return true;
      },
      onClose: (ctx: ConnectionContext) => {
        const connection = ctx.extra.connection;
        if (!connection) return;
        clearTimeout(connection.expiry);
        connections.delete(connection);
        for (const remove of connection.subscriptions.values()) remove();
      },
      onSubscribe: (ctx: ConnectionContext, id, payload) => {
        const connection = ctx.extra.connection;
        const schema = options.schema();
        if (!connection || !schema) {
          return [
            new GraphQLError('The gateway is not ready', {
              extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
            }),
          ];
        }
        if (connection.subscriptions.size >= limits.maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(
              `At most ${limits.maxSubscriptionsPerConnection} subscriptions per connection`,
              { extensions: { code: ErrorCode.BAD_USER_INPUT } },
            ),
          ];
        }
        // Every error carries a code, as over HTTP.
        let document;
        try {
          document = parse(payload.query, { maxTokens: limits.maxTokens });
        } catch (error) {
          return [
            error instanceof GraphQLError
              ? withCode(error, ErrorCode.GRAPHQL_PARSE_FAILED)
              : new GraphQLError('Invalid query', {
                  extensions: { code: ErrorCode.GRAPHQL_PARSE_FAILED },
                }),
          ];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) {
          return errors.map((error) => withCode(error, ErrorCode.GRAPHQL_VALIDATION_FAILED));
        }
        const operation = getOperationAST(document, payload.operationName ?? undefined);
        if (!operation) {
          return [
            new GraphQLError('Name the operation to run (operationName)', {
              extensions: { code: ErrorCode.OPERATION_RESOLUTION_FAILURE },
            }),
          ];
        }
        let realtime: RealtimeOperation;
        try {
          realtime = realtimeOperation(
            schema,
            options.sharing(),
            document,
            operation,
            payload.variables ?? {},
          );
        } catch (error) {
          return [error as GraphQLError];
        }
        // The slot is taken now: the subscription registers asynchronously, and the next
        // subscribe message may already be here.
        connection.subscriptions.set(id, () => undefined);
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables ?? {},
          contextValue: { connection, id, realtime } satisfies SubscriptionContext,
        };
      },
      subscribe: async (args) => {
        // What onSubscribe checked and derived, handed over instead of worked out again.
        const { connection, id, realtime } = args.contextValue as SubscriptionContext;
        // Only someone who may read the project subscribes to it (a user's channel is their own).
        const access =
          realtime.projectId === null ||
          (await options.hub.canRead(realtime.projectId, connection.authorization));
        if (!access) {
          connection.subscriptions.delete(id);
          return {
            errors: [
              new GraphQLError('Project not found', { extensions: { code: ErrorCode.NOT_FOUND } }),
            ],
          };
        }
        let remove: () => void = () => undefined;
        const stream = resultStream(
          () => {
            connection.subscriptions.delete(id);
            remove();
          },
          limits.maxPendingResults,
          () => closeSlowConnection(connection),
        );
        const subscriber: Subscriber = {
          identity: connection.identity,
          authorization: connection.authorization,
          operation: realtime,
          deliver: stream.push,
          end: stream.end,
        };
        remove = await options.hub.add(subscriber);
        connection.subscriptions.set(id, () => stream.drop());
        return stream.iterator;
      },
    },
    wss,
    limits.keepAliveMs,
    logger,
  );

  return {
    connections: () => connections.size,
    close: async () => {
      clearInterval(sessionCheck);
      options.httpServer.off('upgrade', onUpgrade);
      for (const connection of connections)
        closeConnection(connection, WebSocketCloseCode.GoingAway, 'Server shutting down');
      for (const client of wss.clients)
        client.close(WebSocketCloseCode.GoingAway, 'Server shutting down');
      await server.dispose();
    },
  };
}
