import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { loadTypeDefs } from '@psa/shared';
import { SUBGRAPHS } from '../gateway/src/supergraph';

const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * Composes the subgraph schemas (the shared header and each service's `src/schema.graphql`) into a supergraph with
 * `@apollo/composition`, at build time: the gateway only reads the result. Returns the SDL, or
 * the composition errors.
 */
export function composeSupergraph():
  { sdl: string; errors: null } | { sdl: null; errors: string[] } {
  const result = composeServices(
    SUBGRAPHS.map(({ name, port }) => ({
      name,
      url: `http://127.0.0.1:${port}/graphql`,
      typeDefs: loadTypeDefs(path.join(REPO_ROOT, 'services', name)),
    })),
  );
  if (result.errors) return { sdl: null, errors: result.errors.map((e) => e.message) };
  return { sdl: result.supergraphSdl, errors: null };
}
