/**
 * Every `extensions.code` any PSA Graph process answers with, over HTTP and WebSocket. Clients
 * depend on these names; the README's table of error codes lists each one (a test checks both
 * ways), and no other production file spells one.
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  RATE_LIMITED = 'RATE_LIMITED',
  /** A service the operation needs is down or not answering; what other services gave is kept. */
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
  /** The HTTP request itself is wrong (method, JSON body, headers), before any GraphQL is read. */
  BAD_REQUEST = 'BAD_REQUEST',
  /** The request body is over the server's limit. */
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  // Apollo Server's own codes (`ApolloServerErrorCode`), spelled the same (a test compares them).
  GRAPHQL_PARSE_FAILED = 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED',
  /** Several operations and no (or an unknown) `operationName`. */
  OPERATION_RESOLUTION_FAILURE = 'OPERATION_RESOLUTION_FAILURE',
  /**
   * An automatic persisted query whose hash the server does not know: send the query with it.
   * Apollo answers it with HTTP 200, as its persisted-query protocol expects.
   */
  PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND',
}

/** HTTP status a request-level error of each code answers with. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
  [ErrorCode.INTERNAL_SERVER_ERROR]: 500,
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.GRAPHQL_PARSE_FAILED]: 400,
  [ErrorCode.GRAPHQL_VALIDATION_FAILED]: 400,
  [ErrorCode.OPERATION_RESOLUTION_FAILURE]: 400,
  [ErrorCode.PERSISTED_QUERY_NOT_FOUND]: 200,
};
