/**
 * Slow clients: slowloris sockets (headers or a body dribbled a byte at a time) are timed out with
 * a JSON 408 while others are served; malformed HTTP gets a JSON 400/431; a WebSocket client that
 * stops reading while events pour in is cut off (1013) once WS_MAX_PENDING_RESULTS results wait,
 * and the other subscriber receives every event.
 */
import net from 'node:net';
import WebSocket from 'ws';
import type { Graph } from '../helpers/graph';
import { loginAdmin, ok, signUp, type Person } from '../helpers/people';
import { subscribe, subscriptionsServed, wsUrl } from '../helpers/subscriptions';
import { report, settledMemory, startProductionGraph } from './abuse-kit';

let graph: Graph;
let admin: Person;
let manager: Person;
let member: Person;
let projectId: string;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  // Keep-alive pings would drop a stalled client on their own after two intervals: off here, so
  // the pending-results limit is what is tested.
  graph = await startProductionGraph({ gatewayEnv: { WS_KEEPALIVE_MS: '600000' } });
  admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER');
  member = await signUp(graph, admin, 'MEMBER');
  const { createProject } = await ok<{ createProject: { id: string } }>(
    graph,
    manager,
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: 'Slow clients' } },
  );
  projectId = createProject.id;
  await ok(
    graph,
    manager,
    'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
    { input: { projectId, userId: member.id } },
  );
});

afterAll(async () => {
  for (const cleanup of cleanups) cleanup();
  await graph?.stop();
});

/** What a raw socket received and when the server closed it (ms after opening). */
interface RawSocket {
  received: () => string;
  closedAfterMs: Promise<number>;
}

/** Opens a socket to `url`'s port and dribbles `head`, then one byte of `drip` per `everyMs`. */
function dribble(url: string, head: string, drip: string, everyMs: number): RawSocket {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const opened = Date.now();
  let received = '';
  let index = 0;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  const timer = setInterval(() => {
    if (!socket.writable) return;
    socket.write(drip[index % drip.length] ?? 'x');
    index++;
  }, everyMs);
  socket.write(head);
  cleanups.push(() => {
    clearInterval(timer);
    socket.destroy();
  });
  return {
    received: () => received,
    closedAfterMs: new Promise((resolve) =>
      socket.once('close', () => {
        clearInterval(timer);
        resolve(Date.now() - opened);
      }),
    ),
  };
}

/** Sends `bytes` on a fresh socket and collects the answer until the server closes it. */
function exchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
    socket.end(bytes);
  });
}

const jsonError = (answer: string) =>
  JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
    errors: { message: string; extensions: { code: string } }[];
  };

