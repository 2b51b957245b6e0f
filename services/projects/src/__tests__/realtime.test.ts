/**
 * Realtime: the projects service publishes each status update's id on the project's `status`
 * channel after it is stored, and `statusUpdate(id)` reads it back as the gateway does for each
 * subscriber.
 */
import { allTasksDone, STREAMS, type StatusUpdatedMessage } from '@psa/shared';
import { Cleanup, graphqlRequest, randomId, type GraphQLBody } from '@psa/shared/testing';
import {
  DELETE,
  errorOf,
  POST_UPDATE,
  STATUS_UPDATE_FIELDS,
  startProjects,
  type ProjectsHarness,
  type ProjectView,
  type StatusUpdateView,
} from './projects-harness';

const cleanup = new Cleanup();
let harness: ProjectsHarness;
let managerId: string;
let manager: Record<string, string>;

beforeAll(async () => {
  harness = await startProjects(cleanup);
  managerId = randomId();
  manager = harness.auth('MANAGER', managerId);
});

afterAll(() => cleanup.run());

const READ_UPDATE = `query ($id: ID!) { statusUpdate(id: $id) { ${STATUS_UPDATE_FIELDS} } }`;
type UpdateBody = GraphQLBody<{ statusUpdate: StatusUpdateView | null }>;

const readUpdate = (id: string, headers: Record<string, string>) =>
  harness.gql<{ statusUpdate: StatusUpdateView | null }>(READ_UPDATE, { id }, headers);

const post = (projectId: string, input: Record<string, unknown>, headers = manager) =>
  harness.gql<{ postStatusUpdate: StatusUpdateView }>(
    POST_UPDATE,
    { input: { projectId, ...input } },
    headers,
  );

/** Listens on the project's status channel, reading each update back (as an admin) on arrival. */
const listen = (project: ProjectView) =>
  harness.listen<StatusUpdatedMessage, { message: StatusUpdatedMessage; body: UpdateBody }>(
    project.id,
    'status',
    async (message) => ({
      message,
      body: await readUpdate(message.statusUpdateId, harness.auth('ADMIN')),
    }),
  );

describe('statusUpdated publishing', () => {
  it('publishes each posted update once, after it and the status change are stored', async () => {
    const project = await harness.createProject({ name: 'Realtime' }, manager);
    const listener = await listen(project);
    const first = (await post(project.id, { message: 'Kick-off done', status: 'ACTIVE' })).data;
    const second = (await post(project.id, { message: 'Design signed off' })).data;
    const [a, b] = await listener.reads(2);
    expect(a?.message).toEqual({ statusUpdateId: first?.postStatusUpdate.id });
    // Read the moment the message arrived: the project already has the status the update set.
    expect(a?.body).toEqual({
      data: {
        statusUpdate: expect.objectContaining({
          id: first?.postStatusUpdate.id,
          message: 'Kick-off done',
          status: 'ACTIVE',
          project: { id: project.id, status: 'ACTIVE' },
        }),
      },
    });
    expect(b?.message).toEqual({ statusUpdateId: second?.postStatusUpdate.id });
    expect(b?.body.data?.statusUpdate).toEqual(second?.postStatusUpdate);
    expect(listener.count()).toBe(2);
  });

  it('publishes nothing for a post that is refused', async () => {
    const project = await harness.createProject({ name: 'Refusals' }, manager);
    const member = randomId();
    await harness.addMember(project.id, member, manager);
    const other = await harness.createProject({ name: 'Elsewhere' }, manager);
    const listener = await listen(project);
    const otherListener = await listen(other);
    const refused = [
      await post(project.id, { message: 'By a member' }, harness.auth('MEMBER', member)),
      await post(project.id, { message: 'By an outsider' }, harness.auth('MANAGER')),
      await post(project.id, { message: '   ' }),
      await post(project.id, { message: 'Bad status', status: 'NOPE' }),
    ];
    for (const body of refused) expect(body.errors).toBeDefined();
    // Messages of one channel arrive in publish order: anything the refusals published comes first.
    const accepted = (await post(project.id, { message: 'Accepted' })).data?.postStatusUpdate;
    const [only] = await listener.reads(1);
    expect(only?.message).toEqual({ statusUpdateId: accepted?.id });
    await post(other.id, { message: 'Other project' });
    await otherListener.reads(1);
    expect(listener.count()).toBe(1);
  });

  it('publishes the automatic "All N tasks are done" update once per completion', async () => {
    const project = await harness.createProject({ name: 'Automation' }, manager);
    const listener = await listen(project);
    const completion = { projectId: project.id, total: 3, completion: 1, actorId: managerId };
    // Delivered twice (at least once): the second is a duplicate and publishes nothing.
    for (let i = 0; i < 2; i += 1) {
      const event = await harness.events.publish(STREAMS.tasks, allTasksDone.type, completion);
      expect(await harness.events.handledBy(event, ['projects'], 5_000)).toBe(true);
    }
    const manual = (await post(project.id, { message: 'After the automation' })).data;
    const [automatic, next] = await listener.reads(2);
    expect(automatic?.body.data?.statusUpdate).toMatchObject({
      message: 'All 3 tasks are done',
      automatic: true,
      status: null,
      author: { id: managerId },
      project: { id: project.id },
    });
    expect(next?.message).toEqual({ statusUpdateId: manual?.postStatusUpdate.id });
    expect(listener.count()).toBe(2);
  });
});

describe('statusUpdate(id)', () => {
  it('is visible exactly when its project is; NOT_FOUND otherwise', async () => {
    const project = await harness.createProject({ name: 'Visibility' }, manager);
    const member = randomId();
    const client = randomId();
    await harness.addMember(project.id, member, manager);
    await harness.addMember(project.id, client, manager);
    const posted = (await post(project.id, { message: 'For the team' })).data?.postStatusUpdate;
    const id = posted?.id ?? '';
    for (const headers of [
      manager,
      harness.auth('MEMBER', member),
      harness.auth('CLIENT', client),
      harness.auth('ADMIN'),
    ]) {
      expect(await readUpdate(id, headers)).toEqual({ data: { statusUpdate: posted } });
    }
    for (const [updateId, headers] of [
      [id, harness.auth('MANAGER')],
      [id, harness.auth('MEMBER')],
      [randomId(), harness.auth('ADMIN')],
      ['not-an-id', harness.auth('ADMIN')],
    ] as const) {
      const body = await readUpdate(updateId, headers);
      expect(body.data?.statusUpdate ?? null).toBeNull();
      expect(errorOf(body).code).toBe('NOT_FOUND');
    }
    expect(await harness.gql(DELETE, { id: project.id }, manager)).toEqual({
      data: { deleteProject: true },
    });
    expect(errorOf(await readUpdate(id, harness.auth('ADMIN'))).code).toBe('NOT_FOUND');
  });

  it('needs a token', async () => {
    const body = await readUpdate(randomId(), {});
    expect(errorOf(body).code).toBe('UNAUTHENTICATED');
  });
});

describe('Subscription.statusUpdated', () => {
  it('is served by the gateway: sent to the subgraph over HTTP, it fails clearly', async () => {
    const { body } = await graphqlRequest(
      harness.started.service.url,
      'subscription ($id: ID!) { statusUpdated(projectId: $id) { id } }',
      { id: randomId() },
      manager,
    );
    expect(body.errors?.[0]?.message).toBe(
      'Subscriptions are served by the gateway over WebSocket',
    );
  });

  it('reports the realtime connection in /readyz', async () => {
    const response = await fetch(new URL('/readyz', harness.started.service.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ checks: { realtime: true } });
  });
});
