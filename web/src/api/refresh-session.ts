import { CombinedError } from 'urql';
import type { AuthPayload } from './operations';
import { REFRESH_SESSION } from './operations';

/**
 * Calls `refreshSession` without an Authorization header (the access token may have expired).
 * Rejects with a CombinedError when the API refuses or cannot be reached.
 */
export async function refreshSession(refreshToken: string, url = '/graphql'): Promise<AuthPayload> {
  let body: { data?: { refreshSession?: AuthPayload } | null; errors?: unknown[] };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: REFRESH_SESSION, variables: { refreshToken } }),
    });
    body = (await response.json()) as typeof body;
  } catch (error) {
    throw new CombinedError({
      networkError: error instanceof Error ? error : new Error(String(error)),
    });
  }
  const payload = body.data?.refreshSession;
  if (!payload) {
    throw new CombinedError({
      graphQLErrors: (body.errors as { message: string }[] | undefined) ?? [
        { message: 'The session could not be refreshed' },
      ],
    });
  }
  return payload;
}
