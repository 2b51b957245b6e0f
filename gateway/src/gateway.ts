import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import type { Fetcher, FetcherResponse } from '@apollo/utils.fetcher';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, GraphQLScalarType, OperationTypeNode, type GraphQLSchema } from 'graphql';
import {
  createErrorFormatter,
  createPubSub,
  createRedisClient,
  createVerifierKeySet,
  DateTimeScalar,
  ErrorCode,
  InMemoryRevocationStore,
  isRedisReady,
  RedisRevocationStore,
  requestLoggingPlugin,
  startGraphQLServer,
  type KeySet,
  ServiceMetrics,
  type Logger,
  type PubSub,
  type RevocationStore,
  type RunningServer,
} from '@psa/shared';
import { accessRulesFromSupergraph } from './access-rules';
import { authorizationPlugin, type AuthorizationContext } from './authorization.plugin';
import { clientAddress } from './client-address';
import { gatewayError } from './gateway-errors';
import type { GatewayConfig } from './config';
import { staticFiles } from './console/static-files';
import { keepAliveFetcher, subgraphAgent } from './keep-alive-fetcher';
import { LoginRateLimits } from './login-rate-limits';
import { resultSharingFromSupergraph } from './result-sharing';
import { projectReadersFrom } from './subscriptions/project-readers';
import { RealtimeHub, type GatewayExecutor } from './subscriptions/realtime-hub';
import { startSubscriptionServer } from './subscriptions/subscription-server';
import { SUPERGRAPH_PATH, type SubgraphName } from './supergraph';

export { loadGatewayConfig, parseRate, type GatewayConfig, type Rate } from './config';
export { accessRulesFromSupergraph, AccessRules } from './access-rules';
export { WebSocketCloseCode } from './subscriptions/close-code';

/**
 * Per-request context at the gateway. `authorization` is forwarded as is to the subgraphs, unless
 * the authorization plugin cleared it because the gateway refused the token.
 */
export type GatewayContext = AuthorizationContext;

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
}

/**
 * Calls a subgraph with only what it may trust: the caller's bearer token (the subgraph verifies
 * it itself) and the request id. The data source builds each subgraph request from scratch, so no
 * other incoming header (such as a forged `x-user-id`) ever reaches a subgraph.
 */
class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly serviceName: string,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
  ) {
    super(config);
  }

  override willSendRequest({
    request,
    context,
  }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !('requestId' in context)) return;
    if (context.authorization) headers.set('authorization', context.authorization);
    headers.set('x-request-id', context.requestId);
  }

  /**
   * A subgraph that cannot be reached (connection refused or reset, timeout) or answers 502-504
   * is named in a SERVICE_UNAVAILABLE error; the fields other subgraphs resolved are still
   * returned. Without this the error is an anonymous INTERNAL_SERVER_ERROR in production.
   */
  override didEncounterError(error: Error, _request: unknown, response?: FetcherResponse): void {
    const unreachable = !(error instanceof GraphQLError);
    const gatewayStatus = response !== undefined && [502, 503, 504].includes(response.status);
    if (!unreachable && !gatewayStatus) throw error;
    throw new GraphQLError(`The ${this.serviceName} service is unavailable right now; try again`, {
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, serviceName: this.serviceName },
    });
  }
}

/**
 * `@apollo/gateway` executes no subscriptions; over HTTP they get a clear 400 pointing to the
 * WebSocket endpoint instead of a 500.
 */
