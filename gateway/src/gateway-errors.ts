import { HeaderMap } from '@apollo/server';
import { GraphQLError, type ASTNode } from 'graphql';
import { ErrorCode, HTTP_STATUS } from '@psa/shared';

/**
 * A request-level error the gateway answers before planning: `extensions.code` and the HTTP
 * status Apollo Server sends (without `http.status` a thrown plugin error becomes a 500).
 * `nodes` are the parts of the document it is about (e.g. the variable definitions that did
 * not coerce).
 */
export function gatewayError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
  { headers, nodes }: { headers?: HeaderMap; nodes?: readonly ASTNode[] } = {},
): GraphQLError {
  return new GraphQLError(message, {
    ...(nodes?.length ? { nodes } : {}),
    extensions: {
      ...extensions,
      code,
      http: { status: HTTP_STATUS[code], ...(headers ? { headers } : {}) },
    },
  });
}

/** RATE_LIMITED (429) with `retryAfterSeconds` and a `retry-after` header. */
export function rateLimitedError(message: string, retryAfterSeconds: number): GraphQLError {
  return gatewayError(
    ErrorCode.RATE_LIMITED,
    message,
    { retryAfterSeconds },
    { headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
  );
}
