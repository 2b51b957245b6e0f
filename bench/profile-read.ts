/**
 * Where the federated read's CPU goes (issue 22): starts `npm start` (or, with `deployed`, the
 * deployed topology) with `--cpu-prof` in every child, seeds a project of 25 tasks, sends
 * BENCH_PROFILE_REQUESTS reads (default 3,000) over BENCH_PROFILE_CONNECTIONS (10) from the load client's process,
 * stops, and prints each child's CPU per request and its self time by package / source folder.
 * With `ab`, two `npm start` stacks run side by side — one with the defaults, the other with
 * BENCH_AB_ENV on top (default `SUBGRAPH_CALLS=http`; e.g. `ENTITY_CACHE_MS=0`) — and take the load
 * in turns of 2 s until each answered BENCH_PROFILE_REQUESTS, so both see the same machine: their
 * ratio holds up where absolute CPU per request moves with the load.
 *
 *   tsx --conditions=source bench/profile-read.ts [deployed | ab] [--no-prof]
 *
 * The profiles stay in BENCH_PROF_DIR (default a temporary folder) for Chrome DevTools.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processUsage } from '@psa/shared/testing';
import { FEDERATED } from './federated.bench';
import { checkedRequest, graphqlBody } from './lib/bench-graph';
import { LoadClient, type LoadRequest } from './lib/load';
import { signUpRemote, startDeployed, startNpmStart, type Topology } from './lib/topologies';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A frame's bucket: a package under node_modules, a folder of ours, or a Node/V8 category. */
function bucketOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(idle)' || functionName === '(program)') return functionName;
    return `(native) ${functionName || 'anonymous'}`;
  }
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1] ?? url;
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:');
  const ours =
    /\/perf\/(.+?\/src\/[^/]+|[^/]+\/[^/]+)/.exec(url) ??
    /\/(shared|services|gateway)\/(.+)/.exec(url);
  return ours ? `ours: ${ours[1]}` : url;
}

/** Self time by bucket of the samples taken in `windows` (monotonic µs, as the profile's clock). */
function summarise(file: string, requests: number, windows: [number, number][]): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (!node || !windows.some(([from, to]) => at >= from && at <= to)) return;
    const bucket = bucketOf(node.callFrame);
    if (bucket === '(idle)') return;
    total += us;
    self.set(bucket, (self.get(bucket) ?? 0) + us);
  });
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30);
  return [
    `${path.basename(file)}: ${(total / 1000).toFixed(0)} ms busy, ${(total / 1000 / requests).toFixed(3)} ms per request`,
    ...rows.map(
      ([bucket, us]) =>
        `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000 / requests).toFixed(3)} ms/req  ${bucket}`,
    ),
  ].join('\n');
}

/** The clock V8's profiles use (uv_hrtime, monotonic and shared by every process), in µs. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** A manager's checked read of a project of 25 tasks on `topology`. */
async function seeded(topology: Topology, query: string): Promise<LoadRequest> {
  const manager = await signUpRemote(topology, topology.admin, 'MANAGER');
  const { createProject } = await topology.query<{ createProject: { id: string } }>(
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: 'Profiled', status: 'ACTIVE' } },
    manager.headers,
  );
  for (let i = 0; i < 25; i++) {
    await topology.query(
      'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }',
      { input: { projectId: createProject.id, title: `Task ${i}`, assigneeId: manager.id } },
      manager.headers,
    );
  }
  return checkedRequest(topology.gatewayUrl, manager, [
    graphqlBody(query, {
      id: createProject.id,
      ...(query.includes('$first') ? { first: 20 } : {}),
    }),
  ]);
}

interface Measured {
  topology: Topology;
  request: LoadRequest;
  sent: number;
  cpuMs: Record<string, number>;
  windows: [number, number][];
}

