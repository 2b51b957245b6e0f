import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, HTTP_STATUS, type Route } from '@psa/shared';

/** Every path under it belongs to the REST API, never to the web console. */
export const REST_PREFIX = '/api/';

/** A REST error answer: the GraphQL error shape, with the status of its code. */
export function sendRestError(
  res: ServerResponse,
  code: ErrorCode,
  message: string,
  status = HTTP_STATUS[code],
): void {
  const text = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The REST API's routes under {@link REST_PREFIX}. So far none is served: every path answers 404
 * NOT_FOUND as JSON, so a client calling `/api/...` learns it does not exist instead of getting
 * the console's HTML with 200.
 */
export function restApi(): Route {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    sendRestError(res, ErrorCode.NOT_FOUND, `No REST route ${req.method ?? 'GET'} ${path}`);
  };
}
