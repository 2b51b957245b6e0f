import { performance } from 'node:perf_hooks';

/** The figures one benchmark scenario prints. */
export interface ScenarioResult {
  name: string;
  operations: number;
  totalMs: number;
  opsPerSecond: number;
  unit: string;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Figures that fit no column (e.g. CPU and memory per subscriber). */
  notes?: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Runs `operation` `count` times one after another and reports throughput and latency. */
export async function measure(
  name: string,
  count: number,
  operation: (i: number) => Promise<void>,
): Promise<ScenarioResult> {
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await operation(i);
    latencies.push(performance.now() - t0);
  }
  const totalMs = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return {
    name,
    operations: count,
    totalMs,
    opsPerSecond: (count / totalMs) * 1000,
    unit: 'ops/s',
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
  };
}

/**
 * Runs each of `operations` `count` times, taking turns (first, second, …, first, …), so that a
 * change in the machine's load during the run weighs on each alike; one result per operation
 * (its throughput over its own time).
 */
export async function measureInTurns(
  count: number,
  operations: { name: string; run: () => Promise<void> }[],
): Promise<ScenarioResult[]> {
  const latencies = operations.map((): number[] => []);
  for (let i = 0; i < count; i++) {
    for (const [index, operation] of operations.entries()) {
      const t0 = performance.now();
      await operation.run();
      latencies[index]?.push(performance.now() - t0);
    }
  }
  return operations.map((operation, index) => {
    const sorted = (latencies[index] ?? []).sort((a, b) => a - b);
    const totalMs = sorted.reduce((sum, ms) => sum + ms, 0);
    return {
      name: operation.name,
      operations: count,
      totalMs,
      opsPerSecond: (count / totalMs) * 1000,
      unit: 'ops/s',
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      p99Ms: percentile(sorted, 99),
    };
  });
}

/** A markdown table of results (with a notes column when any result has notes). */
export function formatTable(results: ScenarioResult[]): string {
  const withNotes = results.some((r) => r.notes);
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${Math.round(r.opsPerSecond).toLocaleString('en-US')} ${r.unit} | ${r.p50Ms.toFixed(3)} | ${r.p95Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} |${withNotes ? ` ${r.notes ?? ''} |` : ''}`,
  );
  return [
    `| scenario | throughput | p50 ms | p95 ms | p99 ms |${withNotes ? ' notes |' : ''}`,
    `|---|---:|---:|---:|---:|${withNotes ? '---|' : ''}`,
    ...rows,
  ].join('\n');
}
