/**
 * Gateway overhead (issue 8, scenario 1): the same single-subgraph read sent straight to the
 * projects subgraph and through the gateway, at 1, 10 and 50 connections, by autocannon in a
 * separate process. The gateway is measured twice: in the subgraphs' process (one event loop for
 * both, the dev stack's topology) and in a process of its own (as deployed). The ratios
 * gateway/direct throughput are measured in the same run.
 */
import { startBenchGraph, checkedRequest, createProject, graphqlBody } from './lib/bench-graph';
import { writeChart } from './lib/chart';
import { startGatewayProcess } from './lib/gateway-process';
import { LoadClient, profileOf, resultOf, type PointFigures } from './lib/load';
import type { ScenarioResult } from './lib/measure';

const PROJECT = 'query ($id: ID!) { project(id: $id) { name status } }';
const CONNECTIONS = [1, 10, 50];

export async function runGatewayBench(full: boolean): Promise<ScenarioResult[]> {
  const profile = profileOf(full);
  const bench = await startBenchGraph();
  const client = new LoadClient();
  const results: ScenarioResult[] = [];
  const ownProcess = await startGatewayProcess(bench.graph);
  try {
    const projectId = await createProject(bench, 'Gateway overhead');
    const bodies = [graphqlBody(PROJECT, { id: projectId })];
    const targets = {
      direct: await checkedRequest(bench.graph.subgraphUrls.projects, bench.manager, bodies),
      gateway: await checkedRequest(bench.graph.gatewayUrl, bench.manager, bodies),
      ownProcess: await checkedRequest(ownProcess.url, bench.manager, bodies),
    };
    // Warm both paths (JIT, connection pools, the gateway's query plan cache).
    for (const target of Object.values(targets)) await client.run(target, 10, 1);
    const points: Record<keyof typeof targets, PointFigures[]> = {
      direct: [],
      gateway: [],
      ownProcess: [],
    };
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
      const separate = await client.point(
        `through gateway in its own process, ${connections} conn`,
        targets.ownProcess,
        connections,
        profile,
        ownProcess.pid,
      );
      points.direct.push(direct);
      points.gateway.push(gateway);
      points.ownProcess.push(separate);
      const ratio = (point: PointFigures): string =>
        `gateway/direct ${(point.requestsPerSecond / direct.requestsPerSecond).toFixed(2)}`;
      results.push(
        resultOf(direct),
        resultOf(gateway, ratio(gateway)),
        resultOf(separate, ratio(separate)),
      );
    }
    await writeChart('gateway', {
      title: 'project(id) { name status }: p50 latency against connections',
      xTitle: 'concurrent connections',
      yTitle: 'ms',
      xLabels: CONNECTIONS.map(String),
      series: [
        { label: 'direct p50', values: points.direct.map((p) => p.p50Ms) },
        { label: 'gateway p50', values: points.gateway.map((p) => p.p50Ms) },
        { label: 'own-process gateway p50', values: points.ownProcess.map((p) => p.p50Ms) },
        { label: 'direct p99', values: points.direct.map((p) => p.p99Ms) },
        { label: 'gateway p99', values: points.gateway.map((p) => p.p99Ms) },
      ],
    });
  } finally {
    await client.stop();
    await ownProcess.stop();
    await bench.stop();
  }
  return results;
}
