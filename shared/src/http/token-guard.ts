import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Caller } from '../auth/request-identity';
import { ErrorCode, HTTP_STATUS } from '../errors/error-code';
import type { RequestContextBase } from './graphql-server';

/** Root fields any subgraph answers without a token: composition's SDL query and `__typename`. */
const ALWAYS_PUBLIC = new Set(['_service', '__typename']);

function rootFieldNames(
  selectionSet: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
): string[] {
  return selectionSet.selections.flatMap((selection) => {
    switch (selection.kind) {
      case Kind.FIELD:
        return [selection.name.value];
      case Kind.INLINE_FRAGMENT:
        return rootFieldNames(selection.selectionSet, fragments);
      case Kind.FRAGMENT_SPREAD: {
        const fragment = fragments[selection.name.value];
        return fragment ? rootFieldNames(fragment.selectionSet, fragments) : [];
      }
    }
  });
}

/**
 * Refuses, before anything executes, an operation that reaches the subgraph without a valid access
 * token, unless it selects only public root fields (`publicRootFields`, `_service`, `__typename`).
 * The answer is UNAUTHENTICATED (HTTP 401), whatever other headers the request carries.
 */
export function tokenGuardPlugin<TContext extends RequestContextBase & { caller: Caller }>(
  publicRootFields: readonly string[],
): ApolloServerPlugin<TContext> {
  const publicFields = new Set([...ALWAYS_PUBLIC, ...publicRootFields]);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (contextValue.caller.identity || !operation) return;
          const fragments = Object.fromEntries(
            document.definitions
              .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
              .map((d) => [d.name.value, d]),
          );
          if (
            rootFieldNames(operation.selectionSet, fragments).every((name) =>
              publicFields.has(name),
            )
          )
            return;
          throw new GraphQLError(contextValue.caller.authError?.message ?? 'Sign in to do this', {
            extensions: {
              code: ErrorCode.UNAUTHENTICATED,
              http: { status: HTTP_STATUS[ErrorCode.UNAUTHENTICATED] },
            },
          });
        },
      };
    },
  };
}
