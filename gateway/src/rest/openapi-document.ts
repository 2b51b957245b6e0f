import { getNamedType, isInputObjectType, type GraphQLSchema } from 'graphql';
import type { OpenAPIV3 } from 'openapi-types';
import type { AccessRules } from '../access-rules';

/** SOFA routes carry this tag (`graphql:Mutation.login`) until the document names the field. */
export const FIELD_TAG_PREFIX = 'graphql:';

/** The extension naming the GraphQL field an operation runs (`Query.projects`). */
export const FIELD_EXTENSION = 'x-graphql-field';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const ERROR_RESPONSES: ReadonlyArray<[status: string, name: string, description: string]> = [
  ['400', 'BadUserInput', 'BAD_USER_INPUT (an argument is wrong; `extensions.field` names it)'],
  ['401', 'Unauthenticated', 'UNAUTHENTICATED (no, an expired or a revoked access token)'],
  ['403', 'Forbidden', 'FORBIDDEN (the caller may not do this)'],
  ['404', 'NotFound', 'NOT_FOUND (nothing the caller may see has this id)'],
  ['409', 'Conflict', 'CONFLICT (the state does not allow it, or the same Idempotency-Key runs)'],
  ['429', 'RateLimited', 'RATE_LIMITED (try again after `Retry-After` seconds)'],
  ['500', 'InternalError', 'INTERNAL_SERVER_ERROR or any other code'],
  ['503', 'ServiceUnavailable', 'SERVICE_UNAVAILABLE (a service the call needs is down)'],
];

function errorComponents(): Pick<OpenAPIV3.ComponentsObject, 'schemas' | 'responses'> {
  const responses: Record<string, OpenAPIV3.ResponseObject> = {};
  for (const [status, name, description] of ERROR_RESPONSES) {
    responses[name] = {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
      ...(status === '429'
        ? {
            headers: {
              'Retry-After': {
                description: 'Seconds to wait before trying again.',
                schema: { type: 'integer', minimum: 0 },
              },
            },
          }
        : {}),
    };
  }
  return {
    schemas: {
      GraphQLError: {
        type: 'object',
        required: ['message', 'extensions'],
        properties: {
          message: { type: 'string' },
          extensions: {
            type: 'object',
            required: ['code'],
            properties: {
              code: { type: 'string', description: 'The GraphQL `extensions.code`.' },
              field: { type: 'string', description: 'The input field a BAD_USER_INPUT is about.' },
            },
            additionalProperties: true,
          },
        },
      },
      ErrorResponse: {
        type: 'object',
        required: ['errors'],
        properties: {
          errors: {
            type: 'array',
            minItems: 1,
            items: { $ref: '#/components/schemas/GraphQLError' },
          },
        },
      },
    },
    responses,
  };
}

export interface DocumentSources {
  /** The graph as the REST API shows it (the schema SOFA was given). */
  schema: GraphQLSchema;
  rules: AccessRules;
  basePath: string;
}

/**
 * Completes the OpenAPI document SOFA generated: names each operation after its GraphQL field,
 * adds the bearer security scheme (required by the fields that need a sign-in), the error
 * answers, `Idempotency-Key` on writes, and describes object arguments of `GET` routes as JSON
 * (`?filter={"search":"x"}`). Root types are dropped from the schemas: they are not values.
 */
export function completeOpenApiDocument(
  generated: OpenAPIV3.Document,
  { schema, rules, basePath }: DocumentSources,
): OpenAPIV3.Document {
  const document = structuredClone(generated);
  document.openapi = '3.0.3';
  document.info = {
    title: 'PSA Graph REST API',
    version: '1.0.0',
    description:
      'Generated from the GraphQL supergraph: every query and mutation is a route, run by the ' +
      'gateway exactly as the GraphQL operation would be (same rules, limits and errors). ' +
      'Errors answer the HTTP status of their `extensions.code`.',
  };
  document.servers = [{ url: basePath }];
  const components = (document.components ??= {});
  const errors = errorComponents();
  const schemas = (components.schemas ??= {});
  for (const root of [
    schema.getQueryType(),
    schema.getMutationType(),
    schema.getSubscriptionType(),
  ])
    if (root) delete schemas[root.name];
  Object.assign(schemas, errors.schemas);
  components.responses = errors.responses;
  components.securitySchemes = {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'The `accessToken` of `POST /login` (or `/sign-up`, `/refresh`).',
    },
  };
  components.parameters = {
    IdempotencyKey: {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Makes a retried write safe: the first complete answer is replayed (with ' +
        '`Idempotent-Replayed: true`) for 24 hours to the same caller and key.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    },
  };

  for (const pathItem of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = pathItem?.[method];
      if (!operation) continue;
      const marker = operation.tags?.find((tag) => tag.startsWith(FIELD_TAG_PREFIX));
      if (!marker) continue;
      const coordinate = marker.slice(FIELD_TAG_PREFIX.length);
      const [typeName, fieldName] = coordinate.split('.') as [string, string];
      const field = (
        typeName === 'Query' ? schema.getQueryType() : schema.getMutationType()
      )?.getFields()[fieldName];
      if (!field) continue;
      operation.operationId = fieldName;
      operation.tags = [typeName];
      operation.summary = `${typeName}.${fieldName}`;
      if (field.description) operation.description = field.description;
      (operation as Record<string, unknown>)[FIELD_EXTENSION] = coordinate;
      const role = rules.requirement(typeName, fieldName);
      operation.security = role ? [{ bearerAuth: [] }] : [{}, { bearerAuth: [] }];
      if (role && role !== 'CLIENT')
        operation.description =
          `${operation.description ?? ''}\n\nRequires the role ${role} or above.`.trim();

      const body = operation.requestBody as OpenAPIV3.RequestBodyObject | undefined;
      const bodySchema = body?.content['application/json']?.schema as
        OpenAPIV3.SchemaObject | undefined;
      const inBody = new Set(Object.keys(bodySchema?.properties ?? {}));
      // SOFA lists a write's arguments as query parameters too; they travel in the body.
      const parameters = ((operation.parameters ?? []) as OpenAPIV3.ParameterObject[]).filter(
        (parameter) => !(parameter.in === 'query' && inBody.has(parameter.name)),
      );
      for (const parameter of parameters) {
        if (!parameter.description) delete parameter.description;
        const argument = field.args.find((arg) => arg.name === parameter.name);
        if (
          parameter.in === 'query' &&
          argument &&
          isInputObjectType(getNamedType(argument.type))
        ) {
          // An object in a query string travels as JSON (`?filter={"status":"ACTIVE"}`).
          const { schema: objectSchema } = parameter;
          delete parameter.schema;
          parameter.content = { 'application/json': { schema: objectSchema! } };
        }
      }
      operation.parameters = parameters;
      if (method !== 'get') {
        parameters.push({
          $ref: '#/components/parameters/IdempotencyKey',
        } as unknown as OpenAPIV3.ParameterObject);
      }
      if (parameters.length === 0) delete operation.parameters;

      if (body && bodySchema) {
        if (!bodySchema.required?.length) body.required = false;
        if (Object.keys(bodySchema.properties ?? {}).length === 0) delete operation.requestBody;
      }

      for (const response of Object.values(operation.responses)) {
        if ('description' in response && !response.description)
          response.description = `The value of ${coordinate}.`;
      }
      for (const [status, name] of ERROR_RESPONSES) {
        operation.responses[status] = { $ref: `#/components/responses/${name}` };
      }
    }
  }
  return document;
}
