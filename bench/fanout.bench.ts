/**
 * Subscription fan-out: N WebSocket subscribers (in a separate process) on one project, one status
 * update posted, and the time by which 50, 95 and 100% of them received it — with the server
 * process's CPU time for the delivery and its memory per connection. The whole graph (four
 * subgraphs and the gateway) runs in this process on the embedded engine and a redis-server.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { startEmbeddedMongo } from '@psa/embedded-mongo';
import { startRedisServer, type RedisServer } from '@psa/shared/testing';
import { startGraph } from '../test/helpers/graph';
import { loginAdmin, ok } from '../test/helpers/people';
import { subscriptionsServed, wsUrl } from '../test/helpers/subscriptions';
import type { ScenarioResult } from './lib/measure';

const STATUS_UPDATED = `subscription ($projectId: ID!) { statusUpdated(projectId: $projectId) {
  id message author { username } project { name manager { username } } } }`;

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

/** Forks the client process, on the last core when `taskset` exists (the server keeps the rest). */
function startClients(): ChildProcess {
  const script = path.join(__dirname, 'lib', 'fanout-clients.ts');
  const execArgv = ['--conditions=source', '--import', 'tsx'];
  const cores = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
  const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
  if (hasTaskset && Number(cores) > 1) {
    return fork(script, [], {
      execPath: 'taskset',
      execArgv: ['-c', String(Number(cores) - 1), process.execPath, ...execArgv],
    });
  }
  return fork(script, [], { execArgv });
}

function next(
  child: ChildProcess,
  type: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`clients: no '${type}' in time`)), timeoutMs);
    const listener = (message: Record<string, unknown>) => {
      if (message.type === 'failed') reject(new Error(String(message.error)));
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('message', listener);
      resolve(message);
    };
    child.on('message', listener);
  });
}

export async function runFanoutBench(full: boolean): Promise<ScenarioResult[]> {
  const sizes = full ? [1_000, 5_000, 10_000] : [1_000, 5_000];
  const mongo = await startEmbeddedMongo({ port: 0 });
  let redis: RedisServer | null = null;
  if (!process.env.REDIS_URL) redis = await startRedisServer();
  process.env.MONGO_URL = mongo.uri;
  const redisUrl = process.env.REDIS_URL ?? redis?.url;
  const graph = await startGraph({ redisUrl });
  const results: ScenarioResult[] = [];
  try {
    const admin = await loginAdmin(graph);
    for (const size of sizes) {
      const { createProject } = await ok<{ createProject: { id: string } }>(
        graph,
        admin,
        'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
        { input: { name: `Fan-out ${size}` } },
      );
      const rssBefore = process.memoryUsage().rss;
      const clients = startClients();
      try {
        clients.send({
          type: 'start',
          url: wsUrl(graph.gatewayUrl),
          token: admin.token,
          query: STATUS_UPDATED,
          variables: { projectId: createProject.id },
          count: size,
        });
        await next(clients, 'subscribed', 300_000);
        await subscriptionsServed(graph.gatewayUrl, size, 300_000);
        const rssSubscribed = process.memoryUsage().rss;
        const arrivals = next(clients, 'arrivals', 60_000);
        const cpuBefore = process.cpuUsage();
        const postedAt = performance.timeOrigin + performance.now();
        await ok(
          graph,
          admin,
          'mutation ($input: PostStatusUpdateInput!) { postStatusUpdate(input: $input) { id } }',
          { input: { projectId: createProject.id, message: 'Fan-out' } },
        );
        const received = (await arrivals).arrivals as number[];
        const cpu = process.cpuUsage(cpuBefore);
        const latencies = received.map((t) => t - postedAt).sort((a, b) => a - b);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        const perConnectionKiB = (rssSubscribed - rssBefore) / size / 1024;
        results.push({
          name: `fan-out to ${size.toLocaleString('en-US')} subscribers`,
          operations: size,
          totalMs: percentile(latencies, 100),
          opsPerSecond: (size / percentile(latencies, 100)) * 1000,
          unit: 'deliveries/s',
          p50Ms: percentile(latencies, 50),
          p95Ms: percentile(latencies, 95),
          p99Ms: percentile(latencies, 99),
          notes: `100%: ${percentile(latencies, 100).toFixed(1)} ms; server CPU ${cpuMs.toFixed(0)} ms (${((cpuMs * 1000) / size).toFixed(1)} µs/subscriber); RSS +${perConnectionKiB.toFixed(1)} KiB/connection`,
        });
      } finally {
        clients.send({ type: 'stop' });
        await new Promise((resolve) => clients.once('exit', resolve));
        await subscriptionsServed(graph.gatewayUrl, 0, 60_000);
      }
    }
  } finally {
    await graph.stop();
    await redis?.stop();
    await mongo.stop();
  }
  return results;
}
