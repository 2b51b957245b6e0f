import type { IncomingMessage } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { requestIdFrom, type IncomingRequest, type Logger } from '@psa/shared';
import type { GatewayContext } from '../gateway-context';
import type { GraphQLAnswer, RestExecutor } from './rest-api';

/** Headers describing the REST request's own body, replaced by the GraphQL request's. */
const BODY_HEADERS = new Set(['content-length', 'content-type', 'accept', 'transfer-encoding']);

/**
 * Runs each REST call as a GraphQL POST to the gateway's Apollo Server, in process: the same
 * context (token, client address, request id), plugins (operation guard, rate limits,
 * idempotency, metrics, logging) and error formatting as a request to `/graphql`, with the REST
 * request's headers (`Authorization`, `Idempotency-Key`, `X-Forwarded-For`...).
 */
export function restExecutor(
  apollo: ApolloServer<GatewayContext>,
  context: (request: IncomingRequest) => Promise<GatewayContext>,
  logger: Logger,
): RestExecutor {
  return async (call, req: IncomingMessage, requestId) => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || BODY_HEADERS.has(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    headers.set('content-type', 'application/json');
    headers.set('accept', 'application/json');
    const id = requestId || requestIdFrom(req.headers);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: '', body: call },
      context: () =>
        context({
          headers: req.headers,
          requestId: id,
          logger: logger.child({ requestId: id }),
          ip: req.socket.remoteAddress ?? '',
        }),
    });
    let text = '';
    if (response.body.kind === 'complete') text = response.body.string;
    else for await (const chunk of response.body.asyncIterator) text += chunk;
    return {
      status: response.status ?? 200,
      headers: response.headers,
      result: JSON.parse(text) as GraphQLAnswer['result'] & { errors?: GraphQLFormattedError[] },
    };
  };
}
