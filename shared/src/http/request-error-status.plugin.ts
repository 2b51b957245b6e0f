import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Kind, type GraphQLError } from 'graphql';
import Negotiator from 'negotiator';
import { ErrorCode } from '../errors/error-code';

const APPLICATION_JSON = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';

/**
 * The media types Apollo Server chooses between for a single result, in its order of preference
 * (`chooseContentTypeForSingleResultResponse`): the same list gives the same choice.
 */
const SINGLE_RESULT_MEDIA_TYPES = [
  APPLICATION_JSON,
  GRAPHQL_RESPONSE_JSON,
  'application/json; callback-json-graphql',
];

/**
 * A GraphQL-over-HTTP request error of the three kinds the specification answers with 200 to an
 * `application/json` client: the document does not parse, does not validate, or its variables do
 * not coerce. graphql-js points a coercion error at the variable definitions (and so does the
 * gateway's own check), which tells it from the BAD_USER_INPUT refusals of the gateway's limits
 * (depth, cost), whose status stays.
 */
function isDocumentOrVariablesError(error: GraphQLError): boolean {
  switch (error.extensions.code) {
    case ErrorCode.GRAPHQL_PARSE_FAILED:
    case ErrorCode.GRAPHQL_VALIDATION_FAILED:
      return true;
    case ErrorCode.BAD_USER_INPUT:
      return (
        !!error.nodes?.length && error.nodes.every((node) => node.kind === Kind.VARIABLE_DEFINITION)
      );
    default:
      return false;
  }
}

/** The media type Apollo Server will answer a single result with, or null (406). */
function chosenMediaType(accept: string | undefined): string | null {
  if (!accept) return APPLICATION_JSON;
  return new Negotiator({ headers: { accept } }).mediaType(SINGLE_RESULT_MEDIA_TYPES) ?? null;
}

/**
 * Apollo Server answers parse, validation and variable-coercion failures with 400 whatever the
 * client accepts. The GraphQL-over-HTTP specification asks for 400 only with
 * `application/graphql-response+json`; a client that gets `application/json` SHOULD see 200
 * (with that media type a 4xx may as well come from a proxy, so GraphQL errors travel in a 200).
 * This plugin answers those three kinds with 200 when the response is `application/json`, and
 * fixes the content type it decided for, so Apollo negotiates nothing different. Every other
 * status (401, 403, 413, 429, the gateway's limits) and every `application/graphql-response+json`
 * answer stays as Apollo set it.
 */
export function requestErrorStatusPlugin<
  TContext extends BaseContext,
>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response, errors }) {
          if (!request.http || response.http.status !== 400 || response.body.kind !== 'single') {
            return;
          }
          if (!errors?.length || !errors.every(isDocumentOrVariablesError)) return;
          if (response.http.headers.get('content-type')) return;
          const mediaType = chosenMediaType(request.http.headers.get('accept'));
          if (mediaType !== APPLICATION_JSON) return;
          response.http.headers.set('content-type', mediaType);
          response.http.status = 200;
        },
      };
    },
  };
}
