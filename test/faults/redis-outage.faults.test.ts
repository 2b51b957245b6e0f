/**
 * Fault 2: Redis is SIGKILLed under traffic and started again (same port, its append-only file
 * kept, as in docker-compose and k8s). While it is gone every process reports `degraded` (still
 * 200, so no load balancer takes them all out); signed-in reads and writes keep working because
 * the gateways and the users service check sessions in the users database; a token revoked
 * before the outage stays refused and a logout made during it takes effect at once; login rate
 * limits fall back to counters in each gateway's memory. Afterwards all are ready again without
 * a restart, what Redis missed is marked again, and subscriptions deliver again on the sockets
 * that stayed open. Separately: domain events published while their consumer (the tasks service)
 * was down are processed once it is back.
 */
import { randomId } from '@psa/shared/testing';
import { subscribe, subscriptionsServed } from '../helpers/subscriptions';
import {
  createProject,
  createTask,
  loginAdmin,
  ok,
  postStatusUpdate,
  recordFigure,
  send,
  signUp,
  sleep,
  type Actor,
} from './actors';
import { GATEWAYS, SUBGRAPHS, startTopology, type ProcessName, type Topology } from './launcher';

let topology: Topology;
let admin: Actor;
let manager: Actor;

beforeAll(async () => {
  topology = await startTopology();
  admin = await loginAdmin(topology.gatewayUrls[0]);
  manager = await signUp(topology.gatewayUrls[0], admin, 'MANAGER', 'manager');
});

afterAll(() => topology?.stop());

const SERVED = [...SUBGRAPHS, ...GATEWAYS] as const;

/** What `/readyz` of `name` says: its HTTP status and its `status` (ready, degraded, not ready). */
async function readiness(name: ProcessName): Promise<string> {
  try {
    const base = topology.graphql(name as (typeof SERVED)[number]).replace(/\/graphql$/, '');
    const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) });
    const { status } = (await response.json()) as { status: string };
    return `${response.status} ${status}`;
  } catch {
    return 'no answer';
  }
}

/** Polls until every service and gateway answers `/readyz` with `expected` ("200 degraded"). */
async function allReadyz(expected: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await Promise.all(SERVED.map((name) => readiness(name)));
    if (seen.every((s) => s === expected)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `readyz ${JSON.stringify(seen)} of ${SERVED.join(', ')}, not all ${expected}`,
      );
    }
    await sleep(100);
  }
}

/** Polls `check` until it holds (at most `timeoutMs`); returns how long that took. */
async function within(timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(50);
  }
  return Date.now() - started;
}

const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';
const ME = 'query { me { id } }';

