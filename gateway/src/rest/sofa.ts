import { createRequire } from 'node:module';
import type { Response } from 'fets';
import type { execute, GraphQLError, GraphQLSchema } from 'graphql';

/**
 * sofa-api, loaded without its type declarations: they augment graphql's
 * `GraphQLHTTPErrorExtensions` (`headers` as a plain record) in a way that contradicts Apollo
 * Server's (a `HeaderMap`), which breaks every `GraphQLError` with HTTP headers in the gateway.
 * These are the parts of its API (0.18) the REST module uses.
 */
export interface SofaRouteConfig {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path?: string;
  tags?: string[];
  description?: string;
}

export interface SofaConfig {
  basePath: string;
  schema: GraphQLSchema;
  execute: typeof execute;
  routes: Record<string, SofaRouteConfig>;
  customScalars: Record<string, object>;
  errorHandler: (errors: ReadonlyArray<GraphQLError>) => Response;
  swaggerUI: { endpoint: false };
}

/** SOFA's settings once created; `models` and `ignore` decide how deep answers go. */
export interface Sofa {
  models: string[];
  ignore: string[];
}

export interface SofaRouter {
  /** Resolves undefined when no route has this method and path. */
  fetch(
    url: string,
    init: RequestInit,
    serverContext: object,
  ): Promise<globalThis.Response | undefined>;
  readonly openAPIDocument: unknown;
}

const sofaApi = createRequire(__filename)('sofa-api') as {
  createSofa(config: SofaConfig): Sofa;
  createSofaRouter(sofa: Sofa): SofaRouter;
};

export const { createSofa, createSofaRouter } = sofaApi;
