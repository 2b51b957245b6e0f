import { readFileSync } from 'node:fs';
import http from 'node:http';
import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, OperationTypeNode } from 'graphql';
import {
  createErrorFormatter,
  requestLoggingPlugin,
  startGraphQLServer,
  type Logger,
  type RequestContextBase,
  type RunningServer,
} from '@psa/shared';
import type { GatewayConfig } from './config';
import { keepAliveFetcher } from './keep-alive-fetcher';
import { SUPERGRAPH_PATH, type SubgraphName } from './supergraph';

export { loadGatewayConfig, type GatewayConfig } from './config';

/** Per-request context at the gateway. */
export interface GatewayContext extends RequestContextBase {
  /** The caller's `Authorization` header, forwarded as is to the subgraphs. */
  authorization: string | undefined;
}

/**
 * Calls a subgraph with only what it may trust: the caller's bearer token (the subgraph verifies
 * it itself) and the request id. The data source builds each subgraph request from scratch, so no
 * other incoming header (such as a forged `x-user-id`) ever reaches a subgraph.
 */
class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({
    request,
    context,
  }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !('requestId' in context)) return;
    if (context.authorization) headers.set('authorization', context.authorization);
    headers.set('x-request-id', context.requestId);
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
          throw new GraphQLError(
            'Subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP',
            {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            },
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

/** Starts the gateway from the checked-in supergraph. Resolves once it listens. */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<Gateway> {
  const urls: Record<SubgraphName, string> = {
    users: config.USERS_URL,
    projects: config.PROJECTS_URL,
    tasks: config.TASKS_URL,
    documents: config.DOCUMENTS_URL,
  };
  // Keep-alive connections to the subgraphs: a new TCP connection per subgraph call halves throughput.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const fetcher = keepAliveFetcher(agent, config.SUBGRAPH_TIMEOUT_MS);
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8'),
    logger,
    buildService: ({ name, url }) =>
      new ForwardingDataSource({ url: urls[name as SubgraphName] ?? url, fetcher }),
  });
  let loaded = false;
  gateway.onSchemaLoadOrUpdate(() => (loaded = true));
  const development = config.NODE_ENV !== 'production';
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: createErrorFormatter(development),
    includeStacktraceInErrorResponses: development,
    introspection: config.INTROSPECTION ?? development,
    logger,
    plugins: [
      requestLoggingPlugin<GatewayContext>(),
      refuseHttpSubscriptions,
      ApolloServerPluginInlineTraceDisabled(),
    ],
  });
  let server: RunningServer;
  try {
    server = await startGraphQLServer<GatewayContext>({
      name: 'gateway',
      apollo,
      port: config.GATEWAY_PORT,
      host: config.HOST,
      logger,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      corsOrigins: config.CORS_ORIGINS,
      readiness: () => ({ supergraph: loaded }),
      context: async ({ headers, requestId, logger: requestLogger }) => ({
        requestId,
        logger: requestLogger,
        authorization:
          typeof headers.authorization === 'string' ? headers.authorization : undefined,
      }),
    });
  } catch (error) {
    agent.destroy();
    throw error;
  }
  return {
    url: server.url,
    port: server.port,
    stop: async () => {
      await server.stop();
      agent.destroy();
    },
  };
}
