import type { IncomingMessage, ServerResponse } from 'node:http';
import { Response } from 'fets';
import {
  GraphQLError,
  print,
  type DocumentNode,
  type execute as graphqlExecute,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { OpenAPIV3 } from 'openapi-types';
import { BodyTooLargeError, ErrorCode, HTTP_STATUS, readBody, type Route } from '@psa/shared';
import type { AccessRules } from '../access-rules';
import { serveApiDocs } from './api-docs';
import { createSofa, createSofaRouter, type SofaRouteConfig, type SofaRouter } from './sofa';
import { completeOpenApiDocument, FIELD_TAG_PREFIX } from './openapi-document';
import {
  CONTRACT_ROUTES,
  customScalarSchemas,
  restSchemaView,
  selectionRules,
} from './rest-schema';

/** Every path under it belongs to the REST API, never to the web console. */
export const REST_PREFIX = '/api/';
/** The generated routes' base. */
export const REST_BASE = '/api/v1';
export const OPENAPI_PATH = `${REST_BASE}/openapi.json`;

/** Answer headers of the GraphQL execution a REST answer carries over. */
const FORWARDED_HEADERS = ['retry-after', 'idempotent-replayed'];

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

/** One GraphQL operation for the gateway to run as the REST caller. */
export interface GraphQLCall {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
}

/** What the gateway answered: its HTTP status and headers, and the GraphQL result. */
export interface GraphQLAnswer {
  status: number;
  headers: Iterable<[string, string]>;
  result: { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] };
}

/**
 * Runs `call` through the gateway's own GraphQL execution (Apollo Server and every plugin) with
 * the headers and client address of the REST request `req`.
 */
export type RestExecutor = (
  call: GraphQLCall,
  req: IncomingMessage,
  requestId: string,
) => Promise<GraphQLAnswer>;

export interface RestApiOptions {
  /** The current API schema (null until the supergraph is loaded). */
  schema: () => GraphQLSchema | null;
  /** The current access rules (they say which operations need a token). */
  rules: () => AccessRules;
  execute: RestExecutor;
  /** Largest request body accepted (the GraphQL endpoint's limit). */
  bodyLimitBytes: number;
}

/** What one REST request hands SOFA as its server context (SOFA passes it on as contextValue). */
interface RestCall {
  req: IncomingMessage;
  /** The id the server gave the request (its `x-request-id` answer header). */
  requestId: string;
  /** The gateway's answer once the operation ran (an object of its own: the router copies the context). */
  outcome: { answer?: GraphQLAnswer };
}

/** A GraphQL error as the REST body shows it: message and extensions (code, field...). */
function restError(error: GraphQLFormattedError | GraphQLError): GraphQLFormattedError {
  const { http, ...extensions } = (error.extensions ?? {}) as Record<string, unknown> & {
    http?: { status?: number };
  };
  // SOFA's own refusals (a body that is not JSON, a parameter that does not parse) carry no code.
  if (typeof extensions.code !== 'string') {
    extensions.code =
      http?.status === 400 ? ErrorCode.BAD_USER_INPUT : ErrorCode.INTERNAL_SERVER_ERROR;
  }
  return { message: error.message, extensions };
}

/** The HTTP status of a code; codes the API does not list answer 500. */
function statusOf(code: unknown): number {
  return typeof code === 'string' && Object.hasOwn(HTTP_STATUS, code)
    ? HTTP_STATUS[code as ErrorCode]
    : 500;
}

interface BuiltApi {
  schema: GraphQLSchema;
  rules: AccessRules;
  router: SofaRouter;
  openApi: OpenAPIV3.Document;
}

/** SOFA's route settings for every Query and Mutation field of `schema`. */
function routesFor(schema: GraphQLSchema): Record<string, SofaRouteConfig> {
  const routes: Record<string, SofaRouteConfig> = {};
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    if (!root) continue;
    for (const fieldName of Object.keys(root.getFields())) {
      const coordinate = `${root.name}.${fieldName}`;
      // The tag tells the OpenAPI document which field an operation is (SOFA does not say).
      routes[coordinate] = {
        ...CONTRACT_ROUTES[coordinate],
        tags: [`${FIELD_TAG_PREFIX}${coordinate}`],
      };
    }
  }
  return routes;
}

function buildApi(
  apiSchema: GraphQLSchema,
  rules: AccessRules,
  execute: (call: RestCall, query: string, args: ExecutionArgs) => Promise<ExecutionResult>,
): BuiltApi {
  const schema = restSchemaView(apiSchema);
  const printed = new WeakMap<DocumentNode, string>();
  const sofa = createSofa({
    basePath: REST_BASE,
    schema,
    routes: routesFor(schema),
    customScalars: customScalarSchemas(schema),
    // The document is served completed by this module (before the router sees the request);
    // SOFA's Swagger UI page would load its scripts from a CDN.
    swaggerUI: { endpoint: false },
    execute: ((args: ExecutionArgs) => {
      let query = printed.get(args.document);
      if (query === undefined) printed.set(args.document, (query = print(args.document)));
      return execute(args.contextValue as RestCall, query, args);
    }) as typeof graphqlExecute,
    errorHandler: (errors) => {
      const shaped = errors.map((error) => restError(error as GraphQLError));
      return Response.json(
        { errors: shaped },
        { status: statusOf(shaped[0]?.extensions?.code) as 500 },
      );
    },
  });
  Object.assign(sofa, selectionRules(schema));
  const router = createSofaRouter(sofa);
  const openApi = completeOpenApiDocument(router.openAPIDocument as OpenAPIV3.Document, {
    schema,
    rules,
    basePath: REST_BASE,
  });
  return { schema: apiSchema, rules, router, openApi };
}

