import path from 'node:path';

/**
 * The subgraphs, with the ports of their development defaults (the URLs `npm run compose` writes
 * into the supergraph; the gateway calls the URLs its configuration gives).
 */
export const SUBGRAPHS = [
  { name: 'users', port: 4001 },
  { name: 'projects', port: 4002 },
  { name: 'tasks', port: 4003 },
  { name: 'documents', port: 4004 },
  { name: 'time', port: 4005 },
  { name: 'notifications', port: 4006 },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

/** The checked-in supergraph the gateway starts from (written by `npm run compose`). */
export const SUPERGRAPH_PATH = path.resolve(__dirname, '..', 'supergraph.graphql');
