/**
 * Gateway overhead (issue 8, scenario 1): the same single-subgraph read sent straight to the
 * projects subgraph and through the gateway, at 1, 10 and 50 connections, by autocannon in a
 * separate process. The ratio gateway/direct throughput is measured in the same run.
 */
import { startBenchGraph, checkedRequest, createProject, graphqlBody } from './lib/bench-graph';
import { writeChart } from './lib/chart';
import { LoadClient, profileOf, resultOf, type PointFigures } from './lib/load';
import type { ScenarioResult } from './lib/measure';

const PROJECT = 'query ($id: ID!) { project(id: $id) { name status } }';
const CONNECTIONS = [1, 10, 50];

export async function runGatewayBench(full: boolean): Promise<ScenarioResult[]> {
  const profile = profileOf(full);
  const bench = await startBenchGraph();
  const client = new LoadClient();
  const results: ScenarioResult[] = [];
  try {
    const projectId = await createProject(bench, 'Gateway overhead');
    const bodies = [graphqlBody(PROJECT, { id: projectId })];
    const targets = {
      direct: await checkedRequest(bench.graph.subgraphUrls.projects, bench.manager, bodies),
      gateway: await checkedRequest(bench.graph.gatewayUrl, bench.manager, bodies),
    };
    // Warm both paths (JIT, connection pools, the gateway's query plan cache).
    for (const target of Object.values(targets)) await client.run(target, 10, 1);
    const points: Record<'direct' | 'gateway', PointFigures[]> = { direct: [], gateway: [] };
    for (const connections of CONNECTIONS) {
      const direct = await client.point(
        `direct to projects subgraph, ${connections} conn`,
        targets.direct,
        connections,
        profile,
      );
      const gateway = await client.point(
        `through gateway, ${connections} conn`,
        targets.gateway,
        connections,
        profile,
      );
      points.direct.push(direct);
      points.gateway.push(gateway);
      const ratio = gateway.requestsPerSecond / direct.requestsPerSecond;
      results.push(resultOf(direct), resultOf(gateway, `gateway/direct ${ratio.toFixed(2)}`));
    }
    await writeChart('gateway', {
      title: 'project(id) { name status }: p50 latency against connections',
      xTitle: 'concurrent connections',
      yTitle: 'ms',
      xLabels: CONNECTIONS.map(String),
      series: [
        { label: 'direct p50', values: points.direct.map((p) => p.p50Ms) },
        { label: 'gateway p50', values: points.gateway.map((p) => p.p50Ms) },
        { label: 'direct p99', values: points.direct.map((p) => p.p99Ms) },
        { label: 'gateway p99', values: points.gateway.map((p) => p.p99Ms) },
      ],
    });
  } finally {
    await client.stop();
    await bench.stop();
  }
  return results;
}
