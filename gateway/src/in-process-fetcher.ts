import http from 'node:http';
import type { Fetcher } from '@apollo/utils.fetcher';
import type { InProcessHandler } from '@psa/shared';
import { response, ResponseHeaders } from './keep-alive-fetcher';

/**
 * A fetcher for a subgraph running in the gateway's own process (`npm start`): its `/graphql`
 * calls go to the subgraph's in-process handler — the same request, headers and body as over
 * HTTP, answered by the same context factory, token check and Apollo pipeline — without the
 * loopback socket and both HTTP stacks. Anything else goes to `fallback`. A call that takes longer
 * than `timeoutMs` rejects as a timed-out socket would (the subgraph finishes it regardless).
 */
export function inProcessFetcher(
  handler: InProcessHandler,
  fallback: Fetcher,
  timeoutMs: number,
): Fetcher {
  return (url, init = {}) => {
    if (new URL(url).pathname !== '/graphql') return fallback(url, init);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`subgraph request timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    const answered = handler({
      method: init.method ?? 'GET',
      url,
      headers: init.headers ?? {},
      body: Buffer.isBuffer(init.body) ? init.body.toString('utf8') : init.body,
    }).then(({ status, headers, body }) =>
      response(url, status, http.STATUS_CODES[status] ?? '', new ResponseHeaders(headers), body),
    );
    return Promise.race([answered, timedOut]).finally(() => clearTimeout(timer));
  };
}
