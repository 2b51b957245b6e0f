/**
 * Load runs for the graph benchmarks: an autocannon client in a separate process (on the last core
 * when `taskset` exists, so the server process keeps the others), each measured point the median
 * of several runs, with this process's CPU share and peak RSS while the load ran (this process
 * hosts the gateway and the four subgraphs).
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { processUsage } from '@psa/shared/testing';
import type { LoadFigures, LoadRun } from './http-load-client';
import type { ScenarioResult } from './measure';

/** How many runs of how long make one measured point. */
export interface Profile {
  runs: number;
  durationS: number;
}

export const profileOf = (full: boolean): Profile =>
  full ? { runs: 5, durationS: 10 } : { runs: 3, durationS: 3 };

/** One HTTP request the client repeats: `bodies` are sent in turn across all connections. */
export interface LoadRequest {
  url: string;
  headers: Record<string, string>;
  bodies: string[];
}

/** One run's figures with the server side's. */
export interface RunFigures extends LoadFigures {
  requestsPerSecond: number;
  /** This process's CPU time over wall time while the load ran (100% = one core). */
  serverCpuPercent: number;
  serverPeakRssMiB: number;
  /** The same for a gateway in its own process, when the load went through one. */
  gatewayCpuPercent?: number;
  gatewayPeakRssMiB?: number;
}

/** A measured point: the median run's figures (by each figure), with min and max throughput. */
export interface PointFigures {
  name: string;
  runs: RunFigures[];
  requestsPerSecond: number;
  minRequestsPerSecond: number;
  maxRequestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  serverCpuPercent: number;
  serverPeakRssMiB: number;
  gatewayCpuPercent?: number;
  gatewayPeakRssMiB?: number;
  failures: number;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** The forked autocannon process; one per suite, reused for every run. */
export class LoadClient {
  private readonly child: ChildProcess;

  constructor() {
    const script = path.join(__dirname, 'http-load-client.ts');
    const execArgv = ['--conditions=source', '--import', 'tsx'];
    const cores = Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim());
    const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
    this.child =
      hasTaskset && cores > 1
        ? fork(script, [], {
            execPath: 'taskset',
            execArgv: ['-c', String(cores - 1), process.execPath, ...execArgv],
          })
        : fork(script, [], { execArgv });
  }

  /**
   * One autocannon run, with this process's CPU and peak RSS sampled meanwhile (and those of
   * `gatewayPid`, a gateway in its own process, when given).
   */
  async run(
    request: LoadRequest,
    connections: number,
    durationS: number,
    gatewayPid?: number,
  ): Promise<RunFigures> {
    let peakRss = process.memoryUsage().rss;
    let gatewayPeakRss = 0;
    const gatewayBefore = gatewayPid ? processUsage(gatewayPid) : null;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const gateway = gatewayPid ? processUsage(gatewayPid) : null;
      if (gateway) gatewayPeakRss = Math.max(gatewayPeakRss, gateway.rssKiB / 1024);
    }, 100);
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    try {
      const figures = await new Promise<LoadFigures>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('load client: no figures in time')),
          durationS * 1000 + 60_000,
        );
        const listener = (message: { type: string; error?: string }) => {
          if (message.type !== 'figures' && message.type !== 'failed') return;
          clearTimeout(timer);
          this.child.off('message', listener);
          if (message.type === 'failed') reject(new Error(String(message.error)));
          else resolve(message as LoadFigures);
        };
        this.child.on('message', listener);
        const run: LoadRun = { type: 'run', ...request, connections, durationS };
        this.child.send(run);
      });
      const cpu = process.cpuUsage(cpuBefore);
      const wallMs = performance.now() - wallBefore;
      const gatewayAfter = gatewayPid ? processUsage(gatewayPid) : null;
      return {
        ...figures,
        requestsPerSecond: figures.requests / (figures.durationMs / 1000),
        serverCpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
        serverPeakRssMiB: peakRss / 2 ** 20,
        ...(gatewayBefore && gatewayAfter
          ? {
              gatewayCpuPercent: ((gatewayAfter.cpuMs - gatewayBefore.cpuMs) / wallMs) * 100,
              gatewayPeakRssMiB: Math.max(gatewayPeakRss, gatewayAfter.rssKiB / 1024),
            }
          : {}),
      };
    } finally {
      clearInterval(sampler);
    }
  }

  /**
   * `profile.runs` runs of the same load (or of `request(run)`, e.g. bodies no earlier run sent);
   * the median of each figure.
   */
  async point(
    name: string,
    request: LoadRequest | ((run: number) => LoadRequest),
    connections: number,
    profile: Profile,
    gatewayPid?: number,
  ): Promise<PointFigures> {
    const runs: RunFigures[] = [];
    for (let i = 0; i < profile.runs; i++) {
      const load = typeof request === 'function' ? request(i) : request;
      runs.push(await this.run(load, connections, profile.durationS, gatewayPid));
    }
    const of = (pick: (run: RunFigures) => number) => median(runs.map(pick));
    const rps = runs.map((run) => run.requestsPerSecond);
    return {
      name,
      runs,
      requestsPerSecond: of((run) => run.requestsPerSecond),
      minRequestsPerSecond: Math.min(...rps),
      maxRequestsPerSecond: Math.max(...rps),
      p50Ms: of((run) => run.p50Ms),
      p95Ms: of((run) => run.p95Ms),
      p99Ms: of((run) => run.p99Ms),
      serverCpuPercent: of((run) => run.serverCpuPercent),
      serverPeakRssMiB: Math.max(...runs.map((run) => run.serverPeakRssMiB)),
      ...(gatewayPid && runs.every((run) => run.gatewayCpuPercent !== undefined)
        ? {
            gatewayCpuPercent: of((run) => run.gatewayCpuPercent ?? 0),
            gatewayPeakRssMiB: Math.max(...runs.map((run) => run.gatewayPeakRssMiB ?? 0)),
          }
        : {}),
      failures: runs.reduce((sum, run) => sum + run.errors + run.non2xx, 0),
    };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' });
    await exited;
  }
}

const fixed = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A point as a row of the suites' table: median throughput with its range, CPU and memory. */
export function resultOf(point: PointFigures, extra?: string): ScenarioResult {
  const notes = [
    `min–max ${fixed(point.minRequestsPerSecond)}–${fixed(point.maxRequestsPerSecond)} req/s`,
    ...(point.gatewayCpuPercent === undefined
      ? [
          `server CPU ${fixed(point.serverCpuPercent)}%`,
          `peak RSS ${fixed(point.serverPeakRssMiB)} MiB`,
        ]
      : [
          `gateway process CPU ${fixed(point.gatewayCpuPercent)}%, peak RSS ${fixed(point.gatewayPeakRssMiB ?? 0)} MiB`,
          `subgraphs process CPU ${fixed(point.serverCpuPercent)}%, peak RSS ${fixed(point.serverPeakRssMiB)} MiB`,
        ]),
    ...(point.failures ? [`${point.failures} failed`] : []),
    ...(extra ? [extra] : []),
  ];
  return {
    name: point.name,
    operations: point.runs.reduce((sum, run) => sum + run.requests, 0),
    totalMs: point.runs.reduce((sum, run) => sum + run.durationMs, 0),
    opsPerSecond: point.requestsPerSecond,
    unit: 'req/s',
    p50Ms: point.p50Ms,
    p95Ms: point.p95Ms,
    p99Ms: point.p99Ms,
    notes: notes.join('; '),
  };
}

/** A GraphQL request body. */
export const graphqlBody = (query: string, variables: Record<string, unknown> = {}): string =>
  JSON.stringify({ query, variables });
