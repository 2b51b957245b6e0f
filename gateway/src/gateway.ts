import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import type { Fetcher } from '@apollo/utils.fetcher';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import {
  createErrorFormatter,
  createPubSub,
  createRedisClient,
  createVerifierKeySet,
  FallbackRevocationStore,
  InMemoryRevocationStore,
  isRedisReady,
  RedisRevocationStore,
  requestLoggingPlugin,
  startGraphQLServer,
  type IncomingRequest,
  type InProcessHandler,
  type KeySet,
  ServiceMetrics,
  type Logger,
  type PubSub,
  type RevocationStore,
  type RunningServer,
} from '@psa/shared';
import { accessRulesFromSupergraph } from './access-rules';
import { clientAddress } from './client-address';
import type { GatewayConfig } from './config';
import { staticFiles } from './console/static-files';
import { CredentialRateLimits } from './credential-rate-limits';
import { FILES_PREFIX, filesProxy, publicOrigin } from './files/files-proxy';
import { EntityCache, forgetDeletedAccountsPlugin } from './entity-cache';
import { ForwardingDataSource } from './forwarding.data-source';
import type { GatewayContext } from './gateway-context';
import { idempotencyPlugin } from './idempotency/idempotency.plugin';
import { MemoryIdempotencyStore, RedisIdempotencyStore } from './idempotency/idempotency-store';
import { inProcessFetcher } from './in-process-fetcher';
import { keepAliveFetcher, subgraphAgent } from './keep-alive-fetcher';
import { operationGuardPlugin } from './operation-guard.plugin';
import { patchDateTimeScalar } from './patch-date-time-scalar';
import { refuseHttpSubscriptionsPlugin } from './refuse-http-subscriptions.plugin';
import { REST_PREFIX, restApi } from './rest/rest-api';
import { restExecutor } from './rest/rest-executor';
import { resultSharingFromSupergraph } from './result-sharing';
import { forgetEndedSessionsPlugin, UsersSessionStanding } from './session-standing';
import { inProcessExecutor } from './subscriptions/in-process-executor';
import { projectReadersFrom } from './subscriptions/project-readers';
import { RealtimeHub } from './subscriptions/realtime-hub';
import { startSubscriptionServer } from './subscriptions/subscription-server';
import { SUPERGRAPH_PATH, type SubgraphName } from './supergraph';
import { timedFetcher } from './timed-fetcher';

export { loadGatewayConfig, parseRate, type GatewayConfig, type Rate } from './config';
export { accessRulesFromSupergraph, AccessRules } from './access-rules';
export type { GatewayContext } from './gateway-context';
export { openApiDocumentFor } from './rest/rest-api';
export { WebSocketCloseCode } from './subscriptions/close-code';

/** What the gateway can be given instead of building it from the configuration. */
export interface GatewayDeps {
  /**
   * Where revoked sessions are looked up. Default: Redis when REDIS_URL is set, else an in-memory
   * store (which only helps when the users service in the same process writes to the same one).
   */
  revocations?: RevocationStore;
  /** The keys access tokens are verified with. Default: `createVerifierKeySet(config)`. */
  keySet?: KeySet;
  /**
   * Realtime notifications from the subgraphs. Default: Redis when REDIS_URL is set, else an
   * in-process one (only useful when the subgraphs run in the same process and share it).
   */
  pubsub?: PubSub;
  /**
   * Subgraphs running in this process (the dev stack): their `/graphql` calls go to these
   * handlers without a socket, through the same context and rules as over HTTP. The others, and
   * everything in production, are called over HTTP.
   */
  inProcess?: Partial<Record<SubgraphName, InProcessHandler>>;
}