/**
 * The OpenAPI document the REST API serves for `apiSchema` (what `npm run codegen:rest`
 * generates the typed client of the tests from, without starting anything).
 */
export function openApiDocumentFor(
  apiSchema: GraphQLSchema,
  rules: AccessRules,
): OpenAPIV3.Document {
  return buildApi(apiSchema, rules, () => {
    throw new Error('the document is built without running operations');
  }).openApi;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The REST API under {@link REST_PREFIX}: the routes SOFA generates from the supergraph at
 * {@link REST_BASE} (the contract's paths where it names them), the OpenAPI document at
 * {@link OPENAPI_PATH}, the reference page at `/api/docs`, and 404 NOT_FOUND as JSON for any
 * other path. Each call runs as one GraphQL operation through `execute`, so the gateway's token
 * checks, access rules, limits, idempotency and metrics apply as to any GraphQL request. An
 * answer with errors gets the status of its first error's code (the gateway's own status where it
 * chose one, e.g. 422 for an Idempotency-Key reused with other input) and the errors as body.
 */
export function restApi(options: RestApiOptions): Route {
  let built: BuiltApi | null = null;
  const current = (): BuiltApi | null => {
    const schema = options.schema();
    if (!schema) return null;
    const rules = options.rules();
    if (built?.schema !== schema || built.rules !== rules) {
      built = buildApi(schema, rules, async (call, query, args) => {
        const answer = await options.execute(
          {
            query,
            variables: (args.variableValues ?? {}) as Record<string, unknown>,
            ...(args.operationName ? { operationName: args.operationName } : {}),
          },
          call.req,
          call.requestId,
        );
        call.outcome.answer = answer;
        const { data, errors } = answer.result;
        return {
          data: data ?? null,
          ...(errors?.length
            ? {
                errors: errors.map(
                  (error) => new GraphQLError(error.message, { extensions: error.extensions }),
                ),
              }
            : {}),
        };
      });
    }
    return built;
  };

  return async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const notFound = () =>
      sendRestError(res, ErrorCode.NOT_FOUND, `No REST route ${method} ${url.pathname}`);
    if (method === 'GET' || method === 'HEAD') {
      if (await serveApiDocs(url.pathname, res, OPENAPI_PATH)) return;
    }
    if (!url.pathname.startsWith(`${REST_BASE}/`)) return notFound();
    const api = current();
    if (!api) {
      return sendRestError(res, ErrorCode.SERVICE_UNAVAILABLE, 'The API schema is not loaded yet');
    }
    if (url.pathname === OPENAPI_PATH && method === 'GET') return sendJson(res, 200, api.openApi);

    let body: string;
    try {
      body = await readBody(req, options.bodyLimitBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      res.setHeader('connection', 'close');
      return sendRestError(
        res,
        ErrorCode.PAYLOAD_TOO_LARGE,
        `Request body is larger than ${options.bodyLimitBytes} bytes`,
      );
    }
    const requestId = res.getHeader('x-request-id');
    const call: RestCall = {
      req,
      requestId: typeof requestId === 'string' ? requestId : '',
      outcome: {},
    };
    const headers = new Headers();
    const contentType = req.headers['content-type'];
    if (typeof contentType === 'string') headers.set('content-type', contentType);
    const response: globalThis.Response | undefined = await api.router.fetch(
      `http://localhost${url.pathname}${url.search}`,
      { method, headers, ...(body.length > 0 && method !== 'GET' ? { body } : {}) },
      call,
    );
    // No route matched this method and path.
    if (!response) return notFound();
    const text = await response.text();
    const { answer } = call.outcome;

    let status = response.status;
    const outgoing: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
    };
    if (answer) {
      // A status the gateway chose itself (401, 403, 413, 422, 429 before execution) stands.
      if (status >= 400 && answer.status >= 400) status = answer.status;
      for (const [name, value] of answer.headers) {
        if (FORWARDED_HEADERS.includes(name.toLowerCase())) outgoing[name.toLowerCase()] = value;
      }
    }
    if (status === 429 && !outgoing['retry-after']) {
      const seconds = (JSON.parse(text) as { errors?: GraphQLFormattedError[] }).errors?.find(
        (error) => typeof error.extensions?.retryAfterSeconds === 'number',
      )?.extensions?.retryAfterSeconds;
      outgoing['retry-after'] = String(seconds ?? 1);
    }
    res.writeHead(status, { ...outgoing, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
}
