/**
 * Realtime subscriptions through the gateway with real graphql-ws clients over WebSocket, real
 * subgraphs and a real Redis: delivery with federated fields, order, who receives what, session
 * ends, several gateways, a Redis restart, and many subscribers.
 */
import WebSocket from 'ws';
import { signAccessToken } from '@psa/shared';
import { randomId } from '@psa/shared/testing';
import { startRedisServer, type RedisServer } from '@psa/shared/testing';
import { startGraph, type Graph } from './helpers/graph';
import { eventually, loginAdmin, ok, signUp, type Person } from './helpers/people';
import { subscribe, subscriptionsServed, wsUrl, type Subscription } from './helpers/subscriptions';
import { ADD_MEMBER, REMOVE_MEMBER } from './helpers/operations';

const STATUS_UPDATED = `subscription ($projectId: ID!) { statusUpdated(projectId: $projectId) {
  id message status automatic author { username } project { name manager { username } } } }`;
const TASK_CHANGED = `subscription ($projectId: ID!) { taskChanged(projectId: $projectId) {
  kind task { id title status assignee { username } } } }`;
const POST = 'mutation ($input: PostStatusUpdateInput!) { postStatusUpdate(input: $input) { id } }';

interface StatusUpdatedData {
  statusUpdated: {
    id: string;
    message: string;
    status: string | null;
    automatic: boolean;
    author: { username: string };
    project: { name: string; manager: { username: string } };
  };
}

/** Short session checks, so a logout ends subscriptions within a test's patience. */
const GATEWAY_ENV = { WS_SESSION_CHECK_MS: '200' };

let graph: Graph;
let admin: Person;
let manager: Person;
let member: Person;
const open: Subscription<unknown>[] = [];

function watch<T>(
  person: Person | null,
  query: string,
  variables: Record<string, unknown>,
  url = graph.gatewayUrl,
): Subscription<T> {
  const subscription = subscribe<T>(url, person?.token ?? null, query, variables);
  open.push(subscription as Subscription<unknown>);
  return subscription;
}

async function newProject(members: Person[] = []): Promise<string> {
  const { createProject } = await ok<{ createProject: { id: string } }>(
    graph,
    manager,
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: 'Website relaunch', status: 'ACTIVE' } },
  );
  for (const person of members) {
    await ok(graph, manager, ADD_MEMBER, {
      input: { projectId: createProject.id, userId: person.id },
    });
  }
  return createProject.id;
}

const post = (projectId: string, message: string, by: Person = manager) =>
  ok(graph, by, POST, { input: { projectId, message } });

beforeAll(async () => {
  graph = await startGraph({ gatewayEnv: GATEWAY_ENV });
  admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER');
  member = await signUp(graph, admin, 'MEMBER');
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.dispose()));
  // Each test counts the subscriptions it opens: the gateway has let go of the last test's.
  await subscriptionsServed(graph.gatewayUrl, 0);
});

afterAll(() => graph?.stop());

