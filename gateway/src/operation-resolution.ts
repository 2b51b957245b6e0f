import type { OperationDefinitionNode } from 'graphql';
import { ErrorCode } from '@psa/shared';
import { gatewayError } from './gateway-errors';

/**
 * The operation Apollo resolved for the request. Throws OPERATION_RESOLUTION_FAILURE (400) when
 * there is none (several operations and no, or an unknown, `operationName`): the gateway's
 * executor would answer that as a 500 (INVALID_GRAPHQL), a subgraph answers 400, and so does the
 * gateway.
 */
export function resolvedOperation(
  operation: OperationDefinitionNode | undefined,
  operationName: string | undefined,
): OperationDefinitionNode {
  if (operation) return operation;
  throw gatewayError(
    ErrorCode.OPERATION_RESOLUTION_FAILURE,
    operationName
      ? `Unknown operation named "${operationName}".`
      : 'Must provide operation name if query contains multiple operations.',
  );
}
