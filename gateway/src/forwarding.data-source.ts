import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { FetcherResponse } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { ErrorCode, IDEMPOTENCY_KEY_HEADER } from '@psa/shared';
import type { EntityCache, SubgraphResponse } from './entity-cache';
import type { GatewayContext } from './gateway-context';

/** What an entity cache hit or miss is counted by. */
export type EntityCacheOutcome = 'hit' | 'miss';

/**
 * Calls a subgraph with only what it may trust: the caller's bearer token (the subgraph verifies
 * it itself) and the request id. The data source builds each subgraph request from scratch, so no
 * other incoming header (such as a forged `x-user-id`) ever reaches a subgraph.
 */
export class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly serviceName: string,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
    private readonly entities?: {
      cache: EntityCache;
      counted: (outcome: EntityCacheOutcome) => void;
    },
  ) {
    super(config);
  }

  /**
   * `_entities` calls for immutable fields only are answered from the entity cache when it holds
   * every entity asked for; only for a caller with a token the gateway accepted, since the
   * subgraph resolves references for signed-in callers only.
   */
  override async process(
    options: GraphQLDataSourceProcessOptions<GatewayContext>,
  ): Promise<SubgraphResponse> {
    const cache = this.entities?.cache;
    const { query, variables } = options.request;
    if (
      !cache ||
      // Only a client's operation (not a health check or schema load) carries a caller.
      !('incomingRequestContext' in options) ||
      !options.context.authorization ||
      query === undefined
    ) {
      return super.process(options);
    }
    const representations = variables?.representations;
    const cached = cache.answer(query, representations, options.document);
    if (cached) {
      this.entities?.counted('hit');
      return cached;
    }
    const response = await super.process(options);
    if (cache.remember(query, representations, response, options.document)) {
      this.entities?.counted('miss');
    }
    return response;
  }

  override willSendRequest({
    request,
    context,
  }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !('requestId' in context)) return;
    if (context.authorization) headers.set('authorization', context.authorization);
    headers.set('x-request-id', context.requestId);
    // Subgraphs store it with what they create, scoped to the caller, so a retry writes once.
    if (context.idempotencyKey) headers.set(IDEMPOTENCY_KEY_HEADER, context.idempotencyKey);
    // The documents service makes its file links absolute on the origin the client used.
    if (context.origin) {
      const origin = new URL(context.origin);
      headers.set('x-forwarded-proto', origin.protocol.slice(0, -1));
      headers.set('x-forwarded-host', origin.host);
    }
  }

  /**
   * A subgraph that cannot be reached (connection refused or reset, timeout) or answers 502-504
   * is named in a SERVICE_UNAVAILABLE error; the fields other subgraphs resolved are still
   * returned. Without this the error is an anonymous INTERNAL_SERVER_ERROR in production.
   */
  override didEncounterError(
    error: Error,
    _request: unknown,
    response?: FetcherResponse,
    context?: GatewayContext,
  ): void {
    const unreachable = !(error instanceof GraphQLError);
    const gatewayStatus = response !== undefined && [502, 503, 504].includes(response.status);
    if (!unreachable && !gatewayStatus) throw error;
    // The client learns only which service; the operator needs why (refused, timed out, a 503).
    context?.logger?.warn(
      { err: error, subgraph: this.serviceName, status: response?.status },
      'subgraph call failed',
    );
    throw new GraphQLError(`The ${this.serviceName} service is unavailable right now; try again`, {
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, serviceName: this.serviceName },
    });
  }
}
