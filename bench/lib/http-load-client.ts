/**
 * The HTTP load client of the graph benchmarks, in a process of its own (`fork`ed by load.ts):
 * for each `run` message, autocannon sends POSTs to one URL over N keep-alive connections for a
 * while and the figures go back to the parent. Latencies are taken from each response (autocannon
 * keeps whole milliseconds in its histogram, and has no p95).
 */
import autocannon from 'autocannon';

/** What the parent asks for: `bodies` are sent in turn, across all connections. */
export interface LoadRun {
  type: 'run';
  url: string;
  headers: Record<string, string>;
  bodies: string[];
  connections: number;
  durationS: number;
}

/** What the client answers. */
export interface LoadFigures {
  type: 'figures';
  requests: number;
  durationMs: number;
  errors: number;
  non2xx: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** autocannon's own p97.5 (whole ms), for comparison. */
  autocannonP97_5Ms: number;
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

function run(message: LoadRun): void {
  const latencies: number[] = [];
  let next = 0;
  const instance = autocannon(
    {
      url: message.url,
      connections: message.connections,
      duration: message.durationS,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...message.headers },
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            body: message.bodies[next++ % message.bodies.length],
          }),
        },
      ],
    },
    (error, result) => {
      if (error) {
        process.send?.({ type: 'failed', error: String(error) });
        return;
      }
      latencies.sort((a, b) => a - b);
      const figures: LoadFigures = {
        type: 'figures',
        requests: latencies.length,
        durationMs: result.duration * 1000,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
        p50Ms: percentile(latencies, 50),
        p95Ms: percentile(latencies, 95),
        p99Ms: percentile(latencies, 99),
        autocannonP97_5Ms: result.latency.p97_5,
      };
      process.send?.(figures);
    },
  );
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    latencies.push(responseTime);
  });
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'run') run(message as LoadRun);
  if (message.type === 'stop') process.exit(0);
});
