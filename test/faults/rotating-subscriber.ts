/**
 * A graphql-ws subscriber as a resilient client would be written: it retries forever, each
 * attempt on the next of several gateway URLs, and resubscribes after every reconnection.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface RotatingSubscriber<T> {
  /** Every result received, in order. */
  readonly results: { data?: T | null; errors?: readonly unknown[] }[];
  /** The gateway URL each connection (the first and every reconnection) went to, in order. */
  readonly connectedTo: string[];
  /** Resolves once `count` results have arrived; rejects after `timeoutMs`. */
  received(count: number, timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Subscribes with `token` through the first of `gatewayUrls` (HTTP URLs of the gateways);
 * after a lost connection it retries every `retryMs` on the next URL, round robin.
 */
export function rotatingSubscriber<T>(
  gatewayUrls: readonly string[],
  token: string,
  query: string,
  variables: Record<string, unknown>,
  retryMs = 200,
): RotatingSubscriber<T> {
  let attempt = 0;
  let current = '';
  const connectedTo: string[] = [];
  const client: Client = createClient({
    url: () => {
      current = (gatewayUrls[attempt++ % gatewayUrls.length] ?? '').replace(/^http/, 'ws');
      return current;
    },
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    shouldRetry: () => true,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, retryMs)),
    onNonLazyError: () => undefined,
    connectionParams: { authorization: `Bearer ${token}` },
    on: { connected: () => void connectedTo.push(current) },
  });
  const results: RotatingSubscriber<T>['results'] = [];
  const waiters = new Set<{ count: number; resolve: () => void }>();
  client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        results.push(result);
        for (const waiter of waiters) if (results.length >= waiter.count) waiter.resolve();
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  return {
    results,
    connectedTo,
    received: (count, timeoutMs = 15_000) =>
      new Promise<void>((resolve, reject) => {
        if (results.length >= count) return resolve();
        const waiter = {
          count,
          resolve: () => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`received ${results.length} of ${count} results in time`));
        }, timeoutMs);
        waiters.add(waiter);
      }),
    dispose: async () => {
      await client.dispose();
    },
  };
}
