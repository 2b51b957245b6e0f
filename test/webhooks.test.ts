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
import { WEBHOOK_EVENTS } from '@psa/shared';
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

/** Every event a webhook may subscribe to (the contract's list). */
const ALL_EVENTS = [
  'project.created',
  'project.updated',
  'project.deleted',
  'project.member_added',
  'project.member_removed',
  'status_update.posted',
  'task.created',
  'task.updated',
  'task.status_changed',
  'task.deleted',
  'document.created',
  'document.shared',
  'document.deleted',
  'timesheet.submitted',
  'timesheet.approved',
  'timesheet.rejected',
  'budget.threshold',
];

interface Sent {
  event: string;
  data: Record<string, unknown>;
}

/** The Monday `weeksAgo` weeks before this week's, `YYYY-MM-DD` (UTC). */
function monday(weeksAgo: number): string {
  const day = new Date();
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7) - 7 * weeksAgo);
  return day.toISOString().slice(0, 10);
}

describe('every event, end to end', () => {
  it('sends each of the 17 events once per change, signed, and only to the webhooks subscribed to it', async () => {
    // The API's list is the contract's: an event added there needs its case here.
    expect(WEBHOOK_EVENTS).toEqual(ALL_EVENTS);
    const member = await signUp(graph, admin, 'MEMBER', 'hooked');
    const all = await createWebhook('/all', ALL_EVENTS);
    // Every other event: the rest must never reach it.
    const half = await createWebhook(
      '/half',
      ALL_EVENTS.filter((_, index) => index % 2 === 0),
    );
    const sent = (path: string): Sent[] =>
      at(path).map((request) => JSON.parse(request.body) as Sent);
    const expected: string[] = [];
    /** Runs `change` and waits until `/all` received what it must send (and, so far, nothing else). */
    const step = async <T>(events: string[], change: () => Promise<T>): Promise<T> => {
      const result = await change();
      expected.push(...events);
      await eventually(() => at('/all').length >= expected.length, 20_000);
      return result;
    };
    const as = <T = Record<string, unknown>>(
      person: Person,
      query: string,
      variables: Record<string, unknown>,
    ) => ok<T>(graph, person, query, variables);

    const { createProject } = await step(['project.created'], () =>
      as<{ createProject: { id: string } }>(
        manager,
        'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
        { input: { name: 'Hooked', status: 'PLANNED' } },
      ),
    );
    const projectId = createProject.id;
    await step(['project.updated'], () =>
      as(
        manager,
        'mutation ($input: UpdateProjectInput!) { updateProject(input: $input) { id } }',
        {
          input: { id: projectId, name: 'Hooked, renamed' },
        },
      ),
    );
    const membership = { input: { projectId, userId: member.id } };
    await step(['project.member_added'], () =>
      as(
        manager,
        'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
        membership,
      ),
    );
    await step(['status_update.posted'], () =>
      as(
        manager,
        'mutation ($input: PostStatusUpdateInput!) { postStatusUpdate(input: $input) { id } }',
        { input: { projectId, message: 'Kick-off done' } },
      ),
    );
    const { createTask } = await step(['task.created'], () =>
      as<{ createTask: { id: string } }>(
        manager,
        'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }',
        { input: { projectId, title: 'Wireframes' } },
      ),
    );
    const taskId = createTask.id;
    await step(['task.updated'], () =>
      as(manager, 'mutation ($input: UpdateTaskInput!) { updateTask(input: $input) { id } }', {
        input: { id: taskId, title: 'Wireframes v2' },
      }),
    );
    await step(['task.status_changed'], () =>
      as(
        manager,
        'mutation ($input: SetTaskStatusInput!) { setTaskStatus(input: $input) { id } }',
        { input: { taskId, status: 'IN_PROGRESS' } },
      ),
    );
    await step(['task.deleted'], () =>
      as(manager, 'mutation ($id: ID!) { deleteTask(id: $id) }', { id: taskId }),
    );

    // A first upload is pending until it completes: no document.created before, none if it goes.
    const upload = await step([], () =>
      as<{
        createDocumentUpload: {
          document: { id: string };
          uploadUrl: string;
          uploadHeaders: { name: string; value: string }[];
        };
      }>(
        manager,
        `mutation ($input: CreateDocumentUploadInput!) { createDocumentUpload(input: $input) {
          document { id } uploadUrl uploadHeaders { name value } } }`,
        {
          input: {
            projectId,
            title: 'Brief',
            fileName: 'brief.txt',
            contentType: 'text/plain',
            size: 5,
          },
        },
      ),
    );
    const uploadedId = upload.createDocumentUpload.document.id;
    const abandoned = await as<{ createDocumentUpload: { document: { id: string } } }>(
      manager,
      `mutation ($input: CreateDocumentUploadInput!) { createDocumentUpload(input: $input) {
        document { id } } }`,
      { input: { projectId, fileName: 'draft.txt', contentType: 'text/plain', size: 5 } },
    );
    await step([], () =>
      as(manager, 'mutation ($id: ID!) { deleteDocument(id: $id) }', {
        id: abandoned.createDocumentUpload.document.id,
      }),
    );
    const { createDocument } = await step(['document.created'], () =>
      as<{ createDocument: { id: string } }>(
        manager,
        'mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { id } }',
        {
          input: { projectId, title: 'Contract', fileUrl: 'https://files.example.com/c.pdf?sig=x' },
        },
      ),
    );
    const documentId = createDocument.id;
    expect(
      (
        await fetch(upload.createDocumentUpload.uploadUrl, {
          method: 'PUT',
          headers: Object.fromEntries(
            upload.createDocumentUpload.uploadHeaders.map((header) => [header.name, header.value]),
          ),
          body: 'hello',
        })
      ).ok,
    ).toBe(true);
    await step(['document.created'], () =>
      as(
        manager,
        'mutation ($id: ID!) { completeDocumentUpload(input: { documentId: $id }) { id } }',
        { id: uploadedId },
      ),
    );
    await step(['document.shared'], () =>
      as(
        manager,
        'mutation ($input: ShareDocumentInput!) { shareDocument(input: $input) { id } }',
        { input: { documentId, userId: member.id } },
      ),
    );
    await step(['document.deleted'], () =>
      as(manager, 'mutation ($id: ID!) { deleteDocument(id: $id) }', { id: documentId }),
    );

    // Time: a budget crossed (which also posts its automatic status update), a week rejected,
    // another approved.
    await as(
      manager,
      'mutation ($input: SetProjectBudgetInput!) { setProjectBudget(input: $input) { minutes } }',
      { input: { projectId, minutes: 100 } },
    );
    const logTime = (date: string, minutes: number) =>
      as(member, 'mutation ($input: LogTimeInput!) { logTime(input: $input) { id } }', {
        input: { projectId, date, minutes },
      });
    await step(['budget.threshold', 'status_update.posted'], () => logTime(monday(1), 85));
    await logTime(monday(2), 5);
    const submit = (weekStart: string) =>
      as<{ submitTimesheet: { id: string } }>(
        member,
        'mutation ($input: SubmitTimesheetInput!) { submitTimesheet(input: $input) { id } }',
        { input: { projectId, weekStart } },
      );
    const rejected = await step(['timesheet.submitted'], () => submit(monday(1)));
    await step(['timesheet.rejected'], () =>
      as(
        manager,
        'mutation ($input: RejectTimesheetInput!) { rejectTimesheet(input: $input) { id } }',
        { input: { timesheetId: rejected.submitTimesheet.id, reason: 'Split by task, please' } },
      ),
    );
    const approved = await step(['timesheet.submitted'], () => submit(monday(2)));
    await step(['timesheet.approved'], () =>
      as(
        manager,
        'mutation ($input: ApproveTimesheetInput!) { approveTimesheet(input: $input) { id } }',
        { input: { timesheetId: approved.submitTimesheet.id } },
      ),
    );

    await step(['project.member_removed'], () =>
      as(
        manager,
        'mutation ($input: RemoveProjectMemberInput!) { removeProjectMember(input: $input) { id } }',
        membership,
      ),
    );
    // A project with approved time is kept: this one, made for it, goes.
    const doomed = await step(['project.created'], () =>
      as<{ createProject: { id: string } }>(
        manager,
        'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
        { input: { name: 'Hooked, short-lived' } },
      ),
    );
    await step(['project.deleted'], () =>
      as(manager, 'mutation ($id: ID!) { deleteProject(id: $id) }', {
        id: doomed.createProject.id,
      }),
    );

    // Late or doubled deliveries would arrive now.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const received = sent('/all');
    expect(received.map((body) => body.event).sort()).toEqual([...expected].sort());
    expect(new Set(received.map((body) => body.event))).toEqual(new Set(ALL_EVENTS));
    for (const request of at('/all')) {
      const body = JSON.parse(request.body) as Sent & { id: string };
      expect(request.headers['x-psa-event']).toBe(body.event);
      expect(request.headers['x-psa-delivery']).toBe(body.id);
      const [, t, v1] =
        /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-psa-signature'])) ?? [];
      expect(v1).toBe(
        createHmac('sha256', all.secret).update(`${t}.${request.body}`).digest('hex'),
      );
    }
    const subscribed = new Set(half.webhook.events);
    expect(
      sent('/half')
        .map((body) => body.event)
        .sort(),
    ).toEqual(expected.filter((event) => subscribed.has(event)).sort());
    for (const request of at('/half')) {
      const [, t, v1] =
        /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-psa-signature'])) ?? [];
      expect(v1).toBe(
        createHmac('sha256', half.secret).update(`${t}.${request.body}`).digest('hex'),
      );
    }

    // What each carries: ids and names, never a secret nor a document's link.
    const dataOf = (event: string) =>
      received.filter((body) => body.event === event).map((b) => b.data);
    const actor = { actorId: manager.id };
    expect(dataOf('project.created')).toEqual([
      { projectId, name: 'Hooked', status: 'PLANNED', managerId: manager.id, ...actor },
      {
        projectId: doomed.createProject.id,
        name: 'Hooked, short-lived',
        status: 'PLANNED',
        managerId: manager.id,
        ...actor,
      },
    ]);
    expect(dataOf('project.updated')).toEqual([
      {
        projectId,
        name: 'Hooked, renamed',
        status: 'PLANNED',
        managerId: manager.id,
        changed: ['name'],
        ...actor,
      },
    ]);
    const membershipData = {
      projectId,
      projectName: 'Hooked, renamed',
      userId: member.id,
      ...actor,
    };
    expect(dataOf('project.member_added')).toEqual([membershipData]);
    expect(dataOf('project.member_removed')).toEqual([membershipData]);
    expect(dataOf('project.deleted')).toEqual([{ projectId: doomed.createProject.id }]);
    const documentData = { projectId, ownerId: manager.id, ...actor };
    expect(dataOf('document.created')).toEqual([
      { documentId, title: 'Contract', uploaded: false, ...documentData },
      { documentId: uploadedId, title: 'Brief', uploaded: true, ...documentData },
    ]);
    expect(dataOf('document.deleted')).toEqual([
      { documentId, title: 'Contract', uploaded: false, ...documentData },
    ]);
    expect(dataOf('document.shared')).toEqual([
      { documentId, projectId, title: 'Contract', userId: member.id, ...actor },
    ]);
    expect(dataOf('status_update.posted')).toEqual([
      expect.objectContaining({ projectId, message: 'Kick-off done', automatic: false }),
      expect.objectContaining({ projectId, message: '80% of the budget is used', automatic: true }),
    ]);
    expect(dataOf('timesheet.rejected')).toEqual([
      expect.objectContaining({
        timesheetId: rejected.submitTimesheet.id,
        userId: member.id,
        reason: 'Split by task, please',
      }),
    ]);
    expect(dataOf('budget.threshold')).toEqual([
      expect.objectContaining({ projectId, threshold: 80, percentUsed: 85 }),
    ]);
    expect(JSON.stringify(received)).not.toMatch(/secret|password|files\.example\.com/i);
  }, 120_000);
});
