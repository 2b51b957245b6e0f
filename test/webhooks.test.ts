/**
 * Webhooks through the gateway with the whole graph and a real local HTTP receiver (loopback is
 * allowed under development, as in `npm start`): an admin subscribes, real mutations publish
 * domain events, and the notifications service POSTs them signed; a receiver that fails is
 * retried with the same delivery id until it answers 2xx or 8 attempts are spent. Retry delays
 * are shortened (WEBHOOK_RETRY_DELAY_MS) so that the test does not wait minutes.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGraph, type Graph } from './helpers/graph';
import { eventually, loginAdmin, ok, signUp, type Person } from './helpers/people';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let graph: Graph;
let receiver: Server;
let base: string;
let admin: Person;
let manager: Person;
const received: Received[] = [];
/** How many more requests each path answers 503 to before 200 (`/down` always fails). */
const failuresLeft = new Map<string, number>();

const CREATE_WEBHOOK = `mutation ($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url events active createdAt } }
}`;
const WEBHOOKS = `{ webhooks(first: 10) { totalCount edges { node { id url events
  deliveries(first: 10) { totalCount edges { node { id event status attempts responseStatus lastAttemptAt } } } } } } }`;

interface DeliveryView {
  id: string;
  event: string;
  status: string;
  attempts: number;
  responseStatus: number | null;
  lastAttemptAt: string | null;
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const path = request.url ?? '';
      received.push({ path, headers: request.headers, body });
      const left = failuresLeft.get(path) ?? 0;
      if (path === '/down' || left > 0) {
        failuresLeft.set(path, left - 1);
        response.writeHead(503).end('try later');
      } else {
        response.writeHead(200).end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  graph = await startGraph({ env: { WEBHOOK_RETRY_DELAY_MS: '50', WEBHOOK_POLL_MS: '100' } });
  admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER', 'hooks');
});

afterAll(async () => {
  await graph?.stop();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function createWebhook(path: string, events: string[]) {
  const { createWebhook } = await ok<{
    createWebhook: { secret: string; webhook: { id: string; url: string; events: string[] } };
  }>(graph, admin, CREATE_WEBHOOK, { input: { url: `${base}${path}`, events } });
  return createWebhook;
}

async function deliveriesOf(webhookId: string): Promise<DeliveryView[]> {
  const { webhooks } = await ok<{
    webhooks: {
      edges: { node: { id: string; deliveries: { edges: { node: DeliveryView }[] } } }[];
    };
  }>(graph, admin, WEBHOOKS);
  const webhook = webhooks.edges.find((edge) => edge.node.id === webhookId);
  return webhook?.node.deliveries.edges.map((edge) => edge.node) ?? [];
}

async function newProjectWithTask(title: string): Promise<{ projectId: string; taskId: string }> {
  const { createProject } = await ok<{ createProject: { id: string } }>(
    graph,
    manager,
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: `Hooks ${title}` } },
  );
  const { createTask } = await ok<{ createTask: { id: string } }>(
    graph,
    manager,
    'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }',
    { input: { projectId: createProject.id, title } },
  );
  return { projectId: createProject.id, taskId: createTask.id };
}

const at = (path: string) => received.filter((request) => request.path === path);

