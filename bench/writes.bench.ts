/**
 * Writes (issue 8, scenario 3): createTask and setTaskStatus through the gateway at 10
 * connections, then signUp and login, whose cost is mostly password hashing: one scrypt hash with
 * the users service's own parameters is timed apart. Rate limits are raised out of the way.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../services/users/src/password';
import { ADMIN } from '../test/helpers/graph';
import {
  CREATE_TASK,
  UNLIMITED,
  checkedRequest,
  createProject,
  createTasks,
  graphqlBody,
  startBenchGraph,
} from './lib/bench-graph';
import { LoadClient, median, profileOf, resultOf } from './lib/load';
import type { ScenarioResult } from './lib/measure';

const SET_STATUS =
  'mutation ($input: SetTaskStatusInput!) { setTaskStatus(input: $input) { id status } }';
const SIGN_UP = 'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } } }';
const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';
const CONNECTIONS = 10;

/** Sign-up bodies no other run sends (usernames are unique). */
function signUpBodies(count: number): string[] {
  const prefix = `b${randomBytes(4).toString('hex')}`;
  return Array.from({ length: count }, (_, i) =>
    graphqlBody(SIGN_UP, {
      input: {
        username: `${prefix}-${i}`,
        email: `${prefix}-${i}@example.com`,
        password: `${prefix} benchmark password ${i}`,
      },
    }),
  );
}

/** One scrypt hash as the users service computes it, alone and with `CONNECTIONS` at once. */
async function hashingCost(): Promise<string> {
  await hashPassword('warm-up password 123');
  const alone: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await hashPassword(`benchmark password ${i}`);
    alone.push(performance.now() - t0);
  }
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, (_, i) => hashPassword(`parallel password ${i}`)),
  );
  const parallelMs = performance.now() - t0;
  return `one scrypt hash (N=2^17, r=8, p=1) ${median(alone).toFixed(0)} ms alone (median of 5); ${CONNECTIONS} at once ${parallelMs.toFixed(0)} ms = ${((CONNECTIONS / parallelMs) * 1000).toFixed(1)} hashes/s, the ceiling for signUp and login`;
}

export async function runWritesBench(full: boolean): Promise<ScenarioResult[]> {
  const profile = profileOf(full);
  const bench = await startBenchGraph(UNLIMITED);
  const client = new LoadClient();
  const results: ScenarioResult[] = [];
  try {
    const { graph, manager, member } = bench;
    const projectId = await createProject(bench, 'Writes');
    const create = await checkedRequest(graph.gatewayUrl, manager, [
      graphqlBody(CREATE_TASK, {
        input: { projectId, title: 'Benchmark task', assigneeId: member.id },
      }),
    ]);
    await client.run(create, CONNECTIONS, 1);
    results.push(
      resultOf(await client.point(`createTask, ${CONNECTIONS} conn`, create, CONNECTIONS, profile)),
    );

    // Each task goes TODO → BLOCKED → TODO …; consecutive requests touch different tasks.
    const taskIds = await createTasks(bench, projectId, 20);
    const statusBodies = ['BLOCKED', 'TODO'].flatMap((status) =>
      taskIds.map((taskId) => graphqlBody(SET_STATUS, { input: { taskId, status } })),
    );
    const setStatus = await checkedRequest(graph.gatewayUrl, manager, statusBodies);
    // The check moved the first task to BLOCKED: start from the second body.
    setStatus.bodies = [...statusBodies.slice(1), ...statusBodies.slice(0, 1)];
    results.push(
      resultOf(
        await client.point(`setTaskStatus, ${CONNECTIONS} conn`, setStatus, CONNECTIONS, profile),
        'alternating TODO ↔ BLOCKED over 20 tasks',
      ),
    );

    const hashing = await hashingCost();
    const signUp = await checkedRequest(graph.gatewayUrl, manager, signUpBodies(1));
    results.push(
      resultOf(
        await client.point(
          `signUp, ${CONNECTIONS} conn`,
          () => ({ ...signUp, headers: {}, bodies: signUpBodies(2000) }),
          CONNECTIONS,
          profile,
        ),
        hashing,
      ),
    );
    const login = await checkedRequest(graph.gatewayUrl, manager, [
      graphqlBody(LOGIN, { input: { login: ADMIN.username, password: ADMIN.password } }),
    ]);
    results.push(
      resultOf(
        await client.point(
          `login, ${CONNECTIONS} conn`,
          { ...login, headers: {} },
          CONNECTIONS,
          profile,
        ),
        'one scrypt verification per request',
      ),
    );
  } finally {
    await client.stop();
    await bench.stop();
  }
  return results;
}