describe('delivery', () => {
  it('delivers a status update with fields from three subgraphs', async () => {
    const projectId = await newProject([member]);
    const feed = watch<StatusUpdatedData>(member, STATUS_UPDATED, { projectId });
    await subscriptionsServed(graph.gatewayUrl, 1);
    await ok(graph, manager, POST, {
      input: { projectId, message: 'Kick-off done', status: 'ON_HOLD' },
    });
    await feed.received(1);
    expect(feed.results[0]).toEqual({
      data: {
        statusUpdated: {
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          message: 'Kick-off done',
          status: 'ON_HOLD',
          automatic: false,
          author: { username: manager.username },
          project: { name: 'Website relaunch', manager: { username: manager.username } },
        },
      },
    });
  });

  it('delivers task changes (created, updated, deleted) with the assignee from the users subgraph', async () => {
    const projectId = await newProject([member]);
    const feed = watch<{
      taskChanged: { kind: string; task: { title: string; status: string; assignee: unknown } };
    }>(member, TASK_CHANGED, { projectId });
    await subscriptionsServed(graph.gatewayUrl, 1);
    const { createTask } = await ok<{ createTask: { id: string } }>(
      graph,
      manager,
      'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }',
      { input: { projectId, title: 'Wireframes', assigneeId: member.id } },
    );
    await ok(
      graph,
      member,
      'mutation ($input: SetTaskStatusInput!) { setTaskStatus(input: $input) { id } }',
      { input: { taskId: createTask.id, status: 'IN_PROGRESS' } },
    );
    await ok(graph, manager, 'mutation ($id: ID!) { deleteTask(id: $id) }', { id: createTask.id });
    await feed.received(3);
    expect(feed.results.map((r) => r.data?.taskChanged)).toEqual([
      {
        kind: 'CREATED',
        task: {
          id: createTask.id,
          title: 'Wireframes',
          status: 'TODO',
          assignee: { username: member.username },
        },
      },
      {
        kind: 'UPDATED',
        task: {
          id: createTask.id,
          title: 'Wireframes',
          status: 'IN_PROGRESS',
          assignee: { username: member.username },
        },
      },
      {
        kind: 'DELETED',
        task: {
          id: createTask.id,
          title: 'Wireframes',
          status: 'IN_PROGRESS',
          assignee: { username: member.username },
        },
      },
    ]);
  });

  it('delivers 100 quick updates in the order they were posted', async () => {
    const projectId = await newProject([member]);
    const feed = watch<StatusUpdatedData>(member, STATUS_UPDATED, { projectId });
    await subscriptionsServed(graph.gatewayUrl, 1);
    for (let i = 0; i < 100; i++) await post(projectId, `update ${i}`);
    await feed.received(100);
    expect(feed.results.map((r) => r.data?.statusUpdated.message)).toEqual(
      Array.from({ length: 100 }, (_, i) => `update ${i}`),
    );
  });

  it('delivers the automatic "All N tasks are done" update', async () => {
    const projectId = await newProject();
    const feed = watch<StatusUpdatedData>(manager, STATUS_UPDATED, { projectId });
    await subscriptionsServed(graph.gatewayUrl, 1);
    const { createTask } = await ok<{ createTask: { id: string } }>(
      graph,
      manager,
      'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }',
      { input: { projectId, title: 'Only task' } },
    );
    for (const status of ['IN_PROGRESS', 'DONE']) {
      await ok(
        graph,
        manager,
        'mutation ($input: SetTaskStatusInput!) { setTaskStatus(input: $input) { id } }',
        { input: { taskId: createTask.id, status } },
      );
    }
    await feed.received(1);
    expect(feed.results[0]?.data?.statusUpdated).toMatchObject({
      message: 'All 1 task is done',
      automatic: true,
    });
  });
});

describe('who receives what', () => {
  it('closes the socket with 4401 for no token or a bad one, before any subscription', async () => {
    const projectId = await newProject();
    for (const token of [null, 'not-a-token']) {
      const feed = subscribe(graph.gatewayUrl, token, STATUS_UPDATED, { projectId });
      const { code } = await feed.closed;
      expect(code).toBe(4401);
      await feed.dispose();
    }
  });

  it('refuses an outsider’s subscription with NOT_FOUND and tells them nothing', async () => {
    const outsider = await signUp(graph, admin, 'MEMBER', 'outsider');
    const projectId = await newProject();
    const feed = watch(outsider, STATUS_UPDATED, { projectId });
    await feed.completed;
    expect(feed.results).toEqual([
      {
        errors: [
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND' }) }),
        ],
      },
    ]);
    await post(projectId, 'secret');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(feed.results).toHaveLength(1);
  });

  it('stops delivering to a member removed from the project, at once', async () => {
    const leaving = await signUp(graph, admin, 'MEMBER', 'leaving');
    const projectId = await newProject([leaving, member]);
    const leavingFeed = watch<StatusUpdatedData>(leaving, STATUS_UPDATED, { projectId });
    const stayingFeed = watch<StatusUpdatedData>(member, STATUS_UPDATED, { projectId });
    await subscriptionsServed(graph.gatewayUrl, 2);
    await post(projectId, 'before');
    await Promise.all([leavingFeed.received(1), stayingFeed.received(1)]);
    await ok(graph, manager, REMOVE_MEMBER, { input: { projectId, userId: leaving.id } });
    await post(projectId, 'after');
    await stayingFeed.received(2);
    await leavingFeed.completed;
    expect(
      leavingFeed.results.map(
        (r) => r.data?.statusUpdated.message ?? r.errors?.[0]?.extensions?.code,
      ),
    ).toEqual(['before', 'FORBIDDEN']);
  });

  it('resolves a per-caller list for each subscriber: two members of one role see their own', async () => {
    const [first, second] = [
      await signUp(graph, admin, 'MEMBER', 'first'),
      await signUp(graph, admin, 'MEMBER', 'second'),
    ];
    const named = async (name: string, members: Person[]): Promise<string> => {
      const { createProject } = await ok<{ createProject: { id: string } }>(
        graph,
        manager,
        'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
        { input: { name } },
      );
      for (const person of members) {
        await ok(graph, manager, ADD_MEMBER, {
          input: { projectId: createProject.id, userId: person.id },
        });
      }
      return createProject.id;
    };
    const shared = await named('Shared', [first, second]);
    await named('Only first', [first]);
    await named('Only second', [second]);
    // User.projects lists what the caller may see: the same selection differs between the two.
    const query = `subscription ($projectId: ID!) { statusUpdated(projectId: $projectId) {
      author { projects(first: 10) { edges { node { name } } } } } }`;
    type Data = {
      statusUpdated: { author: { projects: { edges: { node: { name: string } }[] } } };
    };
    const feeds = [first, second].map((person) =>
      watch<Data>(person, query, { projectId: shared }),
    );
    await subscriptionsServed(graph.gatewayUrl, 2);
    await post(shared, 'Who sees what');
    await Promise.all(feeds.map((feed) => feed.received(1)));
    const names = feeds.map((feed) =>
      feed.results[0]?.data?.statusUpdated.author.projects.edges.map((e) => e.node.name).sort(),
    );
    expect(names).toEqual([
      ['Only first', 'Shared'],
      ['Only second', 'Shared'],
    ]);
  });

  it('ends the connection with 4403 when the session logs out', async () => {
    const projectId = await newProject([member]);
    const session = await signUp(graph, admin, 'MEMBER', 'session');
    await ok(graph, manager, ADD_MEMBER, { input: { projectId, userId: session.id } });
    const feed = watch(session, STATUS_UPDATED, { projectId });
    await subscriptionsServed(graph.gatewayUrl, 1);
    await ok(graph, session, 'mutation { logout }');
    const { code, reason } = await feed.closed;
    expect({ code, reason }).toEqual({ code: 4403, reason: 'Session has ended' });
  });
});

