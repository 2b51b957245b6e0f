import { ErrorCode } from '@psa/shared';
import { gatewayError } from './gateway-errors';
import type { OperationAnalysis } from './operation-analysis';

/** How deep and how costly an operation may be. */
export interface OperationLimits {
  /** Deepest field nesting (introspection fields aside). */
  maxDepth: number;
  /** Highest cost (see `analyzeOperation`). */
  maxCost: number;
}

/**
 * Throws BAD_USER_INPUT (400, with the figures in `extensions`) when the analysed operation is
 * deeper or costlier than the limits allow.
 */
export function enforceOperationLimits(
  analysis: OperationAnalysis,
  { maxDepth, maxCost }: OperationLimits,
): void {
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
}