it('keeps signed-in users working without Redis, honours logouts, and recovers without a restart', async () => {
  const [urlA, urlB] = topology.gatewayUrls;
  const projectId = await createProject(urlA, manager);
  const pids = new Map<ProcessName, number | null>(SERVED.map((n) => [n, topology.pid(n)]));

  // A subscriber on gateway A, receiving before the outage.
  const subscription = subscribe<{ statusUpdated: { message: string } }>(
    urlA,
    manager.token,
    'subscription ($p: ID!) { statusUpdated(projectId: $p) { message } }',
    { p: projectId },
  );
  let socketClosed = false;
  void subscription.closed.then(() => (socketClosed = true));
  await subscriptionsServed(urlA, 1);
  await postStatusUpdate(urlA, manager, projectId, 'before');
  await subscription.received(1);

  // A user who logged out before the outage: their access token is refused from then on.
  const leaver = await signUp(urlA, admin, 'MEMBER', 'leaver');
  await ok(urlA, 'mutation { logout }', {}, leaver.headers);
  expect((await send(urlA, ME, {}, leaver.headers)).status).toBe(401);
  // One who will log out during the outage.
  const outgoing = await signUp(urlA, admin, 'MEMBER', 'outgoing');

  // Traffic from a signed-in user throughout: none of it may fail.
  let traffic = true;
  const failures: string[] = [];
  let served = 0;
  const load = (async () => {
    while (traffic) {
      for (const url of [urlA, urlB]) {
        try {
          const { status, body } = await send(url, ME, {}, manager.headers);
          if (status !== 200 || body.errors) {
            failures.push(`${url}: ${status} ${JSON.stringify(body.errors)}`);
          } else served++;
        } catch (error) {
          failures.push(`${url}: ${String(error)}`);
        }
      }
      await sleep(20);
    }
  })();

  const killedAt = Date.now();
  await topology.kill('redis', 'SIGKILL');
  await allReadyz('200 degraded');
  recordFigure(
    'Redis killed: every process degraded (still 200) after',
    Date.now() - killedAt,
    'ms',
  );

  // Signed-in reads and writes work on both gateways; the revoked token stays refused.
  for (const url of [urlA, urlB]) {
    expect(await ok(url, ME, {}, manager.headers)).toEqual({ me: { id: manager.id } });
    const taskId = await createTask(url, manager, projectId, `during the outage via ${url}`);
    expect(taskId).toMatch(/^[0-9a-f]{24}$/);
    const revoked = await send(url, ME, {}, leaver.headers);
    expect(revoked.status).toBe(401);
    expect(revoked.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  }
  // The users service checks sessions in its database now: the revoked token is refused there too.
  const direct = await send(topology.graphql('users'), ME, {}, leaver.headers);
  expect(direct.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

  // A logout during the outage: at once at the gateway that served it, at the other within the
  // fallback cache (SESSION_FALLBACK_CACHE_MS, 2 s by default).
  expect((await send(urlA, ME, {}, outgoing.headers)).status).toBe(200);
  expect((await send(urlB, ME, {}, outgoing.headers)).status).toBe(200);
  await ok(urlA, 'mutation { logout }', {}, outgoing.headers);
  expect((await send(urlA, ME, {}, outgoing.headers)).status).toBe(401);
  const elsewhere = await within(
    5_000,
    async () => (await send(urlB, ME, {}, outgoing.headers)).status === 401,
  );
  recordFigure('Logout during the outage: refused at the other gateway after', elsewhere, 'ms');

  // Login needs no Redis; its per-account limit (5/min here) is counted in each gateway's memory.
  const account = `nobody-${randomId().slice(0, 6)}`;
  const attempt = async (url: string) =>
    (await send(url, LOGIN, { input: { login: account, password: 'wrong password' } })).body
      .errors?.[0]?.extensions?.code;
  for (let i = 0; i < 5; i++) expect(await attempt(urlA)).toBe('UNAUTHENTICATED');
  expect(await attempt(urlA)).toBe('RATE_LIMITED');
  expect(await attempt(urlB)).toBe('UNAUTHENTICATED');
  // A correct login works during the outage (its token is usable once Redis is back).
  const during = await send<{ login: { accessToken: string } }>(urlB, LOGIN, {
    input: { login: manager.username, password: manager.password },
  });
  expect(during.body.errors).toBeUndefined();

  const restartedAt = Date.now();
  await topology.start('redis');
  await allReadyz('200 ready');
  recordFigure('Redis restarted: every process ready again after', Date.now() - restartedAt, 'ms');
  traffic = false;
  await load;
  expect(failures).toEqual([]);
  recordFigure('Signed-in reads served across the outage', served, 'requests');
  for (const [name, pid] of pids) expect(topology.pid(name)).toBe(pid);

  // The revocation outlived the restart (append-only file), the one made during the outage was
  // marked again by the users service; other tokens work.
  for (const url of [urlA, urlB]) {
    expect((await send(url, ME, {}, leaver.headers)).status).toBe(401);
    expect((await send(url, ME, {}, outgoing.headers)).status).toBe(401);
    expect(await ok(url, ME, {}, manager.headers)).toEqual({ me: { id: manager.id } });
  }

  // Delivery resumes on the same socket: post until one arrives (the subscriber's SUBSCRIBE is
  // restored by the Redis client right after it reconnects), then every later one arrives in order.
  const posted = ['before'];
  for (let i = 0; subscription.results.length < 2; i++) {
    if (i >= 20) throw new Error('no status update delivered after Redis came back');
    posted.push(`retry ${i}`);
    await postStatusUpdate(urlA, manager, projectId, `retry ${i}`);
    await sleep(250);
  }
  const afterCount = subscription.results.length;
  for (const message of ['after 1', 'after 2', 'after 3']) {
    posted.push(message);
    await postStatusUpdate(urlA, manager, projectId, message);
  }
  await subscription.received(afterCount + 3);
  const received = subscription.results.map((r) => r.data?.statusUpdated.message);
  expect(subscription.results.filter((r) => r.errors)).toEqual([]);
  expect(received.slice(-3)).toEqual(['after 1', 'after 2', 'after 3']);
  // In order, no duplicates, nothing that was not posted.
  expect(new Set(received).size).toBe(received.length);
  expect(received.map((m) => posted.indexOf(m ?? ''))).toEqual(
    [...received.map((m) => posted.indexOf(m ?? ''))].sort((a, b) => a - b),
  );
  expect(received.every((m) => posted.includes(m ?? ''))).toBe(true);
  expect(socketClosed).toBe(false);
  await subscription.dispose();
});

it('processes the domain events published while their consumer was down once it is back', async () => {
  const url = topology.gatewayUrls[0];
  const member = await signUp(url, admin, 'MEMBER', 'member');
  const projectId = await createProject(url, manager);
  for (const title of ['one', 'two', 'three']) await createTask(url, manager, projectId, title);
  const TASKS = 'query ($p: ID!) { project(id: $p) { tasks(first: 10) { totalCount } } }';

  await topology.kill('tasks', 'SIGKILL');
  // projects publishes `project.access-changed`; the tasks service is not there to handle it.
  await ok(
    url,
    'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
    { input: { projectId, userId: member.id } },
    manager.headers,
  );
  const projectsPid = topology.pid('projects');
  await topology.start('tasks');

  // The tasks service's read model learns the new member from the stream it missed.
  const deadline = Date.now() + 15_000;
  let seen: { status: number; body: unknown } | null = null;
  for (;;) {
    const { status, body } = await send<{ project: { tasks: { totalCount: number } } }>(
      url,
      TASKS,
      { p: projectId },
      member.headers,
    );
    seen = { status, body };
    if (!body.errors && body.data?.project.tasks.totalCount === 3) break;
    if (Date.now() > deadline)
      throw new Error(`member never saw the tasks: ${JSON.stringify(seen)}`);
    await sleep(100);
  }
  expect(topology.pid('projects')).toBe(projectsPid);
});
