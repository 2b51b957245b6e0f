import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** What a subscription received, and how its socket ended. */
export interface Subscription<T = Record<string, unknown>> {
  /** Every result (data or errors), in order. */
  results: {
    data?: T | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  }[];
  /** Resolves when `count` results have arrived (rejects after `timeoutMs`). */
  received(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves when the server completed the subscription. */
  completed: Promise<void>;
  /** Resolves with the close code and reason once the socket closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** Closes the client. */
  dispose(): Promise<void>;
}

/** The gateway's WebSocket URL for its HTTP one. */
export const wsUrl = (gatewayUrl: string): string => gatewayUrl.replace(/^http/, 'ws');

/**
 * Opens a graphql-ws connection with `token` in `connection_init` (none when null) and subscribes,
 * as a browser or Node client would. Never retries: a closed socket stays closed.
 */
export function subscribe<T = Record<string, unknown>>(
  gatewayUrl: string,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): Subscription<T> {
  let onClosed: (value: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const client: Client = createClient({
    url: wsUrl(gatewayUrl),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    // A refused connection shows in `closed`; the client would otherwise report it on the console.
    onNonLazyError: () => undefined,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        onClosed({ code, reason: String(reason) });
      },
    },
  });
  const results: Subscription<T>['results'] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let onCompleted: () => void = () => undefined;
  const completed = new Promise<void>((resolve) => (onCompleted = resolve));
  client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        results.push(result as Subscription<T>['results'][number]);
        for (const waiter of waiters.filter((w) => results.length >= w.count)) waiter.resolve();
      },
      error: () => onCompleted(),
      complete: () => onCompleted(),
    },
  );
  return {
    results,
    completed,
    closed,
    received: (count, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (results.length >= count) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`received ${results.length} of ${count} results in time`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
    dispose: async () => {
      await client.dispose();
    },
  };
}

/** Resolves once the gateway serves `count` subscriptions (its `/metrics`). */
export async function subscriptionsServed(
  gatewayUrl: string,
  count: number,
  timeoutMs = 10_000,
): Promise<void> {
  const url = gatewayUrl.replace(/\/graphql$/, '/metrics');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(url)).text();
    const served = Number(/^psa_gateway_subscriptions(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1] ?? -1);
    if (served === count) return;
    if (Date.now() > deadline)
      throw new Error(`gateway serves ${served} subscriptions, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
