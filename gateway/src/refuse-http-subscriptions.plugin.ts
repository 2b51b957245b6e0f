import type { ApolloServerPlugin } from '@apollo/server';
import { OperationTypeNode } from 'graphql';
import { ErrorCode } from '@psa/shared';
import type { GatewayContext } from './gateway-context';
import { gatewayError } from './gateway-errors';

/**
 * `@apollo/gateway` executes no subscriptions; over HTTP they get a clear 400 (BAD_REQUEST)
 * pointing to the WebSocket endpoint instead of a 500.
 */
export const refuseHttpSubscriptionsPlugin: ApolloServerPlugin<GatewayContext> = {
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
