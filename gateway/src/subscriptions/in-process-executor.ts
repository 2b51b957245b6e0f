import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Logger } from '@psa/shared';
import type { GatewayContext } from '../gateway-context';
import type { GatewayExecutor } from './realtime-hub';

/**
 * Resolves subscription events like any request: through Apollo Server and its plugins, with the
 * subscriber's own token, in process (no HTTP round trip to itself). Rejects only when Apollo
 * answers with incremental delivery, which no operation of the hub asks for.
 */
export function inProcessExecutor(
  apollo: ApolloServer<GatewayContext>,
  logger: Logger,
): GatewayExecutor {
  return async (document, variables, authorization) => {
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
}
