import type { IncomingHttpHeaders } from 'node:http';
import type { Connection } from 'mongoose';
import { consumerName } from '../events/domain-events';
import type { EventBus, EventHandler } from '../events/event-bus';
import type { Outbox } from '../events/outbox';
import { callerFrom, type Caller } from '../auth/request-identity';
import type { KeySet } from '../auth/key-set';
import type { Logger } from '../logging/logger';
import { IDEMPOTENCY_KEY_HEADER } from '../mongo/create-once';
import { connectMongo } from '../mongo/mongo-connection';
import { ServiceMetrics } from '../observability/metrics';
import { loadTypeDefs } from '../graphql/type-defs';
import type { InProcessHandler, RequestContextBase, Route } from './graphql-server';
import { startSubgraph } from './subgraph';
import { tokenGuardPlugin } from './token-guard';

/** The longest key a client may send (the gateway refuses longer ones before they get here). */
const MAX_IDEMPOTENCY_KEY = 255;

/** The forwarded key, or null when absent or not one the gateway would have passed on. */
function idempotencyKeyFrom(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_IDEMPOTENCY_KEY) {
    return null;
  }
  return /^[\x21-\x7e]+$/.test(header) ? header : null;
}

/**
 * The origin the client reached the graph at: as the gateway forwards it (`x-forwarded-proto`,
 * `x-forwarded-host`; subgraphs are private, so only the gateway sends them), else the request's
 * own `Host` (a client calling the subgraph directly, in its tests).
 */
function originFrom(headers: IncomingHttpHeaders): string | null {
  const proto = headers['x-forwarded-proto'];
  const host = headers['x-forwarded-host'] ?? headers.host;
  if (typeof host !== 'string' || !/^[A-Za-z0-9.:[\]-]+$/.test(host)) return null;
  return `${proto === 'https' ? 'https' : 'http'}://${host}`;
}

/** A running subgraph service. */
export interface SubgraphService {
  readonly url: string;
  readonly port: number;
  /**
   * Serves a `/graphql` request from a caller in the same process (the dev stack's gateway)
   * without a socket, through the same context and rules as over HTTP.
   */
  readonly handleInProcess: InProcessHandler;
  /** Resolves once the database is connected and the service initialized (tests and the dev stack wait). */
  whenReady(): Promise<void>;
  stop(): Promise<void>;
}

/** What every subgraph's context carries: the request basics and the verified caller. */
export interface SubgraphContextBase extends RequestContextBase {
  caller: Caller;
  /**
   * The client's `Idempotency-Key` as the gateway forwards it (null without one); creates store
   * it scoped to the caller ({@link creationKey}) so a retried request writes once.
   */
  idempotencyKey: string | null;
  /** Where the client reached the graph (e.g. `https://psa.example.com`), for absolute links; null when unknown. */
  origin: string | null;
}

/** What a service builds on its database connection. */
export interface ServiceParts<TContext extends SubgraphContextBase> {
  /** Models whose indexes are built before the service reports ready. */
  models: { init(): Promise<unknown> }[];
  /** Extends the base context with the service's per-request parts (DataLoaders, domain). */
  context(base: SubgraphContextBase): TContext;
  /** Runs once connected, after the indexes (e.g. seeding). */
  initialize?(): Promise<void>;
  /** More named checks for `/readyz` beside the database (e.g. Redis). */
  readiness?(): Record<string, boolean>;
  /** Those of its checks whose failure only degrades the service (`/readyz` stays 200). */
  degradedWithout?: string[];
  /** Releases what the parts hold (e.g. a Redis client); runs on stop, after the server closed. */
  dispose?(): Promise<void>;
  /** Domain event handlers by stream; the service consumes each stream as its own group. */
  consumers?: Record<string, EventHandler>;
  /** Delivers what writes left undelivered, in the background, once ready. */
  outbox?: Outbox;
  /**
   * Plain HTTP routes for every path under a prefix that move large bodies (e.g. `/files/`),
   * served beside `/graphql`: bounded by FILES_IDLE_TIMEOUT_MS of inactivity instead of
   * REQUEST_TIMEOUT_MS in all.
   */
  transferRoutes?: Record<string, Route>;
}