describe('token expiry', () => {
  it('ends the connection with 4401 when the access token expires', async () => {
    const projectId = await newProject([member]);
    // The member's identity in a token that lives two seconds (the default issuer and audience).
    const { token } = signAccessToken(
      { userId: member.id, role: 'MEMBER', sessionId: randomId() },
      graph.signingKey,
      { issuer: 'psa-graph', audience: 'psa-graph-api', ttlSeconds: 2 },
    );
    const feed = subscribe(graph.gatewayUrl, token, STATUS_UPDATED, { projectId });
    open.push(feed as Subscription<unknown>);
    await subscriptionsServed(graph.gatewayUrl, 1);
    expect(await feed.closed).toEqual({ code: 4401, reason: 'Access token expired' });
  });
});

describe('several gateways', () => {
  it('delivers through every gateway subscribed to the same Redis', async () => {
    const second = await graph.startGateway(GATEWAY_ENV);
    const projectId = await newProject([member]);
    const first = watch<StatusUpdatedData>(member, STATUS_UPDATED, { projectId });
    const other = watch<StatusUpdatedData>(member, STATUS_UPDATED, { projectId }, second.url);
    await subscriptionsServed(graph.gatewayUrl, 1);
    await subscriptionsServed(second.url, 1);
    await post(projectId, 'to everyone');
    await Promise.all([first.received(1), other.received(1)]);
    expect(other.results[0]?.data?.statusUpdated.message).toBe('to everyone');
  });

  it('delivers one update to 500 subscribers', async () => {
    const projectId = await newProject([member]);
    const feeds = Array.from({ length: 500 }, (_, i) =>
      watch<StatusUpdatedData>(i % 2 ? member : manager, STATUS_UPDATED, { projectId }),
    );
    await subscriptionsServed(graph.gatewayUrl, 500, 30_000);
    await post(projectId, 'hello, everyone');
    await Promise.all(feeds.map((feed) => feed.received(1, 20_000)));
    expect(new Set(feeds.map((f) => f.results[0]?.data?.statusUpdated.message))).toEqual(
      new Set(['hello, everyone']),
    );
  }, 60_000);
});

