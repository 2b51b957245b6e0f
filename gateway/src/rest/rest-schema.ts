import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { isObjectType, isScalarType, isSpecifiedScalarType, type GraphQLSchema } from 'graphql';
import type { SofaRouteConfig } from './sofa';

/**
 * The routes of the REST contract (`../shared/contract/next/rest.md`) by GraphQL field; every
 * other Query and Mutation field keeps the route SOFA generates from its name.
 */
export const CONTRACT_ROUTES: Readonly<Record<string, SofaRouteConfig>> = {
  'Mutation.login': { method: 'POST', path: '/login' },
  'Mutation.signUp': { method: 'POST', path: '/sign-up' },
  'Mutation.refreshSession': { method: 'POST', path: '/refresh' },
  'Mutation.logout': { method: 'POST', path: '/logout' },
  'Query.me': { method: 'GET', path: '/me' },
  'Query.projects': { method: 'GET', path: '/projects' },
  'Mutation.createProject': { method: 'POST', path: '/projects' },
  'Query.project': { method: 'GET', path: '/projects/:id' },
  'Mutation.deleteProject': { method: 'DELETE', path: '/projects/:id' },
  'Mutation.createTask': { method: 'POST', path: '/tasks' },
  'Query.task': { method: 'GET', path: '/tasks/:id' },
  'Mutation.deleteTask': { method: 'DELETE', path: '/tasks/:id' },
  'Query.document': { method: 'GET', path: '/documents/:id' },
  'Mutation.logTime': { method: 'POST', path: '/time-entries' },
};

/**
 * The graph as the REST API shows it: the API schema without the fields of non-root types that
 * take arguments (nested connections such as `Project.tasks(first, after)`, reports over a
 * range). SOFA selects every field of a route's type; with those, one `GET /projects` would
 * fetch every project's tasks, documents and time entries, and their arguments would become
 * odd query parameters (`edges_node_tasks_first`). Each of them is a route of its own or is
 * reached through GraphQL. The documents SOFA builds from this view are valid against the real
 * schema (they only select fewer fields), so execution uses the gateway's schema unchanged.
 */
export function restSchemaView(apiSchema: GraphQLSchema): GraphQLSchema {
  const roots = new Set(
    [apiSchema.getQueryType(), apiSchema.getMutationType(), apiSchema.getSubscriptionType()]
      .filter((type) => type != null)
      .map((type) => type.name),
  );
  return mapSchema(apiSchema, {
    [MapperKind.COMPOSITE_FIELD]: (field, _name, typeName) =>
      !roots.has(typeName) && field.args && Object.keys(field.args).length > 0 ? null : field,
  });
}

/** SOFA's selection rules, read from the schema so a new type needs no code. */
export interface SelectionRules {
  /** Object types with an `id`: nested ones are answered as `{ id }` only. */
  models: string[];
  /** `Edge.node` of each connection: a connection's nodes carry their own fields. */
  ignore: string[];
}

export function selectionRules(schema: GraphQLSchema): SelectionRules {
  const models: string[] = [];
  const ignore: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const fields = type.getFields();
    if (fields.id) models.push(type.name);
    if (fields.node && fields.cursor) ignore.push(`${type.name}.node`);
  }
  return { models, ignore };
}

/**
 * JSON Schemas of the custom scalars: every one travels as a string (DateTime, Date, Decimal's
 * exact digits), with its description; DateTime and Date carry their formats.
 */
export function customScalarSchemas(schema: GraphQLSchema): Record<string, object> {
  const formats: Record<string, string> = { DateTime: 'date-time', Date: 'date' };
  const schemas: Record<string, object> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isScalarType(type) || isSpecifiedScalarType(type)) continue;
    schemas[type.name] = {
      type: 'string',
      ...(formats[type.name] ? { format: formats[type.name] } : {}),
      ...(type.description ? { description: type.description } : {}),
    };
  }
  return schemas;
}
