/**
 * Faults 4 and 5, the two gateways in front of the same subgraphs:
 * 4. gateway A is SIGKILLed while graphql-ws clients are subscribed through it: each client
 *    reconnects to gateway B (its retry rotates between the two URLs) and keeps receiving;
 * 5. gateway A gets SIGTERM under load (SHUTDOWN_DELAY_MS 1.5 s, SHUTDOWN_GRACE_MS 5 s): it turns
 *    not-ready, clients watching readiness (as a load balancer does) move to B, every request A
 *    accepted is answered successfully, and A exits 0 within the delay plus the grace period.
 */
import http from 'node:http';
import { randomId } from '@psa/shared/testing';
import { subscriptionsServed } from '../helpers/subscriptions';
import {
  CREATE_TASK,
  createProject,
  loginAdmin,
  postStatusUpdate,
  projectItemIds,
  recordFigure,
  signUp,
  sleep,
  type Actor,
} from './actors';
import { startTopology, type Topology } from './launcher';
import { rotatingSubscriber, type RotatingSubscriber } from './rotating-subscriber';

const SHUTDOWN_DELAY_MS = 1_500;
const SHUTDOWN_GRACE_MS = 5_000;

let topology: Topology;
let manager: Actor;
let projectId: string;

beforeAll(async () => {
  topology = await startTopology({
    gatewayEnv: {
      SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
      SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
    },
  });
  const url = topology.gatewayUrls[0];
  const admin = await loginAdmin(url);
  manager = await signUp(url, admin, 'MANAGER', 'manager');
  projectId = await createProject(url, manager);
});

afterAll(() => topology?.stop());

type StatusEvent = { statusUpdated: { message: string } };

it('moves subscribers of a killed gateway to the other one, which keeps delivering', async () => {
  const [urlA, urlB] = topology.gatewayUrls;
  const subscribers: RotatingSubscriber<StatusEvent>[] = Array.from({ length: 20 }, () =>
    rotatingSubscriber<StatusEvent>(
      [urlA, urlB],
      manager.token,
      'subscription ($p: ID!) { statusUpdated(projectId: $p) { message } }',
      { p: projectId },
    ),
  );
  try {
    await subscriptionsServed(urlA, 20, 30_000);
    await postStatusUpdate(urlB, manager, projectId, 'before');
    await Promise.all(subscribers.map((s) => s.received(1)));

    const killedAt = Date.now();
    await topology.kill('gateway-a', 'SIGKILL');
    await subscriptionsServed(urlB, 20, 30_000);
    recordFigure(
      'gateway killed: 20 subscribers resubscribed on the other after',
      Date.now() - killedAt,
      'ms',
    );
    const after = ['after 1', 'after 2', 'after 3'];
    for (const message of after) await postStatusUpdate(urlB, manager, projectId, message);
    await Promise.all(subscribers.map((s) => s.received(4)));

    for (const subscriber of subscribers) {
      expect(subscriber.connectedTo).toEqual([urlA, urlB].map((u) => u.replace(/^http/, 'ws')));
      expect(subscriber.results.map((r) => r.errors ?? r.data?.statusUpdated.message)).toEqual([
        'before',
        ...after,
      ]);
    }
  } finally {
    await Promise.all(subscribers.map((s) => s.dispose()));
  }
  await topology.start('gateway-a');
});

interface Answer {
  status: number;
  body: string;
}

/** POSTs on a connection of its own, so a refused connection and a failed request differ. */
function post(url: string, query: string, variables: object, headers: object): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify({ query, variables }));
  });
}

it('answers every request a gateway accepted while SIGTERM stops it, within its grace period', async () => {
  const [urlA, urlB] = topology.gatewayUrls;
  const readyzA = urlA.replace(/\/graphql$/, '/readyz');
  // The load balancer: sends to A while A reports ready, then to B.
  let target = urlA;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const status = await fetch(readyzA)
        .then((r) => r.status)
        .catch(() => 0);
      if (status !== 200) target = urlB;
      await sleep(20);
    }
  })();
  const answered = { a: 0, b: 0 };
  const failures: string[] = [];
  const created: string[] = [];
  let running = true;
  // Twenty clients: reads, and every third request a write.
  const clients = Array.from({ length: 20 }, async (_, client) => {
    for (let i = 0; running; i++) {
      const url = target;
      const write = (client + i) % 3 === 0;
      const [query, variables] = write
        ? [CREATE_TASK, { input: { projectId, title: `Load ${randomId()}` } }]
        : ['query ($p: ID!) { me { id } project(id: $p) { name } }', { p: projectId }];
      try {
        const { status, body } = await post(url, query, variables, manager.headers);
        const parsed = JSON.parse(body) as {
          data?: { createTask?: { id: string } };
          errors?: unknown;
        };
        if (status !== 200 || parsed.errors) failures.push(`${url} ${status} ${body}`);
        else {
          if (url === urlA) answered.a++;
          else answered.b++;
          if (parsed.data?.createTask) created.push(parsed.data.createTask.id);
        }
      } catch (error) {
        failures.push(`${url} ${String(error)}`);
      }
    }
  });
  await sleep(1_500);
  const signalledAt = Date.now();
  const exit = await topology.signal('gateway-a', 'SIGTERM');
  const shutdownMs = Date.now() - signalledAt;
  await sleep(500);
  running = false;
  watching = false;
  await Promise.all([...clients, watcher]);

  expect(failures).toEqual([]);
  recordFigure('SIGTERM: gateway exited after', shutdownMs, 'ms');
  recordFigure('SIGTERM: requests answered by the stopping gateway', answered.a, 'requests');
  recordFigure('SIGTERM: requests answered by the other gateway', answered.b, 'requests');
  expect(exit).toEqual({ code: 0, signal: null });
  expect(shutdownMs).toBeLessThan(SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS);
  expect(answered.a).toBeGreaterThan(0);
  expect(answered.b).toBeGreaterThan(0);
  const stored = await projectItemIds(urlB, manager, projectId, 'tasks');
  expect(created.filter((id) => !stored.ids.includes(id))).toEqual([]);
});
