import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import type { Identity } from '@psa/shared';
import type { GatewayContext } from './gateway-context';

/**
 * Runs `act` for the caller after a mutation of theirs that selected one of `fields` answered
 * without errors (e.g. forget what the gateway keeps about them once they log out).
 */
export function afterMutationPlugin(
  fields: ReadonlySet<string>,
  act: (identity: Identity) => void,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, response, contextValue }) {
          const identity = contextValue.identity;
          if (!identity || operation?.operation !== 'mutation') return;
          const body = response.body.kind === 'single' ? response.body.singleResult : null;
          if (!body || body.errors?.length) return;
          const selected = operation.selectionSet.selections.some(
            (selection) => selection.kind === Kind.FIELD && fields.has(selection.name.value),
          );
          if (selected) act(identity);
        },
      };
    },
  };
}
