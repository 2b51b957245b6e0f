import type { ApolloServerPlugin } from '@apollo/server';
import { OperationTypeNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { ErrorCode, hasRole, type Identity, type RequestContextBase } from '@psa/shared';
import type { AccessRules } from './access-rules';
import { checkCaller, refusalMessage, type CallerCheckOptions } from './caller-check';
import { gatewayError, rateLimitedError } from './gateway-errors';
import type { LoginRateLimits } from './login-rate-limits';
import { analyzeOperation } from './operation-analysis';

/** What the plugin reads from, and writes to, the request context. */
export interface AuthorizationContext extends RequestContextBase {
  /** The `Authorization` header; cleared when the gateway does not accept the token in it. */
  authorization: string | undefined;
  /** The client address rate limits count against. */
  clientAddress: string;
  /** The verified caller, once the plugin has run (null: anonymous). */
  identity: Identity | null;
}

export interface AuthorizationPluginOptions extends Omit<CallerCheckOptions, 'logger'> {
  /** The current `Type.field → role` rules (from the supergraph SDL). */
  rules: () => AccessRules;
  maxDepth: number;
  maxCost: number;
  rateLimits: LoginRateLimits;
}

function coercedVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  inputs: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], inputs ?? {});
  if (result.errors) {
    throw gatewayError(
      ErrorCode.BAD_USER_INPUT,
      result.errors.map((e) => e.message).join('; ') || 'Invalid variables',
    );
  }
  return result.coerced;
}

/**
 * Refuses an operation before it is planned, so no subgraph is called and nothing executes:
 * BAD_USER_INPUT (400) over the depth or cost limit; UNAUTHENTICATED (401) when a field needs a
 * signed-in caller and the token is missing, invalid, revoked, stale or cannot be checked;
 * FORBIDDEN (403) when the caller's role is below a field's `@auth(requires:)`; RATE_LIMITED
 * (429, `retry-after`) when `login`/`signUp` pass their limits.
 *
 * A token sent with an operation that needs none is checked too, and not forwarded when refused:
 * subgraphs only ever see tokens the gateway accepted. Subscriptions are left to the plugin that
 * refuses them over HTTP.
 */
export function authorizationPlugin(
  options: AuthorizationPluginOptions,
): ApolloServerPlugin<AuthorizationContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request, contextValue }) {
          // Several operations and no (or an unknown) operationName: the gateway's executor would
          // answer it as a 500 (INVALID_GRAPHQL); a subgraph answers 400, and so does the gateway.
          if (!operation) {
            const message = request.operationName
              ? `Unknown operation named "${request.operationName}".`
              : 'Must provide operation name if query contains multiple operations.';
            throw gatewayError(ErrorCode.OPERATION_RESOLUTION_FAILURE, message);
          }
          if (operation.operation === OperationTypeNode.SUBSCRIPTION) return;
          const { maxDepth, maxCost } = options;
          const analysis = analyzeOperation({
            schema,
            document,
            operation,
            variableValues: coercedVariables(schema, operation, request.variables),
            rules: options.rules(),
            maxCost,
          });
          if (analysis.depth > maxDepth) {
            throw gatewayError(
              ErrorCode.BAD_USER_INPUT,
              `Query depth ${analysis.depth} exceeds the limit of ${maxDepth}`,
              { depth: analysis.depth, maxDepth },
            );
          }
          if (!analysis.complete || analysis.cost > maxCost) {
            throw gatewayError(
              ErrorCode.BAD_USER_INPUT,
              // An incomplete walk stopped as soon as the cost passed the limit: no exact figure.
              `Query cost ${analysis.complete ? `${analysis.cost} ` : ''}exceeds the limit of ${maxCost}`,
              { ...(analysis.complete ? { cost: analysis.cost } : {}), maxCost },
            );
          }

          const caller = await checkCaller(contextValue.authorization, {
            ...options,
            logger: contextValue.logger,
          });
          const { required } = analysis;
          if (required) {
            if (caller.status === 'anonymous') {
              throw gatewayError(ErrorCode.UNAUTHENTICATED, `Sign in to use ${required.field}`);
            }
            if (caller.status === 'refused') {
              throw gatewayError(ErrorCode.UNAUTHENTICATED, refusalMessage(caller.refusal));
            }
            if (!hasRole(caller.identity.role, required.role)) {
              throw gatewayError(
                ErrorCode.FORBIDDEN,
                `${required.field} requires the ${required.role} role`,
              );
            }
          }
          if (caller.status === 'signed-in') {
            contextValue.identity = caller.identity;
          } else {
            contextValue.identity = null;
            contextValue.authorization = undefined;
          }

          const verdict = await options.rateLimits.consume(
            analysis.mutationFields,
            contextValue.clientAddress,
          );
          if (verdict) throw rateLimitedError(verdict.message, verdict.retryAfterSeconds);
        },
      };
    },
  };
}
