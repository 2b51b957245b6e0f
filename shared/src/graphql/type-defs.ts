import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';

/**
 * A service's schema from `<serviceRoot>/src/schema.graphql`. Works from the TypeScript sources
 * and from the compiled `dist/` alike (both sit beside `src/`), so builds need not copy it.
 */
export function loadTypeDefs(serviceRoot: string): DocumentNode {
  return parse(readFileSync(path.join(serviceRoot, 'src', 'schema.graphql'), 'utf8'));
}