export interface SubgraphServiceOptions<TContext extends SubgraphContextBase> {
  name: string;
  /** The service package's root (its `src/schema.graphql` is the schema). */
  serviceRoot: string;
  resolvers: object;
  config: {
    NODE_ENV: string;
    HOST: string;
    MONGO_URL: string;
    BODY_LIMIT_BYTES: number;
    SHUTDOWN_GRACE_MS: number;
    SHUTDOWN_DELAY_MS: number;
    REQUEST_TIMEOUT_MS: number;
    FILES_IDLE_TIMEOUT_MS: number;
    JWT_ISSUER: string;
    JWT_AUDIENCE: string;
  };
  port: number;
  dbName: string;
  /** Keys access tokens are verified with. */
  keySet: KeySet;
  /** Domain events in and out; closed when the service stops. */
  events: EventBus;
  /** Root fields served without a token (e.g. signUp, login); everything else needs one. */
  publicRootFields?: readonly string[];
  logger: Logger;
  /** Plain HTTP routes served beside `/graphql`, by exact path (e.g. the JWKS document). */
  routes?: Record<string, Route>;
  /** Builds the service's parts; `metrics` is the service's registry (e.g. for its outbox). */
  setup(connection: Connection, metrics: ServiceMetrics): ServiceParts<TContext>;
}

/**
 * The one way a subgraph service starts: connect to its own database (in the background,
 * retrying), build its indexes and initialize once connected, and serve its schema with the
 * verified caller in every context; `/readyz` follows the database. Resolves once listening.
 */
export async function startSubgraphService<TContext extends SubgraphContextBase>(
  options: SubgraphServiceOptions<TContext>,
): Promise<SubgraphService> {
  const { config, logger } = options;
  const metrics = new ServiceMetrics(options.name);
  const dbCommands = metrics.counter({
    name: 'psa_mongodb_commands_total',
    help: 'Database commands sent, by command and collection.',
    labelNames: ['command', 'collection'],
  });
  const mongo = connectMongo({
    url: config.MONGO_URL,
    dbName: options.dbName,
    logger,
    onCommand: (command, collection) => dbCommands.inc({ command, collection }),
  });
  const parts = options.setup(mongo.connection, metrics);
  const tokenSettings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  const { events } = options;
  const ready = mongo.whenConnected().then(async () => {
    await Promise.all(parts.models.map((model) => model.init()));
    await parts.initialize?.();
    for (const [stream, handler] of Object.entries(parts.consumers ?? {})) {
      await events.consume({
        stream,
        group: options.name,
        consumer: consumerName(),
        handler: async (event) => {
          try {
            await handler(event);
            metrics.eventsHandled.inc({ type: event.type, outcome: 'ok' });
          } catch (error) {
            metrics.eventsHandled.inc({ type: event.type, outcome: 'failed' });
            throw error;
          }
        },
        onDeadLetter: (letter) => metrics.eventsDeadLettered.inc({ type: letter.event.type }),
      });
    }
    parts.outbox?.start();
  });
  ready.catch((error: unknown) =>
    logger.error({ err: error }, `${options.name} service failed to initialize`),
  );
  try {
    const server = await startSubgraph<TContext>({
      name: options.name,
      typeDefs: loadTypeDefs(options.serviceRoot),
      resolvers: options.resolvers,
      port: options.port,
      host: config.HOST,
      logger,
      development: config.NODE_ENV !== 'production',
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      shutdownDelayMs: config.SHUTDOWN_DELAY_MS,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      transferIdleTimeoutMs: config.FILES_IDLE_TIMEOUT_MS,
      readiness: () => ({
        mongodb: mongo.isReady(),
        events: events.isReady(),
        ...parts.readiness?.(),
      }),
      // Without Redis, events wait in the outbox and are published when it is back.
      degradedWithout: ['events', ...(parts.degradedWithout ?? [])],
      routes: { ...options.routes, '/metrics': metrics.route() },
      transferRoutes: parts.transferRoutes,
      userIdOf: (context) => context.caller.identity?.userId ?? null,
      plugins: [
        tokenGuardPlugin<TContext>(options.publicRootFields ?? []),
        metrics.plugin<TContext>(),
      ],
      context: async ({ headers, requestId, logger: requestLogger }) =>
        parts.context({
          requestId,
          logger: requestLogger,
          caller: await callerFrom(headers, options.keySet, tokenSettings),
          idempotencyKey: idempotencyKeyFrom(headers[IDEMPOTENCY_KEY_HEADER]),
          origin: originFrom(headers),
        }),
    });
    return {
      url: server.url,
      port: server.port,
      handleInProcess: server.handleInProcess,
      whenReady: () => ready,
      stop: async () => {
        await server.stop();
        await parts.outbox?.stop();
        await events.close();
        await mongo.close();
        await parts.dispose?.();
      },
    };
  } catch (error) {
    await events.close();
    await mongo.close();
    await parts.dispose?.();
    throw error;
  }
}
