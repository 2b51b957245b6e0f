import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DomainError } from './domain-error';
import { ErrorCode } from './error-code';

/** True for a MongoDB duplicate-key error (E11000), from the driver or mongoose. */
export function isDuplicateKeyError(
  error: unknown,
): error is Error & { keyValue?: Record<string, unknown> } {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000
  );
}

/** The code a thrown error maps to, or null when it is unexpected (a bug or an outage). */
export function codeOf(error: unknown): ErrorCode | null {
  if (error instanceof DomainError) return error.code;
  if (isDuplicateKeyError(error)) return ErrorCode.CONFLICT;
  return null;
}

/** A request-level GraphQLError (not thrown by a resolver) with a 4xx `http.status`. */
function isClientRequestError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.originalError || error.path) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Builds Apollo Server's `formatError`: domain errors keep their message and code, GraphQL's own
 * errors (parse, validation, bad variables) keep the code Apollo gave them, and anything else
 * becomes INTERNAL_SERVER_ERROR with a generic message (the original message only in
 * development). Never throws.
 */
export function createErrorFormatter(development: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    try {
      const original = unwrapResolverError(error);
      const base: GraphQLFormattedError = {
        message: formatted.message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
      };
      if (original instanceof DomainError) {
        return {
          ...base,
          message: original.message,
          extensions: { ...original.details, code: original.code },
        };
      }
      if (isDuplicateKeyError(original)) {
        const field = Object.keys(original.keyValue ?? {})[0];
        return {
          ...base,
          message: field ? `${field} is already taken` : 'This already exists',
          extensions: { code: ErrorCode.CONFLICT, ...(field ? { field } : {}) },
        };
      }
      const code = formatted.extensions?.code;
      if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
      // Apollo Server's own request errors that carry a 4xx status but no code (a persisted
      // query whose hash does not match) are the client's: BAD_REQUEST with Apollo's message.
      if (isClientRequestError(original)) {
        return { ...base, extensions: { code: ErrorCode.BAD_REQUEST } };
      }
      return {
        ...base,
        message:
          development && original instanceof Error ? original.message : 'Internal server error',
        extensions: {
          code: ErrorCode.INTERNAL_SERVER_ERROR,
          ...(development && formatted.extensions?.stacktrace
            ? { stacktrace: formatted.extensions.stacktrace }
            : {}),
        },
      };
    } catch {
      return {
        message: 'Internal server error',
        extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
      };
    }
  };
}
