import { ErrorCode, hasRole } from '@psa/shared';
import { refusalMessage, type CallerCheck } from './caller-check';
import { gatewayError } from './gateway-errors';
import type { OperationAnalysis } from './operation-analysis';

/**
 * Throws when the caller may not use the operation's fields: UNAUTHENTICATED (401) when a field
 * needs a signed-in caller and the token is missing or refused (the refusal's message),
 * FORBIDDEN (403) when the caller's role is below a field's `@auth(requires:)`. An operation of
 * public fields passes whoever calls.
 */
export function enforceFieldAccess(
  caller: CallerCheck,
  required: OperationAnalysis['required'],
): void {
  if (!required) return;
  switch (caller.status) {
    case 'anonymous':
      throw gatewayError(ErrorCode.UNAUTHENTICATED, `Sign in to use ${required.field}`);
    case 'refused':
      throw gatewayError(ErrorCode.UNAUTHENTICATED, refusalMessage(caller.refusal));
    case 'signed-in':
      if (!hasRole(caller.identity.role, required.role)) {
        throw gatewayError(
          ErrorCode.FORBIDDEN,
          `${required.field} requires the ${required.role} role`,
        );
      }
      return;
    default: {
      const unknown: never = caller;
      throw new Error(`unknown caller check ${JSON.stringify(unknown)}`);
    }
  }
}
