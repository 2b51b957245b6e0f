import { createClient as createWsClient } from 'graphql-ws';
import type { Client as WsClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from 'urql';
import type { SessionStore } from '../session/session-store';
import { LiveCloseCode, closeCode, subscribeLive } from './live-subscription';

export interface ApiClient {
  client: Client;
  /** The graphql-ws client (the API explorer shares it). */
  ws: WsClient;
  /** Closes the WebSocket; the client must not be used afterwards. */
  dispose(): void;
}

/** The WebSocket URL for `url`: `ws(s)://<page host><url>` for a path, `http(s)` → `ws(s)` otherwise. */
export function webSocketUrl(
  location: Pick<Location, 'protocol' | 'host'>,
  url = '/graphql',
): string {
  if (/^https?:\/\//.test(url)) return url.replace(/^http/, 'ws');
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${url}`;
}

/** Turns a WebSocket close into an Error saying why (README "Realtime": close codes). */
export function closeReason(error: unknown): unknown {
  if (typeof error !== 'object' || error === null || !('code' in error)) return error;
  const code = (error as { code: unknown }).code;
  if (typeof code !== 'number') return error;
  switch (code) {
    case 4401:
      return new Error('the live connection was refused: the sign-in is missing or expired (4401)');
    case 4403:
      return new Error('the live connection ended: the session ended or your role changed (4403)');
    case 1001:
      return new Error('the server is restarting; reload the page to reconnect (1001)');
    default:
      return new Error(`the live connection closed (${code})`);
  }
}

/**
 * An urql client for the same-origin API: queries and mutations over HTTP with the session's
 * access token, subscriptions over graphql-ws. An UNAUTHENTICATED answer ends the session,
 * except for operations sent with `context.skipAuth` (login, sign-up: a wrong password is theirs).
 */
export function createApiClient(session: SessionStore, url = '/graphql'): ApiClient {
  // The token the socket was opened with: after a 4401, a newer one needs no refresh of its own.
  let connectedWith: string | null = null;
  const ws: WsClient = createWsClient({
    url: webSocketUrl(window.location, url),
    lazy: true,
    retryAttempts: 5,
    // graphql-ws retries 4403 (it may be transient elsewhere); here it means the session ended,
    // and subscribeLive sends the user to the login page instead.
    shouldRetry: (error) => {
      const code = closeCode(error);
      return code !== undefined && code !== LiveCloseCode.Forbidden;
    },
    // A function, so that a reconnect sends the token current at that time.
    connectionParams: () => {
      const token = session.accessToken;
      connectedWith = token;
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  });

  const client = new Client({
    url,
    requestPolicy: 'cache-and-network',
    // urql would send queries as GET, which the gateway's CSRF prevention refuses.
    preferGetMethod: false,
    fetchOptions: () => {
      const token = session.accessToken;
      return token ? { headers: { authorization: `Bearer ${token}` } } : {};
    },
    exchanges: [
      mapExchange({
        onError(error, operation) {
          if (operation.context.skipAuth) return;
          const unauthenticated = error.graphQLErrors.some(
            (e) => e.extensions?.code === 'UNAUTHENTICATED',
          );
          if (unauthenticated) session.expire();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = subscribeLive(
                ws,
                input,
                {
                  next: (value) => sink.next(value),
                  complete: () => sink.complete(),
                  error: (error) => sink.error(closeReason(error)),
                },
                {
                  refresh: async () => {
                    const current = session.accessToken;
                    if (current && current !== connectedWith) return;
                    await session.refreshNow();
                  },
                  get signedIn() {
                    return session.signedIn;
                  },
                  expire: (message) => session.expire(message),
                },
              );
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    ws,
    dispose() {
      void ws.dispose();
    },
  };
}
