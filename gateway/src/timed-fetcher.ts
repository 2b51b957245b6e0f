import type { Fetcher } from '@apollo/utils.fetcher';

/** What the fetcher needs of its histogram (prom-client's `Histogram` of `ServiceMetrics`). */
export interface FetchTimings {
  startTimer(labels: { subgraph: string }): (labels: { outcome: string }) => unknown;
}

/**
 * `fetcher` timed into `fetches` per call, labelled with the subgraph's name and the outcome (the
 * HTTP status, or `error` when the call failed). Rejects as `fetcher` does.
 */
export function timedFetcher(fetcher: Fetcher, fetches: FetchTimings, subgraph: string): Fetcher {
  return async (url, init) => {
    const stop = fetches.startTimer({ subgraph });
    try {
      const response = await fetcher(url, init);
      stop({ outcome: String(response.status) });
      return response;
    } catch (error) {
      stop({ outcome: 'error' });
      throw error;
    }
  };
}