const cpuOf = (topology: Topology): Record<string, number> =>
  Object.fromEntries(
    Object.entries(topology.pids).map(([name, pid]) => [name, processUsage(pid)?.cpuMs ?? 0]),
  );

const connections = Number(process.env.BENCH_PROFILE_CONNECTIONS ?? 10);

/** One turn of 2 s, its requests, CPU and profile window added to `m`. */
async function turn(client: LoadClient, m: Measured): Promise<void> {
  const before = cpuOf(m.topology);
  const started = monotonicUs();
  m.sent += (await client.run(m.request, connections, 2)).requests;
  m.windows.push([started, monotonicUs()]);
  const after = cpuOf(m.topology);
  for (const name of Object.keys(after)) {
    m.cpuMs[name] = (m.cpuMs[name] ?? 0) + (after[name] ?? 0) - (before[name] ?? 0);
  }
}

async function main(): Promise<void> {
  const deployed = process.argv.includes('deployed');
  const ab = process.argv.includes('ab');
  // --no-prof: only the CPU per request, without the profiler's own cost.
  const profiled = !process.argv.includes('--no-prof');
  const dir = process.env.BENCH_PROF_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'psa-prof-'));
  if (profiled) process.env.BENCH_PROF_DIR = dir;
  else delete process.env.BENCH_PROF_DIR;
  const requests = Number(process.env.BENCH_PROFILE_REQUESTS ?? 3000);
  const query = process.env.BENCH_PROFILE_QUERY ?? FEDERATED;
  const abText = process.env.BENCH_AB_ENV ?? 'SUBGRAPH_CALLS=http';
  const abEnv = Object.fromEntries(
    abText
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  const topologies = await Promise.all(
    deployed
      ? [startDeployed()]
      : ab
        ? [startNpmStart({}, 'npm start (defaults)'), startNpmStart(abEnv, `npm start (${abText})`)]
        : [startNpmStart()],
  );
  const client = new LoadClient();
  const measured: Measured[] = [];
  try {
    for (const topology of topologies) {
      const request = await seeded(topology, query);
      await client.run(request, connections, 2);
      measured.push({ topology, request, sent: 0, cpuMs: {}, windows: [] });
    }
    // Duration-bound turns until each answered `requests`; only their samples are summed.
    while (measured.some((m) => m.sent < requests)) {
      for (const m of measured) if (m.sent < requests) await turn(client, m);
    }
  } finally {
    await client.stop();
    for (const topology of topologies) await topology.stop();
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  process.stdout.write(`load average at the end ${load}\n`);
  const perRequest = measured.map(
    (m) => Object.values(m.cpuMs).reduce((sum, ms) => sum + ms, 0) / m.sent,
  );
  for (const [i, m] of measured.entries()) {
    process.stdout.write(`${m.sent} requests in ${m.windows.length} turns\n`);
    for (const [name, ms] of Object.entries(m.cpuMs)) {
      process.stdout.write(`${name}: ${(ms / m.sent).toFixed(3)} ms CPU per request (/proc)\n`);
    }
    if (i > 0) {
      const ratio = (perRequest[i] ?? 0) / (perRequest[0] ?? 1);
      process.stdout.write(
        `CPU per request against ${measured[0]?.topology.name}: ${ratio.toFixed(2)}×\n`,
      );
    }
  }
  // Main threads only (thread id 0): tsx's loader thread writes a profile of its own.
  for (const m of measured) {
    const names = new Map(
      Object.entries(m.topology.pids).map(([name, pid]) => [String(pid), name]),
    );
    for (const file of readdirSync(dir)) {
      const match = /^CPU\.\d+\.\d+\.(\d+)\.0\.\d+\.cpuprofile$/.exec(file);
      const name = match && names.get(match[1] ?? '');
      if (name) {
        process.stdout.write(`\n${name}: ${summarise(path.join(dir, file), m.sent, m.windows)}\n`);
      }
    }
  }
  if (profiled) process.stdout.write(`\nprofiles in ${dir}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
