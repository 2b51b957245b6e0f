import type { Client as WsClient, ExecutionResult, SubscribePayload } from 'graphql-ws';
import { SESSION_EXPIRED_MESSAGE } from '../session/session-store';

/** graphql-ws close codes the console acts on (README "Realtime"). */
export enum LiveCloseCode {
  /** The access token was missing, invalid or expired at connect. */
  Unauthorized = 4401,
  /** The session was revoked (logout elsewhere) or the user's role changed. */
  Forbidden = 4403,
}

export const SESSION_ENDED_MESSAGE =
  'Your session ended (you logged out elsewhere or your role changed); please log in again';

/** What a live subscription needs from the session. */
export interface LiveSession {
  /**
   * Gets a fresh access token; resolves even when refused (the session then ends itself, and the
   * login page shows `failureMessage`).
   */
  refresh(failureMessage?: string): Promise<void>;
  /** Is there still a signed-in session to reconnect with? */
  readonly signedIn: boolean;
  /** Ends the session; the login page shows `message`. */
  expire(message: string): void;
}

/** What a live subscription needs from the graphql-ws client. */
export interface LiveSocket extends Pick<WsClient, 'subscribe'> {
  /** Listens for each connection the server accepted; returns the function that stops. */
  on(event: 'connected', listener: () => void): () => void;
}

export interface LiveSink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/** The close code of a graphql-ws error, if it is a close event. */
export function closeCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Subscribes through `ws` and keeps the subscription alive across the session's token changes:
 * a socket closed with 4401 (token expired) refreshes the session and subscribes again with the
 * new token (graphql-ws itself never retries 4401); a socket closed with 4403 (the role changed,
 * or the session ended) refreshes once too, and when that is refused the session ends with a
 * message for the login page. Other errors go to `sink.error`. `maxReauth` closes in a row with
 * no connection accepted in between end the session (default 2): the server keeps refusing.
 *
 * @returns unsubscribe
 */
export function subscribeLive(
  ws: LiveSocket,
  payload: SubscribePayload,
  sink: LiveSink<ExecutionResult>,
  session: LiveSession,
  maxReauth = 2,
): () => void {
  let stopped = false;
  let attempts = 0;
  let unsubscribe: () => void = () => undefined;
  // An accepted connection took the token: the next close is a new expiry, not a refusal loop.
  const stopCounting = ws.on('connected', () => {
    attempts = 0;
  });

  const start = (): void => {
    unsubscribe = ws.subscribe(payload, {
      next(value) {
        sink.next(value as ExecutionResult);
      },
      complete() {
        if (!stopped) sink.complete();
      },
      error(error) {
        if (stopped) return;
        const code = closeCode(error);
        const message =
          code === LiveCloseCode.Forbidden ? SESSION_ENDED_MESSAGE : SESSION_EXPIRED_MESSAGE;
        const reauthenticate =
          code === LiveCloseCode.Unauthorized || code === LiveCloseCode.Forbidden;
        if (reauthenticate && attempts < maxReauth) {
          attempts += 1;
          void session.refresh(message).then(() => {
            if (stopped) return;
            if (session.signedIn) start();
            else sink.error(error);
          });
          return;
        }
        if (reauthenticate) session.expire(message);
        sink.error(error);
      },
    });
  };

  start();
  return () => {
    stopped = true;
    stopCounting();
    unsubscribe();
  };
}
