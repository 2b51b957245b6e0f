/**
 * A gateway in a process of its own, in front of the benchmark process's subgraphs — the topology
 * production runs (one process per gateway replica), so the gateway's cost is measured on its own
 * event loop instead of sharing the subgraphs' one. Same entrypoint as the container
 * (`gateway/src/index.ts`, from source), configured like the in-process gateway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@psa/shared/testing';
import type { Graph } from '../../test/helpers/graph';

export interface GatewayProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const ROOT = path.join(__dirname, '..', '..');

/** Children still running: killed if the benchmark itself is interrupted (Ctrl-C, SIGTERM). */
const running = new Set<ChildProcess>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** Starts the gateway process and resolves once its `/readyz` answers 200. */
export async function startGatewayProcess(graph: Graph): Promise<GatewayProcess> {
  const port = await freePort();
  // BENCH_GATEWAY_PROF_DIR=<dir>: a CPU profile of the gateway process, written when it stops.
  const profile = process.env.BENCH_GATEWAY_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_GATEWAY_PROF_DIR}`]
    : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...profile,
      '--conditions=source',
      '--import',
      'tsx',
      path.join(ROOT, 'gateway', 'src', 'index.ts'),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...graph.gatewayEnv, GATEWAY_PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  running.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway process exited (${child.exitCode})`);
    const ready = await fetch(`${base}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { url: `${base}/graphql`, pid: child.pid ?? 0, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error('gateway process not ready within 60 s');
}
