import type { CombinedError } from 'urql';

/** One error from the API (or from reaching it), as the console shows it. */
export interface ApiError {
  /** `extensions.code` (e.g. `BAD_USER_INPUT`), or `NETWORK_ERROR` when the server was not reached. */
  code: string;
  message: string;
  /** The input field at fault, when the API names one (`extensions.field`). */
  field?: string;
  /** Seconds to wait, for `RATE_LIMITED`. */
  retryAfterSeconds?: number;
}

function isCombinedError(error: unknown): error is CombinedError {
  return (
    typeof error === 'object' &&
    error !== null &&
    'graphQLErrors' in error &&
    Array.isArray((error as CombinedError).graphQLErrors)
  );
}

/** Turns whatever went wrong (a CombinedError, an Error, a string) into errors to show; never throws. */
export function toApiErrors(error: unknown): ApiError[] {
  if (error === undefined || error === null) return [];
  if (isCombinedError(error)) {
    const errors: ApiError[] = error.graphQLErrors.map((e) => {
      const ext = (e.extensions ?? {}) as Record<string, unknown>;
      const out: ApiError = {
        code: typeof ext.code === 'string' ? ext.code : 'INTERNAL_SERVER_ERROR',
        message: e.message || 'Something went wrong',
      };
      if (typeof ext.field === 'string') out.field = ext.field;
      if (typeof ext.retryAfterSeconds === 'number') out.retryAfterSeconds = ext.retryAfterSeconds;
      return out;
    });
    if (error.networkError) {
      errors.push({
        code: 'NETWORK_ERROR',
        message: `Could not reach the server (${error.networkError.message})`,
      });
    }
    if (errors.length === 0) errors.push({ code: 'UNKNOWN', message: error.message });
    return errors;
  }
  if (Array.isArray(error)) return error.flatMap((e) => toApiErrors(e));
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    return [error as ApiError];
  }
  if (error instanceof Error) return [{ code: 'UNKNOWN', message: error.message }];
  return [{ code: 'UNKNOWN', message: String(error) }];
}

/** Does any of these errors carry `code`? */
export function hasCode(error: unknown, code: string): boolean {
  return toApiErrors(error).some((e) => e.code === code);
}

const CODE_LABELS: Record<string, string> = {
  BAD_USER_INPUT: 'Invalid input',
  UNAUTHENTICATED: 'Not signed in',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  RATE_LIMITED: 'Too many attempts',
  NETWORK_ERROR: 'Network problem',
  INTERNAL_SERVER_ERROR: 'Server error',
  GRAPHQL_VALIDATION_FAILED: 'Invalid request',
};

/** A readable sentence for one error, e.g. "Invalid input (input.email): email is already taken". */
export function describeApiError(error: ApiError): string {
  const label = CODE_LABELS[error.code] ?? error.code;
  const field = error.field ? ` (${error.field})` : '';
  const retry =
    error.retryAfterSeconds !== undefined ? ` Try again in ${error.retryAfterSeconds} s.` : '';
  return `${label}${field}: ${error.message}${retry}`;
}