describe('creating webhooks', () => {
  it('is for admins only', async () => {
    const { body } = await graph.query(
      CREATE_WEBHOOK,
      { input: { url: `${base}/x`, events: ['task.created'] } },
      manager.headers,
    );
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const list = await graph.query(WEBHOOKS, {}, manager.headers);
    expect(list.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses unknown events and URLs that are not http(s) with BAD_USER_INPUT naming the field', async () => {
    for (const [input, field] of [
      [{ url: `${base}/x`, events: ['task.created', 'task.exploded'] }, 'input.events'],
      [{ url: `${base}/x`, events: [] }, 'input.events'],
      [{ url: 'ftp://files.example.com/in', events: ['task.created'] }, 'input.url'],
    ] as const) {
      const { body } = await graph.query(CREATE_WEBHOOK, { input }, admin.headers);
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });

  it('answers the secret once; the list shows the webhook without it', async () => {
    const created = await createWebhook('/listed', ['project.deleted']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.webhook).toMatchObject({ url: `${base}/listed`, events: ['project.deleted'] });
    const { body } = await graph.query(
      '{ webhooks { edges { node { id secret } } } }',
      {},
      admin.headers,
    );
    expect(body.errors?.[0]?.message).toMatch(/secret/);
  });
});

describe('deliveries', () => {
  it('POSTs {id, event, createdAt, data} signed with the secret', async () => {
    const { secret, webhook } = await createWebhook('/signed', ['task.created']);
    const { taskId, projectId } = await newProjectWithTask('Signed');
    await eventually(() => at('/signed').length >= 1, 20_000);
    const [request] = at('/signed');
    if (!request) throw new Error('no request');
    const body = JSON.parse(request.body) as Record<string, unknown>;
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      event: 'task.created',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: expect.objectContaining({ taskId, projectId, title: 'Signed', change: 'created' }),
    });
    expect(request.headers['x-psa-event']).toBe('task.created');
    expect(request.headers['x-psa-delivery']).toBe(body.id);
    const [, t, v1] =
      /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-psa-signature'])) ?? [];
    expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${request.body}`).digest('hex'));
    await eventually(async () => (await deliveriesOf(webhook.id))[0]?.status === 'DELIVERED');
    expect(await deliveriesOf(webhook.id)).toEqual([
      expect.objectContaining({
        id: body.id,
        event: 'task.created',
        attempts: 1,
        responseStatus: 200,
      }),
    ]);
  });

  it('retries a failing receiver with the same delivery id and body until it answers 2xx', async () => {
    failuresLeft.set('/flaky', 2);
    const { webhook } = await createWebhook('/flaky', ['task.created']);
    await newProjectWithTask('Flaky');
    await eventually(
      async () => (await deliveriesOf(webhook.id))[0]?.status === 'DELIVERED',
      30_000,
    );
    const requests = at('/flaky');
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((request) => request.headers['x-psa-delivery'])).size).toBe(1);
    expect(new Set(requests.map((request) => request.body)).size).toBe(1);
    expect(await deliveriesOf(webhook.id)).toEqual([
      expect.objectContaining({ status: 'DELIVERED', attempts: 3, responseStatus: 200 }),
    ]);
  });

  it('gives up after 8 attempts: FAILED with the last status', async () => {
    const { webhook } = await createWebhook('/down', ['task.created']);
    await newProjectWithTask('Down');
    await eventually(async () => (await deliveriesOf(webhook.id))[0]?.status === 'FAILED', 60_000);
    expect(await deliveriesOf(webhook.id)).toEqual([
      expect.objectContaining({ status: 'FAILED', attempts: 8, responseStatus: 503 }),
    ]);
    expect(at('/down')).toHaveLength(8);
  });

  it('sends only the events a webhook subscribes to; deleted, it gets nothing more', async () => {
    const { webhook } = await createWebhook('/deleted', ['project.deleted']);
    const { projectId } = await newProjectWithTask('Only deleted');
    await ok(graph, manager, 'mutation ($id: ID!) { deleteProject(id: $id) }', { id: projectId });
    await eventually(() => at('/deleted').length >= 1, 20_000);
    expect(at('/deleted').map((request) => request.headers['x-psa-event'])).toEqual([
      'project.deleted',
    ]);
    expect(JSON.parse(at('/deleted')[0]?.body ?? '{}')).toMatchObject({ data: { projectId } });

    expect(
      await ok(graph, admin, 'mutation ($id: ID!) { deleteWebhook(id: $id) }', { id: webhook.id }),
    ).toEqual({
      deleteWebhook: true,
    });
    const again = await graph.query(
      'mutation ($id: ID!) { deleteWebhook(id: $id) }',
      { id: webhook.id },
      admin.headers,
    );
    expect(again.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
