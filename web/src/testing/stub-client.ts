import { Client, cacheExchange, subscriptionExchange } from 'urql';
import type { ExecutionResult } from 'urql';

export interface StubRequest {
  operationName: string | undefined;
  query: string;
  variables: Record<string, unknown>;
  context: Record<string, unknown>;
}

/** Answers one operation; may be async. */
export type StubHandler = (request: StubRequest) => ExecutionResult | Promise<ExecutionResult>;

/**
 * A real urql Client whose only exchange hands every operation to `handler` (no network),
 * for component tests. `calls` records what was sent. `cache` puts urql's document cache in
 * front, as the console's client has it, for tests of what a mutation invalidates.
 */
export function createStubClient(
  handler: StubHandler,
  { cache = false }: { cache?: boolean } = {},
): { client: Client; calls: StubRequest[] } {
  const calls: StubRequest[] = [];
  const client = new Client({
    url: 'http://stub.invalid/graphql',
    exchanges: [
      ...(cache ? [cacheExchange] : []),
      subscriptionExchange({
        enableAllOperations: true,
        forwardSubscription(request, operation) {
          const stub: StubRequest = {
            operationName: request.operationName,
            query: request.query ?? '',
            variables: (request.variables ?? {}) as Record<string, unknown>,
            context: operation.context as unknown as Record<string, unknown>,
          };
          return {
            subscribe(sink) {
              let closed = false;
              calls.push(stub);
              Promise.resolve()
                .then(() => handler(stub))
                .then(
                  (result) => {
                    if (closed) return;
                    sink.next(result);
                    sink.complete();
                  },
                  (error: unknown) => {
                    if (!closed) sink.error(error);
                  },
                );
              return {
                unsubscribe() {
                  closed = true;
                },
              };
            },
          };
        },
      }),
    ],
  });
  return { client, calls };
}
