/**
 * Scaling with data size (issue 8, scenario 4): p50 of scenario 2's federated read and of a
 * filtered page with its total count, at 10 connections, with 1k, 10k (and with --full 100k)
 * tasks in the database — all of them in the project read, the worst case for the count. Tasks
 * past the first are inserted straight into the tasks database (the createTask mutation would
 * take minutes for 100k), in the shape services/tasks/src/models/task.model.ts stores.
 */
import { MongoClient, ObjectId } from 'mongodb';
import { ok } from '../test/helpers/people';
import { FEDERATED } from './federated.bench';
import {
  checkedRequest,
  createProject,
  createTasks,
  graphqlBody,
  startBenchGraph,
  type BenchGraph,
} from './lib/bench-graph';
import { writeChart } from './lib/chart';
import { LoadClient, profileOf, resultOf, type PointFigures } from './lib/load';
import type { ScenarioResult } from './lib/measure';

const FILTERED = `query ($id: ID!) { project(id: $id) { tasks(filter: { status: TODO }, first: 50) {
  totalCount edges { node { id } } } } }`;
const STATUSES = ['TODO', 'IN_PROGRESS', 'BLOCKED', 'DONE'] as const;
const CONNECTIONS = 10;

/** Inserts tasks `from`..`to`-1 of the project, statuses and assignees in turn. */
async function insertTasks(
  bench: BenchGraph,
  client: MongoClient,
  projectId: string,
  from: number,
  to: number,
): Promise<void> {
  const tasks = client.db(bench.graph.databases.tasks).collection('tasks');
  const assignees = [new ObjectId(bench.manager.id), new ObjectId(bench.member.id)];
  const createdById = new ObjectId(bench.manager.id);
  const base = Date.now();
  for (let start = from; start < to; start += 1000) {
    const batch = [];
    for (let i = start; i < Math.min(to, start + 1000); i++) {
      const status = STATUSES[i % STATUSES.length] ?? 'TODO';
      const at = new Date(base + i);
      batch.push({
        _id: new ObjectId(),
        projectId: new ObjectId(projectId),
        title: `Task ${i}`,
        description: null,
        status,
        priority: 'MEDIUM',
        dueDate: null,
        assigneeId: assignees[i % 2] ?? null,
        createdById,
        completedAt: status === 'DONE' ? at : null,
        createdAt: at,
        updatedAt: at,
        __v: 0,
      });
    }
    await tasks.insertMany(batch, { ordered: false });
  }
}

export async function runScalingBench(full: boolean): Promise<ScenarioResult[]> {
  const profile = profileOf(full);
  const sizes = full ? [1_000, 10_000, 100_000] : [1_000, 10_000];
  const bench = await startBenchGraph();
  const mongo = await MongoClient.connect(bench.mongoUri);
  const client = new LoadClient();
  const results: ScenarioResult[] = [];
  try {
    const projectId = await createProject(bench, 'Scaling');
    // One task through the graph: the project's access snapshot has reached the tasks service.
    await createTasks(bench, projectId, 1);
    await ok(bench.graph, bench.manager, FILTERED, { id: projectId });
    const requests = {
      federated: await checkedRequest(bench.graph.gatewayUrl, bench.manager, [
        graphqlBody(FEDERATED, { id: projectId, first: 20 }),
      ]),
      filtered: await checkedRequest(bench.graph.gatewayUrl, bench.manager, [
        graphqlBody(FILTERED, { id: projectId }),
      ]),
    };
    const points: Record<'federated' | 'filtered', PointFigures[]> = {
      federated: [],
      filtered: [],
    };
    let count = 1;
    for (const size of sizes) {
      await insertTasks(bench, mongo, projectId, count, size);
      count = size;
      const label = `${size / 1000}k tasks`;
      await client.run(requests.federated, CONNECTIONS, 1);
      for (const kind of ['federated', 'filtered'] as const) {
        const point = await client.point(
          `${kind === 'federated' ? 'scenario 2 read' : 'TODO page of 50 + totalCount'} @${label}, ${CONNECTIONS} conn`,
          requests[kind],
          CONNECTIONS,
          profile,
        );
        const first = points[kind][0];
        points[kind].push(point);
        results.push(
          resultOf(
            point,
            first ? `p50 / p50 @1k ${(point.p50Ms / first.p50Ms).toFixed(2)}` : undefined,
          ),
        );
      }
    }
    await writeChart('scaling', {
      title: `p50 latency against tasks in the project (${CONNECTIONS} connections)`,
      xTitle: 'tasks in the database (all in the project read)',
      yTitle: 'ms',
      xLabels: sizes.map((size) => `${size / 1000}k`),
      series: [
        { label: 'scenario 2 read', values: points.federated.map((p) => p.p50Ms) },
        { label: 'TODO page + count', values: points.filtered.map((p) => p.p50Ms) },
      ],
    });
  } finally {
    await client.stop();
    await mongo.close();
    await bench.stop();
  }
  return results;
}