const refuseHttpSubscriptions: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation === OperationTypeNode.SUBSCRIPTION) {
          throw gatewayError(
            ErrorCode.BAD_REQUEST,
            'Subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP',
          );
        }
      },
    };
  },
};

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
  };
  // Keep-alive connections to the subgraphs: a new TCP connection per subgraph call halves throughput.
  const agent = subgraphAgent(config.SUBGRAPH_TIMEOUT_MS);
  const fetcher = keepAliveFetcher(agent, config.SUBGRAPH_TIMEOUT_MS);
  const metrics = new ServiceMetrics('gateway');
  const subgraphFetches = metrics.histogram(
    'psa_gateway_subgraph_fetch_duration_seconds',
    'Calls from the gateway to a subgraph, by subgraph and outcome (HTTP status or error).',
    ['subgraph', 'outcome'],
  );
  // Each subgraph's calls are timed with its name.
  const timedFetcher =
    (subgraph: string): Fetcher =>
    async (url, init) => {
      const stop = subgraphFetches.startTimer({ subgraph });
      try {
        const response = await fetcher(url, init);
        stop({ outcome: String(response.status) });
        return response;
      } catch (error) {
        stop({ outcome: 'error' });
        throw error;
      }
    };
  const supergraphSdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
  // Built before anything starts: a supergraph without @auth must not be served at all.
  let rules = accessRulesFromSupergraph(supergraphSdl);
  let sharing = resultSharingFromSupergraph(supergraphSdl);
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name, url }) =>
      new ForwardingDataSource(name, {
        url: urls[name as SubgraphName] ?? url,
        fetcher: timedFetcher(name),
      }),
  });
  let loaded = false;
  let apiSchema: GraphQLSchema | null = null;
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl, apiSchema: schema }) => {
    rules = accessRulesFromSupergraph(coreSupergraphSdl);
    sharing = resultSharingFromSupergraph(coreSupergraphSdl);
    // The supergraph declares `scalar DateTime` without its parsing, so the gateway took any
    // value and the subgraph's 400 came back as an INTERNAL_SERVER_ERROR: parse it here too, so
    // a bad date is refused as BAD_USER_INPUT before planning (variables) or in validation
    // (literals).
    const dateTime = schema.getType('DateTime');
    if (dateTime instanceof GraphQLScalarType) {
      dateTime.parseValue = DateTimeScalar.parseValue;
      dateTime.parseLiteral = DateTimeScalar.parseLiteral;
    }
    apiSchema = schema;
    loaded = true;
  });
  const keySet = deps.keySet ?? createVerifierKeySet(config, logger);
  // One client for revocations and rate limits; it fails commands fast while Redis is down.
  const redis = config.REDIS_URL ? createRedisClient(config.REDIS_URL, logger, 'gateway') : null;
  const revocations =
    deps.revocations ?? (redis ? new RedisRevocationStore(redis) : new InMemoryRevocationStore());
  const rateLimits = new LoginRateLimits({
    redis,
    keyPrefix: config.RATE_LIMIT_KEY_PREFIX,
    loginPerIp: config.LOGIN_RATE_PER_IP,
    loginPerAccount: config.LOGIN_RATE_PER_ACCOUNT,
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
      refuseHttpSubscriptions,
      authorizationPlugin({
        rules: () => rules,
        keySet,
        revocations,
        tokenSettings: { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
        maxDepth: config.MAX_QUERY_DEPTH,
        maxCost: config.MAX_QUERY_COST,
        rateLimits,
      }),
      ApolloServerPluginInlineTraceDisabled(),
    ],
  });
  const pubsub = createPubSub(config, logger, 'gateway', deps.pubsub);
  // Subscription events are resolved like any request: through Apollo Server and the plugins,
  // with the subscriber's own token, in process (no HTTP round trip to itself).
  const execute: GatewayExecutor = async (document, variables, authorization) => {
    const response = await apollo.executeOperation(
      { query: document, variables },
      {
        contextValue: {
          requestId: randomUUID(),
          logger,
          authorization,
          clientAddress: 'realtime',
          identity: null,
        },
      },
    );
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not used');
    const { data, errors } = response.body.singleResult;
    // Apollo hands back formatted errors; graphql-ws serializes GraphQLErrors.
    return {
      data: data ?? null,
      ...(errors
        ? {
            errors: errors.map(
              (error) =>
                new GraphQLError(error.message, { path: error.path, extensions: error.extensions }),
            ),
          }
        : {}),
    };
  };
  const hub = new RealtimeHub({
    pubsub,
    prefix: config.EVENT_STREAM_PREFIX,
    execute,
    readers: projectReadersFrom(urls.projects, timedFetcher('projects')),
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
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      shutdownDelayMs: config.SHUTDOWN_DELAY_MS,
      corsOrigins: config.CORS_ORIGINS,
      fallback: config.WEB_DIR ? staticFiles(config.WEB_DIR) : undefined,
      routes: {
        '/metrics': metrics.route(),
      },
      readiness: () => ({
        supergraph: loaded,
        revocations: revocations.isReady(),
        ...(redis ? { redis: isRedisReady(redis), realtime: pubsub.isReady() } : {}),
      }),
      context: async ({ headers, requestId, logger: requestLogger, ip }) => ({
        requestId,
        logger: requestLogger,
        authorization:
          typeof headers.authorization === 'string' ? headers.authorization : undefined,
        clientAddress: clientAddress(ip, headers['x-forwarded-for'], config.TRUST_PROXY_HOPS),
        identity: null,
      }),
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
