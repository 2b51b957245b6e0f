/**
 * Federated read across three subgraphs (issue 8, scenario 2): a project, its manager and a page
 * of 20 tasks with their assignees, through the gateway at 1, 10 and 50 connections; and the
 * database commands one such request costs each subgraph, for a page of 5 and of 20 tasks (they
 * must not grow with the page). Measured through the gateway in the subgraphs' process and
 * through a gateway in a process of its own (as deployed).
 */
import type { Graph } from '../test/helpers/graph';
import { ok, type Person } from '../test/helpers/people';
import {
  checkedRequest,
  createProject,
  createTasks,
  graphqlBody,
  startBenchGraph,
} from './lib/bench-graph';
import { writeChart } from './lib/chart';
import { startGatewayProcess } from './lib/gateway-process';
import { LoadClient, profileOf, resultOf, type PointFigures } from './lib/load';
import type { ScenarioResult } from './lib/measure';

export const FEDERATED = `query ($id: ID!, $first: Int) { project(id: $id) { name manager { username }
  tasks(first: $first) { edges { node { title status assignee { username } } } } } }`;
const CONNECTIONS = [1, 10, 50];

/** Database commands each subgraph sent so far (its /metrics), the outbox sweeper's aside. */
async function commandCounts(graph: Graph): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [name, url] of Object.entries(graph.subgraphUrls)) {
    const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
    counts[name] = 0;
    for (const line of text.split('\n')) {
      const match = /^psa_mongodb_commands_total\{(.*)\} (\d+)$/.exec(line);
      if (match && !match[1]?.includes('collection="outbox"')) counts[name] += Number(match[2]);
    }
  }
  return counts;
}

/** The database commands one request sent, by subgraph (those that sent none left out). */
export async function commandsPerRequest(
  graph: Graph,
  person: Person,
  query: string,
  variables: Record<string, unknown>,
): Promise<string> {
  const before = await commandCounts(graph);
  await ok(graph, person, query, variables);
  const after = await commandCounts(graph);
  const costs = Object.keys(after)
    .map((name) => [name, (after[name] ?? 0) - (before[name] ?? 0)] as const)
    .filter(([, count]) => count > 0);
  const total = costs.reduce((sum, [, count]) => sum + count, 0);
  return `${total} (${costs.map(([name, count]) => `${name} ${count}`).join(', ')})`;
}

export async function runFederatedBench(full: boolean): Promise<ScenarioResult[]> {
  const profile = profileOf(full);
  const bench = await startBenchGraph();
  const client = new LoadClient();
  const results: ScenarioResult[] = [];
  const ownProcess = await startGatewayProcess(bench.graph);
  try {
    const projectId = await createProject(bench, 'Federated read');
    await createTasks(bench, projectId, 25);
    const cost5 = await commandsPerRequest(bench.graph, bench.manager, FEDERATED, {
      id: projectId,
      first: 5,
    });
    const cost20 = await commandsPerRequest(bench.graph, bench.manager, FEDERATED, {
      id: projectId,
      first: 20,
    });
    const bodies = [graphqlBody(FEDERATED, { id: projectId, first: 20 })];
    const request = await checkedRequest(bench.graph.gatewayUrl, bench.manager, bodies);
    const separateRequest = await checkedRequest(ownProcess.url, bench.manager, bodies);
    await client.run(request, 10, 1);
    await client.run(separateRequest, 10, 1);
    const points: PointFigures[] = [];
    const separatePoints: PointFigures[] = [];
    for (const connections of CONNECTIONS) {
      const point = await client.point(
        `project + manager + 20 tasks + assignees, ${connections} conn`,
        request,
        connections,
        profile,
      );
      points.push(point);
      results.push(
        resultOf(
          point,
          connections === 1
            ? `database commands per request: tasks(first: 5) ${cost5}, tasks(first: 20) ${cost20}`
            : undefined,
        ),
      );
      const separate = await client.point(
        `the same, gateway in its own process, ${connections} conn`,
        separateRequest,
        connections,
        profile,
        ownProcess.pid,
      );
      separatePoints.push(separate);
      results.push(resultOf(separate));
    }
    await writeChart('federated', {
      title: 'Federated read (3 subgraphs, 20 tasks): latency against connections',
      xTitle: 'concurrent connections',
      yTitle: 'ms',
      xLabels: CONNECTIONS.map(String),
      series: [
        { label: 'p50', values: points.map((p) => p.p50Ms) },
        { label: 'p95', values: points.map((p) => p.p95Ms) },
        { label: 'p99', values: points.map((p) => p.p99Ms) },
        { label: 'own-process gateway p50', values: separatePoints.map((p) => p.p50Ms) },
        { label: 'own-process gateway p99', values: separatePoints.map((p) => p.p99Ms) },
      ],
    });
  } finally {
    await client.stop();
    await ownProcess.stop();
    await bench.stop();
  }
  return results;
}