describe('abuse: slow and malformed clients', () => {
  it('times out slowloris sockets with a JSON 408 and keeps serving everyone else', async () => {
    const targets = [graph.gatewayUrl, graph.subgraphUrls.projects];
    const headers = targets.flatMap((url) =>
      Array.from({ length: 20 }, () =>
        dribble(url, 'POST /graphql HTTP/1.1\r\nHost: x\r\n', 'X-Slow: yes\r\n', 500),
      ),
    );
    const bodies = Array.from({ length: 5 }, () =>
      dribble(
        graph.gatewayUrl,
        'POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n',
        ' ',
        500,
      ),
    );
    // Everyone else is served meanwhile.
    for (let i = 0; i < 20; i++) {
      const { status, body } = await graph.query('{ me { id } }', {}, member.headers);
      expect(status).toBe(200);
      expect(body.data).toEqual({ me: { id: member.id } });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // headersTimeout is 10 s and requestTimeout 30 s, checked every second; the bounds are generous.
    const headerTimes = await Promise.all(headers.map((socket) => socket.closedAfterMs));
    const bodyTimes = await Promise.all(bodies.map((socket) => socket.closedAfterMs));
    report(
      `slowloris: headers closed after ${Math.min(...headerTimes)}–${Math.max(...headerTimes)} ms, ` +
        `bodies after ${Math.min(...bodyTimes)}–${Math.max(...bodyTimes)} ms`,
    );
    expect(Math.max(...headerTimes)).toBeLessThan(25_000);
    expect(Math.max(...bodyTimes)).toBeLessThan(60_000);
    for (const socket of [...headers, ...bodies]) {
      expect(socket.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(jsonError(socket.received()).errors[0]?.extensions.code).toBe('BAD_REQUEST');
    }
    expect((await graph.query('{ me { id } }', {}, member.headers)).status).toBe(200);
  }, 120_000);

  it('answers malformed HTTP with a GraphQL-shaped JSON 400 or 431', async () => {
    const garbage = await exchange(graph.gatewayUrl, 'GARBAGE\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(jsonError(garbage).errors[0]).toEqual({
      message: 'Malformed HTTP request',
      extensions: { code: 'BAD_REQUEST' },
    });
    const huge = await exchange(
      graph.gatewayUrl,
      `GET /graphql HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(jsonError(huge).errors[0]?.extensions.code).toBe('BAD_REQUEST');
  });

  it('cuts off a WebSocket client that stops reading, with bounded memory, and serves the others', async () => {
    const events = 250;
    // A wide selection makes each result ~200 KB, so the socket's buffers fill quickly.
    const wide = Array.from({ length: 100 }, (_, i) => `m${i}: message`).join(' ');
    const stalled = new WebSocket(wsUrl(graph.gatewayUrl), 'graphql-transport-ws');
    cleanups.push(() => stalled.terminate());
    let rawSocket: net.Socket | null = null;
    stalled.once('upgrade', (response) => (rawSocket = response.socket as net.Socket));
    const closed = new Promise<number>((resolve) => stalled.once('close', (code) => resolve(code)));
    stalled.on('error', () => undefined);
    await new Promise((resolve) => stalled.once('open', resolve));
    const acknowledged = new Promise((resolve) => stalled.once('message', resolve));
    stalled.send(
      JSON.stringify({
        type: 'connection_init',
        payload: { authorization: `Bearer ${member.token}` },
      }),
    );
    await acknowledged;
    stalled.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: {
          query: `subscription ($p: ID!) { statusUpdated(projectId: $p) { id ${wide} } }`,
          variables: { p: projectId },
        },
      }),
    );
    const reader = subscribe<{ statusUpdated: { message: string } }>(
      graph.gatewayUrl,
      member.token,
      'subscription ($p: ID!) { statusUpdated(projectId: $p) { id message } }',
      { p: projectId },
    );
    cleanups.push(() => void reader.dispose());
    await subscriptionsServed(graph.gatewayUrl, 2);
    (rawSocket as net.Socket | null)?.pause();
    const before = await settledMemory();

    const text = 'x'.repeat(1_900);
    for (let i = 0; i < events; i++) {
      await ok(
        graph,
        manager,
        'mutation ($input: PostStatusUpdateInput!) { postStatusUpdate(input: $input) { id } }',
        { input: { projectId, message: `${i} ${text}` } },
      );
    }
    await reader.received(events, 60_000);
    expect(reader.results.map((r) => Number(r.data?.statusUpdated.message.split(' ')[0]))).toEqual(
      Array.from({ length: events }, (_, i) => i),
    );
    // The stalled client's subscription ended; the reader's stays.
    await subscriptionsServed(graph.gatewayUrl, 1, 30_000);
    const after = await settledMemory();
    report(
      `stalled WebSocket: heap ${before.heapMb} → ${after.heapMb} MB, rss ${before.rssMb} → ${after.rssMb} MB over ${events} events of ~200 KB`,
    );
    // Unbounded, the stalled subscription would hold most of 250 × 200 KB.
    expect(after.heapMb - before.heapMb).toBeLessThan(40);

    // Reading again, the client gets what the socket held, then the close: 1013, try again later.
    (rawSocket as net.Socket | null)?.resume();
    expect(await closed).toBe(1013);
  }, 150_000);
});
