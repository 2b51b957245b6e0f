/**
 * Fault 1: the tasks subgraph is SIGKILLed during steady traffic through a gateway. Operations
 * that need it answer the other services' data and a SERVICE_UNAVAILABLE error naming it;
 * operations that do not need it are untouched; the gateway neither crashes nor turns not-ready.
 * Once the tasks service is back (same port), errors stop within 5 s, nothing else restarted.
 */
import {
  createProject,
  createTask,
  loginAdmin,
  recordFigure,
  send,
  signUp,
  sleep,
  type Actor,
} from './actors';
import { GATEWAYS, SUBGRAPHS, startTopology, type ProcessName, type Topology } from './launcher';

let topology: Topology;
let manager: Actor;
let projectId: string;
let taskId: string;

beforeAll(async () => {
  topology = await startTopology();
  const url = topology.gatewayUrls[0];
  const admin = await loginAdmin(url);
  manager = await signUp(url, admin, 'MANAGER', 'manager');
  projectId = await createProject(url, manager);
  taskId = await createTask(url, manager, projectId, 'Survives the crash');
});

afterAll(() => topology?.stop());

/** Needs projects and tasks: the project's name comes back whatever happens to tasks. */
const TOUCHING = 'query ($p: ID!, $t: ID!) { project(id: $p) { name } task(id: $t) { title } }';
/** Needs users and projects only. */
const NOT_TOUCHING = 'query ($p: ID!) { me { id } project(id: $p) { name manager { id } } }';

type Phase = 'before' | 'down' | 'after';
interface Outcome {
  phase: Phase;
  kind: 'touching' | 'not-touching';
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

it('degrades only what needs the dead subgraph and recovers within 5 s of its return', async () => {
  const url = topology.gatewayUrls[0];
  const pidsBefore = new Map<ProcessName, number | null>(
    [...SUBGRAPHS, ...GATEWAYS].map((name) => [name, topology.pid(name)]),
  );
  let phase: Phase = 'before';
  let running = true;
  const outcomes: Outcome[] = [];
  const variables = { p: projectId, t: taskId };
  // Steady traffic: four clients, each alternating an operation that needs tasks and one that does not.
  const clients = Array.from({ length: 4 }, async () => {
    while (running) {
      for (const kind of ['touching', 'not-touching'] as const) {
        const current = phase;
        const { status, body } = await send(
          url,
          kind === 'touching' ? TOUCHING : NOT_TOUCHING,
          variables,
          manager.headers,
        );
        outcomes.push({ phase: current, kind, status, body });
      }
    }
  });
  await sleep(1_000);

  phase = 'down';
  // Requests of the 'before' phase still in flight finish first.
  await sleep(300);
  await topology.kill('tasks', 'SIGKILL');
  expect(await topology.readyz('tasks')).toBe(0);
  await sleep(2_000);
  expect(await topology.readyz('gateway-a')).toBe(200);
  expect(await topology.readyz('gateway-b')).toBe(200);

  await topology.start('tasks');
  const backAt = Date.now();
  // Recovery: the first moment from which an operation needing tasks succeeds again.
  let recoveredAt: number | null = null;
  while (recoveredAt === null && Date.now() - backAt < 30_000) {
    const { body } = await send(url, TOUCHING, variables, manager.headers);
    if (!body.errors) recoveredAt = Date.now();
    else await sleep(50);
  }
  phase = 'after';
  await sleep(1_000);
  running = false;
  await Promise.all(clients);

  expect(recoveredAt).not.toBeNull();
  recordFigure(
    'subgraph back: first successful operation needing it after',
    (recoveredAt ?? 0) - backAt,
    'ms',
  );
  expect((recoveredAt ?? Infinity) - backAt).toBeLessThan(5_000);

  const of = (p: Phase, kind: Outcome['kind']) =>
    outcomes.filter((o) => o.phase === p && o.kind === kind);
  // Never a failed HTTP answer, whatever the phase.
  expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
  // What does not need tasks never fails.
  for (const p of ['before', 'down', 'after'] as const) {
    expect(of(p, 'not-touching').length).toBeGreaterThan(0);
    expect(of(p, 'not-touching').filter((o) => o.body.errors)).toEqual([]);
  }
  expect(of('before', 'touching').filter((o) => o.body.errors)).toEqual([]);
  expect(of('after', 'touching').filter((o) => o.body.errors)).toEqual([]);
  // While tasks is down: the project's data and an error naming the tasks service.
  const down = of('down', 'touching');
  const degraded = down.filter((o) => o.body.errors);
  expect(degraded.length).toBeGreaterThan(0);
  for (const outcome of degraded) {
    expect(outcome.body.data).toEqual({ project: { name: expect.any(String) }, task: null });
    expect(outcome.body.errors).toEqual([
      {
        message: 'The tasks service is unavailable right now; try again',
        extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'tasks' },
      },
    ]);
  }
  // Only tasks was restarted.
  for (const [name, pid] of pidsBefore) {
    if (name === 'tasks') expect(topology.pid(name)).not.toBe(pid);
    else expect(topology.pid(name)).toBe(pid);
  }
  expect(await topology.readyz('tasks')).toBe(200);
});

it('a mutation in flight when its subgraph dies writes once when the client retries with its Idempotency-Key', async () => {
  const url = topology.gatewayUrls[0];
  const target = await createProject(url, manager);
  const CREATE = 'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }';
  const attempt = (title: string) =>
    send<{ createTask: { id: string } }>(
      url,
      CREATE,
      { input: { projectId: target, title } },
      { ...manager.headers, 'idempotency-key': `crash-${title.replaceAll(' ', '-')}` },
    ).catch(() => null);
  // Creates keep arriving while the tasks service is killed: some are written and lose their
  // answer, some never reach it, some complete.
  const titles = Array.from({ length: 40 }, (_, i) => `in flight ${i}`);
  const first: Promise<unknown>[] = [];
  for (const [i, title] of titles.entries()) {
    first.push(attempt(title));
    if (i === 10) await topology.kill('tasks', 'SIGKILL');
    await sleep(5);
  }
  const answers = await Promise.all(first);
  await topology.start('tasks');
  await topology.waitReady('tasks');
  // Every create without a complete answer is retried with its key until it has one.
  let retried = 0;
  for (const [i, title] of titles.entries()) {
    const answer = answers[i] as { body: { errors?: unknown[] } } | null;
    if (answer && !answer.body.errors) continue;
    retried++;
    for (let tries = 0; ; tries++) {
      const retry = await attempt(title);
      if (retry && !retry.body.errors) break;
      if (tries > 50) throw new Error(`no answer for ${title}: ${JSON.stringify(retry?.body)}`);
      await sleep(100);
    }
  }
  recordFigure('creates retried after the subgraph died mid-flight', retried, 'requests');
  expect(retried).toBeGreaterThan(0);
  const { body } = await send<{
    project: { tasks: { totalCount: number; edges: { node: { title: string } }[] } };
  }>(
    url,
    'query ($p: ID!) { project(id: $p) { tasks(first: 100) { totalCount edges { node { title } } } } }',
    { p: target },
    manager.headers,
  );
  const stored = body.data?.project.tasks.edges.map((edge) => edge.node.title).sort() ?? [];
  // Exactly one task per intended create: none lost, none twice.
  expect(stored).toEqual([...titles].sort());
});
