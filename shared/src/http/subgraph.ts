import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, type DocumentNode } from 'graphql';
import { ErrorCode, HTTP_STATUS } from '../errors/error-code';
import { createErrorFormatter } from '../errors/format-error';
import {
  requestLoggingPlugin,
  startGraphQLServer,
  type GraphQLServerOptions,
  type RequestContextBase,
  type RunningServer,
} from './graphql-server';

export interface SubgraphOptions<TContext extends RequestContextBase> extends Omit<
  GraphQLServerOptions<TContext>,
  'apollo'
> {
  typeDefs: DocumentNode;
  /** The service's resolvers (typed by GraphQL Code Generator from its schema). */
  resolvers: object;
  /** Development shows unexpected errors' messages and stack traces to clients. */
  development: boolean;
  /** Extra Apollo plugins (e.g. the token guard). */
  plugins?: ApolloServerPlugin<TContext>[];
  /** Who made a request, for the request log (never the token). */
  userIdOf?: (context: TContext) => string | null;
}

/**
 * Refuses an operation type the schema has no root type for (a subscription to a subgraph without
 * one): graphql-js would fail it in execution, which answers INTERNAL_SERVER_ERROR.
 */
function refuseMissingRootTypes<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, schema }) {
          if (!operation || schema.getRootType(operation.operation)) return;
          throw new GraphQLError(`This service has no ${operation.operation} operations`, {
            extensions: {
              code: ErrorCode.BAD_REQUEST,
              http: { status: HTTP_STATUS[ErrorCode.BAD_REQUEST] },
            },
          });
        },
      };
    },
  };
}

/**
 * Starts a Federation 2 subgraph: the schema built with `buildSubgraphSchema`, errors formatted
 * and logged the one way every service shares, served by {@link startGraphQLServer}.
 */
export async function startSubgraph<TContext extends RequestContextBase>(
  options: SubgraphOptions<TContext>,
): Promise<RunningServer> {
  const apollo = new ApolloServer<TContext>({
    // The generated resolver types are stricter than @apollo/subgraph's own map type, not different.
    schema: buildSubgraphSchema({
      typeDefs: options.typeDefs,
      resolvers: options.resolvers as never,
    }),
    formatError: createErrorFormatter(options.development),
    // runUntilSignal owns SIGTERM/SIGINT: Apollo's own handler would race the ordered shutdown.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: options.development,
    introspection: true,
    // Traces are for Apollo's hosted studio, which this stack does not use; they cost time per
    // request. Cache control (on by default) wraps every field's resolver in a hook to add up cache
    // hints, and no schema declares one (@cacheControl): its per-field cost bought nothing.
    plugins: [
      requestLoggingPlugin<TContext>(options.userIdOf),
      refuseMissingRootTypes<TContext>(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ...(options.plugins ?? []),
    ],
    logger: options.logger,
  });
  return startGraphQLServer({ ...options, apollo });
}