describe('limits', () => {
  /** A raw graphql-ws connection: the messages it received, and its close. */
  function rawSocket(url: string) {
    const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws');
    const messages: { type: string; id?: string; payload?: unknown }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    const opened = new Promise((resolve) => socket.once('open', resolve));
    const send = async (message: unknown) => {
      await opened;
      socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    };
    return { socket, messages, closed, send };
  }

  async function waitFor(check: () => boolean) {
    await eventually(async () => check(), 5_000);
  }

  it('caps subscriptions per connection, refuses queries over WebSocket, and times out silent clients', async () => {
    const limited = await graph.startGateway({
      ...GATEWAY_ENV,
      WS_MAX_SUBSCRIPTIONS: '2',
      WS_INIT_TIMEOUT_MS: '300',
      WS_MAX_MESSAGE_BYTES: '4096',
    });
    const projectId = await newProject([member]);
    const raw = rawSocket(limited.url);
    await raw.send({
      type: 'connection_init',
      payload: { authorization: `Bearer ${member.token}` },
    });
    await waitFor(() => raw.messages.some((m) => m.type === 'connection_ack'));
    await raw.send({ id: '0', type: 'subscribe', payload: { query: '{ me { id } }' } });
    for (const id of ['1', '2', '3']) {
      await raw.send({
        id,
        type: 'subscribe',
        payload: { query: STATUS_UPDATED, variables: { projectId } },
      });
    }
    await waitFor(() => raw.messages.filter((m) => m.type === 'error').length === 2);
    const errors = raw.messages.filter((m) => m.type === 'error');
    expect(errors.map((m) => m.id)).toEqual(['0', '3']);
    expect(JSON.stringify(errors[0]?.payload)).toContain('over HTTP');
    expect(JSON.stringify(errors[1]?.payload)).toContain('At most 2 subscriptions per connection');

    // A document over MAX_QUERY_TOKENS is refused while parsing, as over HTTP.
    const padded = `subscription ($projectId: ID!) { statusUpdated(projectId: $projectId) { ${'id '.repeat(300)}} }`;
    const tokens = await graph.startGateway({ ...GATEWAY_ENV, MAX_QUERY_TOKENS: '200' });
    const counted = rawSocket(tokens.url);
    await counted.send({
      type: 'connection_init',
      payload: { authorization: `Bearer ${member.token}` },
    });
    await waitFor(() => counted.messages.some((m) => m.type === 'connection_ack'));
    await counted.send({
      id: 'long',
      type: 'subscribe',
      payload: { query: padded, variables: { projectId } },
    });
    await waitFor(() => counted.messages.some((m) => m.type === 'error'));
    const parseError = JSON.stringify(counted.messages.find((m) => m.type === 'error')?.payload);
    expect(parseError).toContain('200 tokens');
    expect(parseError).toContain('GRAPHQL_PARSE_FAILED');
    counted.socket.close();

    const tooBig = rawSocket(limited.url);
    await tooBig.send('x'.repeat(5_000));
    expect((await tooBig.closed).code).toBe(1009);

    const silent = rawSocket(limited.url);
    expect((await silent.closed).code).toBe(4408);
    raw.socket.close();
  });
});

describe('a Redis restart', () => {
  let redis: RedisServer;
  let own: Graph;

  beforeAll(async () => {
    redis = await startRedisServer();
    own = await startGraph({ redisUrl: redis.url, gatewayEnv: GATEWAY_ENV });
  });

  afterAll(async () => {
    await own?.stop();
    await redis?.stop();
  });

  it('keeps sockets open and resumes delivery once Redis is back', async () => {
    const ownAdmin = await loginAdmin(own);
    const { createProject } = await ok<{ createProject: { id: string } }>(
      own,
      ownAdmin,
      'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
      { input: { name: 'Restart' } },
    );
    const projectId = createProject.id;
    const feed = subscribe<StatusUpdatedData>(own.gatewayUrl, ownAdmin.token, STATUS_UPDATED, {
      projectId,
    });
    open.push(feed as Subscription<unknown>);
    await subscriptionsServed(own.gatewayUrl, 1);
    await ok(own, ownAdmin, POST, { input: { projectId, message: 'before' } });
    await feed.received(1);

    await redis.stop();
    redis = await startRedisServer(redis.port);
    // Without Redis the gateway is degraded (still 200); `ready` again once it has reconnected.
    const readyz = own.gatewayUrl.replace(/\/graphql$/, '/readyz');
    await eventually(
      async () => ((await (await fetch(readyz)).json()) as { status: string }).status === 'ready',
      20_000,
    );
    // Pub/sub is at most once: post until one arrives (the subscriber's SUBSCRIBE is restored
    // right after the reconnect), on the same socket — the client never reconnects.
    await eventually(async () => {
      const { body } = await own.query(
        POST,
        { input: { projectId, message: 'after' } },
        ownAdmin.headers,
      );
      if (body.errors) return false;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return feed.results.length >= 2;
    }, 20_000);
    expect(feed.results.at(-1)?.data?.statusUpdated.message).toBe('after');
  }, 60_000);
});
