import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';
import { SUBGRAPH_HEADER_SDL } from './subgraph-header';

/**
 * The SDL of a service's schema: the shared subgraph header followed by
 * `<serviceRoot>/src/schema.graphql`. Works from the TypeScript sources and from the compiled
 * `dist/` alike (both sit beside `src/`), so builds need not copy it.
 */
export function subgraphSdl(serviceRoot: string): string {
  const own = readFileSync(path.join(serviceRoot, 'src', 'schema.graphql'), 'utf8');
  return `${SUBGRAPH_HEADER_SDL}\n${own}`;
}

/** {@link subgraphSdl}, parsed. */
export function loadTypeDefs(serviceRoot: string): DocumentNode {
  return parse(subgraphSdl(serviceRoot));
}
