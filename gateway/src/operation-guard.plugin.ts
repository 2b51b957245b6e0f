import type { ApolloServerPlugin } from '@apollo/server';
import { OperationTypeNode } from 'graphql';
import type { AccessRules } from './access-rules';
import { checkCaller, type CallerCheckOptions } from './caller-check';
import type { AnsweredOperation, CredentialRateLimits } from './credential-rate-limits';
import { enforceFieldAccess } from './field-access';
import type { GatewayContext } from './gateway-context';
import { rateLimitedError } from './gateway-errors';
import { analyzeOperation, coercedVariables } from './operation-analysis';
import { enforceOperationLimits, type OperationLimits } from './operation-limits';
import { resolvedOperation } from './operation-resolution';

export interface OperationGuardOptions extends Omit<CallerCheckOptions, 'logger'>, OperationLimits {
  /** The current `Type.field → role` rules (from the supergraph SDL). */
  rules: () => AccessRules;
  rateLimits: CredentialRateLimits;
}

/**
 * Refuses an operation before it is planned, so no subgraph is called and nothing executes. The
 * checks run in this order, each in its own module, and the first refusal answers:
 * {@link resolvedOperation} (OPERATION_RESOLUTION_FAILURE), {@link coercedVariables} and
 * {@link enforceOperationLimits} (BAD_USER_INPUT), {@link checkCaller} and
 * {@link enforceFieldAccess} (UNAUTHENTICATED, FORBIDDEN), then the rate limits (RATE_LIMITED),
 * so an operation refused earlier costs no attempt. Once an admitted operation is answered, what
 * its password checks came to is recorded (a wrong password counts, a right one clears). Apollo runs plugins' `didResolveOperation`
 * concurrently, which is why these are steps of one plugin rather than plugins of their own.
 *
 * A token sent with an operation that needs none is checked too, and not forwarded when refused:
 * subgraphs only ever see tokens the gateway accepted. Subscriptions are left to the plugin that
 * refuses them over HTTP.
 */
export function operationGuardPlugin(
  options: OperationGuardOptions,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let settle: ((answer: AnsweredOperation) => Promise<void>) | null = null;
      return {
        async didResolveOperation({ operation, document, schema, request, contextValue }) {
          const resolved = resolvedOperation(operation, request.operationName);
          if (resolved.operation === OperationTypeNode.SUBSCRIPTION) return;
          const analysis = analyzeOperation({
            schema,
            document,
            operation: resolved,
            variableValues: coercedVariables(schema, resolved, request.variables),
            rules: options.rules(),
            maxCost: options.maxCost,
          });
          enforceOperationLimits(analysis, options);

          const caller = await checkCaller(contextValue.authorization, {
            ...options,
            logger: contextValue.logger,
          });
          enforceFieldAccess(caller, analysis.required);
          if (caller.status === 'signed-in') {
            contextValue.identity = caller.identity;
          } else {
            contextValue.identity = null;
            contextValue.authorization = undefined;
          }

          const admission = await options.rateLimits.admit(
            analysis.mutationFields,
            contextValue.clientAddress,
            contextValue.identity,
          );
          if (admission.refused) {
            throw rateLimitedError(admission.refused.message, admission.refused.retryAfterSeconds);
          }
          settle = admission.settle;
        },
        // Awaited, so the next attempt already sees this one counted.
        async willSendResponse({ response, contextValue }) {
          if (!settle || response.body.kind !== 'single') return;
          try {
            await settle(response.body.singleResult);
          } catch (error) {
            contextValue.logger.error({ err: error }, 'recording password checks failed');
          }
        },
      };
    },
  };
}
