import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { loadTypeDefs } from '@psa/shared';

/** The subgraphs, their schema files and the URLs written into the supergraph (dev defaults). */
export const SUBGRAPHS = [
  { name: 'users', port: 4001 },
  { name: 'projects', port: 4002 },
  { name: 'tasks', port: 4003 },
  { name: 'documents', port: 4004 },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The checked-in supergraph the gateway starts from. */
export const SUPERGRAPH_PATH = path.join(REPO_ROOT, 'gateway', 'supergraph.graphql');

/**
 * Composes the four subgraph schemas (the shared header and each service's schema.graphql) into a supergraph with
 * `@apollo/composition`. Returns the SDL, or the composition errors.
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
