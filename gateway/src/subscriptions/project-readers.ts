import { randomUUID } from 'node:crypto';
import type { Fetcher } from '@apollo/utils.fetcher';
import { ErrorCode, type Audience } from '@psa/shared';

/**
 * Who may read project `projectId` now, asked of the projects subgraph as the holder of
 * `authorization`: null when that caller may not read it (or it is gone). Rejects when the
 * subgraph cannot answer, so an outage is not taken for "nobody may read it".
 */
export type ProjectReadersLookup = (
  projectId: string,
  authorization: string,
) => Promise<Audience | null>;

const QUERY =
  'query PsaProjectReaders($id: ID!) { projectReaders(projectId: $id) { roles userIds } }';

interface Answer {
  data?: { projectReaders: Audience | null } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * Asks the projects subgraph at `url` directly: `projectReaders` is `@inaccessible`, out of the
 * API schema clients (and the gateway's own execution) see, because the readers of a project
 * are the projects policy's to decide and only the gateway needs them.
 */
export function projectReadersFrom(url: string, fetcher: Fetcher): ProjectReadersLookup {
  return async (projectId, authorization) => {
    const response = await fetcher(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization,
        'x-request-id': randomUUID(),
      },
      body: JSON.stringify({ query: QUERY, variables: { id: projectId } }),
    });
    const answer = (await response.json()) as Answer;
    const readers = answer.data?.projectReaders;
    if (readers) return readers;
    const code = answer.errors?.[0]?.extensions?.code;
    if (code === ErrorCode.NOT_FOUND || code === ErrorCode.UNAUTHENTICATED) return null;
    throw new Error(
      `projects subgraph could not tell the readers of ${projectId} (${response.status}: ${answer.errors?.[0]?.message ?? 'no answer'})`,
    );
  };
}
