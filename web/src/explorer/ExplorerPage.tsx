/**
 * The API explorer: GraphiQL 4 (CodeMirror 5 editors, so no Monaco web workers for the gateway's
 * CSP to allow), bundled from npm and loaded only when this route opens (see App.tsx).
 */
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { useMemo } from 'react';
import type { Client as WsClient } from 'graphql-ws';
import type { SessionStore } from '../session/session-store';

export interface ExplorerPageProps {
  session: SessionStore;
  /** The console's graphql-ws client, whose connection already carries the session's token. */
  wsClient: WsClient;
  url?: string;
}

const DEFAULT_QUERY = `# Runs with your sign-in. Try a subscription too:
# subscription { statusUpdated(projectId: "…") { message author { username } } }
{
  me {
    username
    role
  }
}
`;

/** GraphiQL against `/graphql` with the signed-in user's access token on every request. */
export default function ExplorerPage({ session, wsClient, url = '/graphql' }: ExplorerPageProps) {
  const fetcher = useMemo(
    () =>
      createGraphiQLFetcher({
        url,
        wsClient,
        // A function per request, so a refreshed token is used without rebuilding GraphiQL.
        fetch: (input, init) => {
          const headers = new Headers(init?.headers);
          const token = session.accessToken;
          if (token && !headers.has('authorization')) {
            headers.set('authorization', `Bearer ${token}`);
          }
          return fetch(input, { ...init, headers });
        },
      }),
    [session, wsClient, url],
  );
  return (
    <main className="explorer" aria-label="API explorer">
      {/* The same operations as REST routes, with their OpenAPI reference (served by the gateway). */}
      <p className="explorer-rest">
        <a href="/api/docs" target="_blank" rel="noopener noreferrer">
          REST API reference (OpenAPI)
        </a>
      </p>
      <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
    </main>
  );
}
