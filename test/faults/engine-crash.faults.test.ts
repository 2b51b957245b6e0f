/**
 * Fault 3: the database engine is SIGKILLed while writes go on, then started again on the same
 * port and data directory. The services notice (not-ready), reconnect by themselves (ready again,
 * nobody restarted), and every write acknowledged before the kill is there afterwards.
 */
import { randomId } from '@psa/shared/testing';
import {
  CREATE_DOCUMENT,
  CREATE_TASK,
  POST_STATUS_UPDATE,
  createProject,
  loginAdmin,
  projectItemIds,
  recordFigure,
  send,
  signUp,
  sleep,
  type Actor,
  type ProjectConnection,
} from './actors';
import { GATEWAYS, SUBGRAPHS, startTopology, type ProcessName, type Topology } from './launcher';

let topology: Topology;
let manager: Actor;
let projectId: string;

beforeAll(async () => {
  topology = await startTopology();
  const url = topology.gatewayUrls[0];
  const admin = await loginAdmin(url);
  manager = await signUp(url, admin, 'MANAGER', 'manager');
  projectId = await createProject(url, manager);
});

afterAll(() => topology?.stop());

async function subgraphsReadyz(status: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(SUBGRAPHS.map((name) => topology.readyz(name)));
    if (statuses.every((s) => s === status)) return;
    if (Date.now() > deadline) throw new Error(`subgraphs' readyz ${JSON.stringify(statuses)}`);
    await sleep(100);
  }
}

const WRITES: { connection: ProjectConnection; query: string; input: () => object }[] = [
  { connection: 'tasks', query: CREATE_TASK, input: () => ({ title: `Task ${randomId()}` }) },
  {
    connection: 'statusUpdates',
    query: POST_STATUS_UPDATE,
    input: () => ({ message: `Update ${randomId()}` }),
  },
  {
    connection: 'documents',
    query: CREATE_DOCUMENT,
    input: () => ({ title: 'Doc', fileUrl: `https://files.example.com/${randomId()}.pdf` }),
  },
];

it('keeps every acknowledged write across a kill of the engine, and reconnects alone', async () => {
  const url = topology.gatewayUrls[0];
  const pids = new Map<ProcessName, number | null>(
    [...SUBGRAPHS, ...GATEWAYS].map((n) => [n, topology.pid(n)]),
  );
  const acknowledged = new Map<ProjectConnection, string[]>(WRITES.map((w) => [w.connection, []]));
  let failedWhileDown = 0;
  let recovered = false;
  const failedAfterRecovery: string[] = [];
  let running = true;
  // Six writers, two per kind of write, each sending the next write once the last was answered.
  const writers = [...WRITES, ...WRITES].map(async ({ connection, query, input }) => {
    while (running) {
      const { status, body } = await send<Record<string, { id: string }>>(
        url,
        query,
        { input: { projectId, ...input() } },
        manager.headers,
      );
      const id = body.data ? Object.values(body.data)[0]?.id : undefined;
      if (status === 200 && !body.errors && id) acknowledged.get(connection)?.push(id);
      else if (recovered) failedAfterRecovery.push(`${status} ${JSON.stringify(body.errors)}`);
      else {
        failedWhileDown++;
        await sleep(100);
      }
    }
  });
  await sleep(1_500);
  const beforeKill = [...acknowledged.values()].reduce((n, ids) => n + ids.length, 0);
  expect(beforeKill).toBeGreaterThan(0);

  const killedAt = Date.now();
  await topology.kill('mongo', 'SIGKILL');
  await subgraphsReadyz(503);
  recordFigure('engine killed: all subgraphs not-ready after', Date.now() - killedAt, 'ms');
  const restartedAt = Date.now();
  await topology.start('mongo');
  await subgraphsReadyz(200);
  recordFigure('engine restarted: all subgraphs ready again after', Date.now() - restartedAt, 'ms');
  // The connection pools find the engine again a moment after readiness does: one write of
  // each kind must go through before failures count.
  for (const { query, input } of WRITES) {
    for (let i = 0; i < 100; i++) {
      const { body } = await send(
        url,
        query,
        { input: { projectId, ...input() } },
        manager.headers,
      );
      if (!body.errors) break;
      await sleep(100);
    }
  }
  recovered = true;
  await sleep(1_500);
  running = false;
  await Promise.all(writers);

  // Writes in flight at the kill fail; later ones mostly wait for the engine (server selection).
  recordFigure('engine outage: writes that failed', failedWhileDown, 'writes');
  recordFigure(
    'engine outage: acknowledged writes checked',
    [...acknowledged.values()].reduce((n, ids) => n + ids.length, 0),
    'writes',
  );
  expect(failedAfterRecovery).toEqual([]);
  for (const [name, pid] of pids) expect(topology.pid(name)).toBe(pid);
  for (const [connection, ids] of acknowledged) {
    const stored = await projectItemIds(url, manager, projectId, connection);
    expect(stored.ids.length).toBe(stored.totalCount);
    const missing = ids.filter((id) => !stored.ids.includes(id));
    expect({ connection, missing }).toEqual({ connection, missing: [] });
  }
});