export interface Gateway {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts the gateway from the checked-in supergraph. Resolves once it listens. Rejects when the
 * supergraph carries no `@auth` rules or the server cannot listen (a Redis client it opened is
 * closed again).
 */
export async function startGateway(
  config: GatewayConfig,
  logger: Logger,
  deps: GatewayDeps = {},
): Promise<Gateway> {
  const urls: Record<SubgraphName, string> = {
    users: config.USERS_URL,
    projects: config.PROJECTS_URL,
    tasks: config.TASKS_URL,
    documents: config.DOCUMENTS_URL,
    time: config.TIME_URL,
    notifications: config.NOTIFICATIONS_URL,
  };
  // Keep-alive connections to the subgraphs: a new TCP connection per subgraph call halves throughput.
  const agent = subgraphAgent(config.SUBGRAPH_TIMEOUT_MS);
  const httpFetcher = keepAliveFetcher(agent, config.SUBGRAPH_TIMEOUT_MS);
  const metrics = new ServiceMetrics('gateway');
  const subgraphFetches = metrics.histogram(
    'psa_gateway_subgraph_fetch_duration_seconds',
    'Calls from the gateway to a subgraph, by subgraph and outcome (HTTP status or error).',
    ['subgraph', 'outcome'],
  );
  /** How the gateway calls `name`, timed with its name: in-process when it runs here, else HTTP. */
  const fetcherOf = (name: SubgraphName): Fetcher => {
    const local = deps.inProcess?.[name];
    const fetcher = local
      ? inProcessFetcher(local, httpFetcher, config.SUBGRAPH_TIMEOUT_MS)
      : httpFetcher;
    return timedFetcher(fetcher, subgraphFetches, name);
  };
  const supergraphSdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
  // Built before anything starts: a supergraph without @auth must not be served at all.
  let rules = accessRulesFromSupergraph(supergraphSdl);
  let sharing = resultSharingFromSupergraph(supergraphSdl);
  const entityCache =
    config.ENTITY_CACHE_MS > 0
      ? new EntityCache({
          ttlMs: config.ENTITY_CACHE_MS,
          maxEntries: config.ENTITY_CACHE_MAX_ENTRIES,
        })
      : null;
  entityCache?.useSupergraph(supergraphSdl);
  const entityCalls = metrics.counter({
    name: 'psa_gateway_entity_cache_total',
    help: 'Entity calls for immutable fields only, by subgraph: answered from the cache (hit) or sent (miss).',
    labelNames: ['subgraph', 'outcome'],
  });
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name, url }) =>
      new ForwardingDataSource(
        name,
        { url: urls[name as SubgraphName] ?? url, fetcher: fetcherOf(name as SubgraphName) },
        entityCache
          ? {
              cache: entityCache,
              counted: (outcome) => entityCalls.inc({ subgraph: name, outcome }),
            }
          : undefined,
      ),
  });
  let loaded = false;
  let apiSchema: GraphQLSchema | null = null;
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl, apiSchema: schema }) => {
    rules = accessRulesFromSupergraph(coreSupergraphSdl);
    sharing = resultSharingFromSupergraph(coreSupergraphSdl);
    entityCache?.useSupergraph(coreSupergraphSdl);
    patchDateTimeScalar(schema);
    apiSchema = schema;
    loaded = true;
  });
  const keySet = deps.keySet ?? createVerifierKeySet(config, logger);
  // One client for revocations and rate limits; it fails commands fast while Redis is down.
  const redis = config.REDIS_URL ? createRedisClient(config.REDIS_URL, logger, 'gateway') : null;
  // While Redis cannot answer, sessions are checked with the users service (its database is the
  // record Redis caches), so an outage signs nobody out.
  const usersStanding = new UsersSessionStanding(
    urls.users,
    fetcherOf('users'),
    config.SESSION_FALLBACK_CACHE_MS,
  );
  const revocations =
    deps.revocations ??
    (redis
      ? new FallbackRevocationStore(new RedisRevocationStore(redis), usersStanding, logger)
      : new InMemoryRevocationStore());
  const idempotencySettings = {
    keepSeconds: config.IDEMPOTENCY_TTL_SECONDS,
    // A gateway that dies mid-request frees the key after this; the subgraphs de-duplicate.
    holdSeconds: Math.ceil((config.SUBGRAPH_TIMEOUT_MS * 2) / 1000) + 5,
  };
  const idempotencyFallback = new MemoryIdempotencyStore(idempotencySettings);
  const rateLimits = new CredentialRateLimits({
    redis,
    keyPrefix: config.RATE_LIMIT_KEY_PREFIX,
    loginPerIp: config.LOGIN_RATE_PER_IP,
    passwordFailures: config.PASSWORD_FAILURES_PER_ACCOUNT,
    signUpPerIp: config.SIGNUP_RATE_PER_IP,
  });
  const development = config.NODE_ENV !== 'production';
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // runUntilSignal owns SIGTERM/SIGINT: Apollo's own handler would race the ordered shutdown.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(development),
    includeStacktraceInErrorResponses: development,
    introspection: config.INTROSPECTION ?? development,
    parseOptions: { maxTokens: config.MAX_QUERY_TOKENS },
    logger,
    plugins: [
      requestLoggingPlugin<GatewayContext>((context) => context.identity?.userId ?? null),
      metrics.plugin<GatewayContext>(),
      refuseHttpSubscriptionsPlugin,
      operationGuardPlugin({
        rules: () => rules,
        keySet,
        revocations,
        tokenSettings: { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
        maxDepth: config.MAX_QUERY_DEPTH,
        maxCost: config.MAX_QUERY_COST,
        rateLimits,
      }),
      idempotencyPlugin({
        store: redis
          ? new RedisIdempotencyStore(redis, config.IDEMPOTENCY_KEY_PREFIX, idempotencySettings)
          : idempotencyFallback,
        fallback: idempotencyFallback,
        waitMs: config.IDEMPOTENCY_WAIT_MS,
      }),
      forgetEndedSessionsPlugin(usersStanding),
      ...(entityCache ? [forgetDeletedAccountsPlugin(entityCache)] : []),
      ApolloServerPluginInlineTraceDisabled(),
      // No @cacheControl hints anywhere: the default plugin only cost a hook per request.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  const pubsub = createPubSub(config, logger, 'gateway', deps.pubsub);
  const hub = new RealtimeHub({
    pubsub,
    prefix: config.EVENT_STREAM_PREFIX,
    execute: inProcessExecutor(apollo, logger),
    readers: projectReadersFrom(urls.projects, fetcherOf('projects')),
    logger,
    delivered: metrics.counter({
      name: 'psa_gateway_realtime_deliveries_total',
      help: 'Subscription results sent, by kind (status, tasks).',
      labelNames: ['kind'],
    }),
  });
  let openSockets = (): number => 0;
  metrics.gauge({
    name: 'psa_gateway_websocket_connections',
    help: 'Open WebSocket connections (after connection_init).',
    collect() {
      this.set(openSockets());
    },
  });
  metrics.gauge({
    name: 'psa_gateway_subscriptions',
    help: 'Realtime subscriptions served.',
    collect() {
      this.set(hub.size);
    },
  });
  const contextFor = async ({
    headers,
    requestId,
    logger: requestLogger,
    ip,
  }: IncomingRequest): Promise<GatewayContext> => ({
    requestId,
    logger: requestLogger,
    authorization: typeof headers.authorization === 'string' ? headers.authorization : undefined,
    clientAddress: clientAddress(ip, headers['x-forwarded-for'], config.TRUST_PROXY_HOPS),
    identity: null,
    origin: publicOrigin(headers, config.TRUST_PROXY_HOPS) ?? undefined,
  });
  let server: RunningServer;
  let subscriptions: { close(): Promise<void>; connections(): number };
  try {
    server = await startGraphQLServer<GatewayContext>({
      name: 'gateway',
      apollo,
      port: config.GATEWAY_PORT,
      host: config.HOST,
      logger,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      maxConcurrentRequests: config.MAX_CONCURRENT_REQUESTS || undefined,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      shutdownDelayMs: config.SHUTDOWN_DELAY_MS,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      transferIdleTimeoutMs: config.FILES_IDLE_TIMEOUT_MS,
      corsOrigins: config.CORS_ORIGINS,
      fallback: config.WEB_DIR ? staticFiles(config.WEB_DIR) : undefined,
      routes: {
        '/metrics': metrics.route(),
      },
      prefixRoutes: {
        [REST_PREFIX]: restApi({
          schema: () => apiSchema,
          rules: () => rules,
          // Each REST call is a GraphQL request to this gateway, with the caller's headers.
          execute: restExecutor(apollo, contextFor, logger),
          bodyLimitBytes: config.BODY_LIMIT_BYTES,
        }),
      },
      transferRoutes: {
        [FILES_PREFIX]: filesProxy({
          documentsUrl: urls.documents,
          apollo,
          trustProxyHops: config.TRUST_PROXY_HOPS,
          logger,
        }),
      },
      readiness: () => ({
        supergraph: loaded,
        revocations: revocations.isReady(),
        ...(redis ? { redis: isRedisReady(redis), realtime: pubsub.isReady() } : {}),
      }),
      // Without Redis the gateway still serves (sessions checked with the users service, rate
      // limits and idempotency keys per gateway, realtime paused): degraded, not out of rotation.
      degradedWithout: ['revocations', 'redis', 'realtime'],
      context: contextFor,
    });
    subscriptions = startSubscriptionServer({
      httpServer: server.httpServer,
      path: '/graphql',
      schema: () => apiSchema,
      sharing: () => sharing,
      hub,
      caller: {
        keySet,
        revocations,
        tokenSettings: { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
        logger,
      },
      revocations,
      limits: {
        maxSubscriptionsPerConnection: config.WS_MAX_SUBSCRIPTIONS,
        maxMessageBytes: config.WS_MAX_MESSAGE_BYTES,
        connectionInitTimeoutMs: config.WS_INIT_TIMEOUT_MS,
        keepAliveMs: config.WS_KEEPALIVE_MS,
        sessionCheckMs: config.WS_SESSION_CHECK_MS,
        maxPendingResults: config.WS_MAX_PENDING_RESULTS,
        maxTokens: config.MAX_QUERY_TOKENS,
      },
      logger,
    });
    openSockets = () => subscriptions.connections();
  } catch (error) {
    agent.destroy();
    redis?.disconnect();
    if (!deps.pubsub) await pubsub.close();
    throw error;
  }
  return {
    url: server.url,
    port: server.port,
    stop: async () => {
      // Not ready first; then WebSockets close (1001: reconnect elsewhere); then HTTP drains.
      await server.stop(async () => {
        await subscriptions.close();
        await hub.close();
      });
      agent.destroy();
      redis?.disconnect();
      if (!deps.pubsub) await pubsub.close();
    },
  };
}
