import { authExchange } from '@urql/exchange-auth';
import { createClient as createWsClient } from 'graphql-ws';
import type { Client as WsClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from 'urql';
import type { CombinedError, Operation } from 'urql';
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

/** Was `operation` refused for its sign-in (expired, or issued before a role change)? */
function refusedSignIn(error: CombinedError, operation: Operation): boolean {
  if (operation.context.skipAuth) return false;
  return error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
}

/**
 * An urql client for the same-origin API: queries and mutations over HTTP with the session's
 * access token, subscriptions over graphql-ws. An UNAUTHENTICATED answer (an access token that
 * expired, or that predates an admin's change of the user's role) refreshes the session once and
 * sends the operation again; a second one ends the session. Operations sent with
 * `context.skipAuth` (login, sign-up: a wrong password is theirs) are left alone.
 */
export function createApiClient(session: SessionStore, url = '/graphql'): ApiClient {
  // The token the socket was opened with: after a 4401, a newer one needs no refresh of its own.
  let connectedWith: string | null = null;
  const ws: WsClient = createWsClient({
    url: webSocketUrl(window.location, url),
    lazy: true,
    retryAttempts: 5,
    // graphql-ws retries 4403 (it may be transient elsewhere); here it means the session ended or
    // the role changed, and subscribeLive refreshes once, then sends the user to the login page.
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
    exchanges: [
      mapExchange({
        onError(error, operation) {
          if (refusedSignIn(error, operation)) session.expire();
        },
      }),
      cacheExchange,
      // Refreshes and sends again once (an operation refused for its sign-in was not run).
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const token = session.accessToken;
          return token
            ? utils.appendHeaders(operation, { authorization: `Bearer ${token}` })
            : operation;
        },
        // A tab whose timers were held back (asleep, in the background) refreshes first.
        willAuthError: () => session.accessTokenExpired,
        didAuthError: refusedSignIn,
        async refreshAuth() {
          await session.refreshNow();
          // Refused: the session ended and the login page says so; sending again would be refused.
          if (!session.signedIn) throw new Error('The session has ended');
        },
      })),
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
                  refresh: async (failureMessage) => {
                    const current = session.accessToken;
                    if (current && current !== connectedWith) return;
                    await session.refreshNow(failureMessage);
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
