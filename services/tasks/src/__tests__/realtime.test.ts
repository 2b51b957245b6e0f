/**
 * Realtime: every change to a task is stored as a task event and its id published on the
 * project's `tasks` channel; `taskEvent(id)` reads it back as the gateway does for each
 * subscriber, a deleted task included.
 */
import { STREAMS, userDeleted, type TaskChangedMessage } from '@psa/shared';
import { Cleanup, graphqlRequest, randomId, type GraphQLBody } from '@psa/shared/testing';
import mongoose from 'mongoose';
import {
  ASSIGN,
  DELETE,
  errorOf,
  SET_STATUS,
  startTasks,
  TASK_FIELDS,
  UPDATE,
  type ProjectFixture,
  type TasksHarness,
  type TaskView,
} from './tasks-harness';

const cleanup = new Cleanup();
let harness: TasksHarness;

beforeAll(async () => {
  harness = await startTasks(cleanup);
});

afterAll(() => cleanup.run());

interface TaskEventView {
  kind: string;
  task: TaskView;
}
type EventBody = GraphQLBody<{ taskEvent: TaskEventView | null }>;
interface Received {
  message: TaskChangedMessage;
  body: EventBody;
}

const READ_EVENT = `query ($id: ID!) { taskEvent(id: $id) { kind task { ${TASK_FIELDS} } } }`;

const readEvent = (id: string, headers: Record<string, string>) =>
  harness.gql<{ taskEvent: TaskEventView | null }>(READ_EVENT, { id }, headers);

/** Listens on the project's tasks channel, reading each event back (as an admin) on arrival. */
const listen = (project: ProjectFixture) =>
  harness.listen<TaskChangedMessage, Received>(project.id, async (message) => ({
    message,
    body: await readEvent(message.eventId, harness.auth('ADMIN')),
  }));

const eventOf = (received: Received | undefined): TaskEventView | null | undefined =>
  received?.body.data?.taskEvent;

describe('taskChanged publishing', () => {
  it('publishes one event per change, with its kind and the task as the change left it', async () => {
    const project = await harness.newProject();
    const manager = harness.as(project, 'manager');
    const listener = await listen(project);
    const created = await harness.createTask(project, { title: 'Wireframes' });
    const updated = await harness.ok<{ updateTask: TaskView }>(
      UPDATE,
      { input: { id: created.id, title: 'Wireframes v2' } },
      manager,
    );
    const assigned = await harness.ok<{ assignTask: TaskView }>(
      ASSIGN,
      { input: { taskId: created.id, assigneeId: project.memberIds[0] } },
      manager,
    );
    const started = await harness.ok<{ setTaskStatus: TaskView }>(
      SET_STATUS,
      { input: { taskId: created.id, status: 'IN_PROGRESS' } },
      harness.as(project, 0),
    );
    expect(await harness.ok(DELETE, { id: created.id }, manager)).toEqual({ deleteTask: true });
    const events = (await listener.reads(5)).map(eventOf);
    expect(events).toEqual([
      { kind: 'CREATED', task: created },
      { kind: 'UPDATED', task: updated.updateTask },
      { kind: 'UPDATED', task: assigned.assignTask },
      { kind: 'UPDATED', task: started.setTaskStatus },
      // The last state of a deleted task still resolves, its references included.
      { kind: 'DELETED', task: started.setTaskStatus },
    ]);
    expect(listener.count()).toBe(5);
  });

  it('publishes nothing for a change that changes nothing or is refused', async () => {
    const project = await harness.newProject();
    const manager = harness.as(project, 'manager');
    const task = await harness.createTask(project, { assigneeId: project.memberIds[0] });
    const listener = await listen(project);
    await harness.ok(UPDATE, { input: { id: task.id } }, manager);
    await harness.ok(
      ASSIGN,
      { input: { taskId: task.id, assigneeId: project.memberIds[0] } },
      manager,
    );
    await harness.ok(SET_STATUS, { input: { taskId: task.id, status: 'TODO' } }, manager);
    const refused = [
      await harness.gql(
        UPDATE,
        { input: { id: task.id, title: 'Not mine' } },
        harness.as(project, 1),
      ),
      await harness.gql(SET_STATUS, { input: { taskId: task.id, status: 'DONE' } }, manager),
      await harness.gql(DELETE, { id: task.id }, harness.auth('MANAGER')),
    ];
    for (const body of refused) expect(body.errors).toBeDefined();
    // Messages of one channel arrive in publish order: anything published above comes first.
    await harness.ok(UPDATE, { input: { id: task.id, priority: 'HIGH' } }, manager);
    const [only] = await listener.reads(1);
    expect(eventOf(only)).toMatchObject({
      kind: 'UPDATED',
      task: { id: task.id, priority: 'HIGH' },
    });
    expect(listener.count()).toBe(1);
  });

  it('publishes an UPDATED event for each task unassigned when its assignee leaves', async () => {
    const project = await harness.newProject();
    const leaving = project.memberIds[0] ?? '';
    const tasks = [
      await harness.createTask(project, { assigneeId: leaving }),
      await harness.createTask(project, { assigneeId: leaving }),
    ];
    const kept = await harness.createTask(project, { assigneeId: project.memberIds[1] });
    const listener = await listen(project);
    const next = await harness.publishProject(project, { memberIds: [project.memberIds[1] ?? ''] });
    // The same snapshot again (a redelivery) finds nothing left to change.
    await harness.publishProject(project, { memberIds: next.memberIds, version: next.version });
    await harness.ok(
      UPDATE,
      { input: { id: kept.id, title: 'Marker' } },
      harness.as(next, 'manager'),
    );
    const events = (await listener.reads(3)).map(eventOf);
    expect(events.slice(0, 2).map((event) => event?.kind)).toEqual(['UPDATED', 'UPDATED']);
    expect(
      events
        .slice(0, 2)
        .map((event) => event?.task.id)
        .sort(),
    ).toEqual(tasks.map((task) => task.id).sort());
    for (const event of events.slice(0, 2)) expect(event?.task.assignee).toBeNull();
    expect(events[2]?.task).toMatchObject({ id: kept.id, title: 'Marker' });
    expect(listener.count()).toBe(3);
  });

  it('publishes an UPDATED event for each task of a deleted user', async () => {
    const user = randomId();
    const project = await harness.newProject({ memberIds: [user] });
    const task = await harness.createTask(project, { assigneeId: user });
    const listener = await listen(project);
    const event = await harness.events.publish(STREAMS.users, userDeleted.type, { userId: user });
    expect(await harness.events.handledBy(event, ['tasks'], 5_000)).toBe(true);
    const [received] = await listener.reads(1);
    expect(eventOf(received)).toMatchObject({
      kind: 'UPDATED',
      task: { id: task.id, assignee: null },
    });
  });

  it('records no events for the tasks of a deleted project (they go with it)', async () => {
    const project = await harness.newProject();
    await harness.createTask(project);
    await harness.publishProject(project, { deleted: true });
    const projectId = new mongoose.Types.ObjectId(project.id);
    // Only the creation: the cascade deletes without recording.
    expect(await harness.db.collection('task_events').countDocuments({ projectId })).toBe(1);
  });

  it('keeps events for an hour (TTL index on createdAt)', async () => {
    const indexes = await harness.db.collection('task_events').indexes();
    expect(indexes).toContainEqual(
      expect.objectContaining({ key: { createdAt: 1 }, expireAfterSeconds: 3_600 }),
    );
  });
});

describe('taskEvent(id)', () => {
  it('is visible while the caller may read the project; NOT_FOUND otherwise', async () => {
    const project = await harness.newProject();
    const listener = await listen(project);
    await harness.createTask(project);
    const [received] = await listener.reads(1);
    const id = received?.message.eventId ?? '';
    for (const headers of [
      harness.as(project, 'manager'),
      harness.as(project, 0),
      harness.as(project, 1, 'CLIENT'),
      harness.auth('ADMIN'),
    ]) {
      expect(eventOf({ message: { eventId: id }, body: await readEvent(id, headers) })).toEqual(
        eventOf(received),
      );
    }
    for (const [eventId, headers] of [
      [id, harness.auth('MANAGER')],
      [id, harness.auth('MEMBER')],
      [randomId(), harness.auth('ADMIN')],
      ['not-an-id', harness.auth('ADMIN')],
    ] as const) {
      const body = await readEvent(eventId, headers);
      expect(body.data?.taskEvent ?? null).toBeNull();
      expect(errorOf(body).code).toBe('NOT_FOUND');
    }
    // A member who left no longer reads the project's events.
    const next = await harness.publishProject(project, { memberIds: [project.memberIds[1] ?? ''] });
    expect(errorOf(await readEvent(id, harness.as(project, 0))).code).toBe('NOT_FOUND');
    await harness.publishProject(next, { deleted: true });
    expect(errorOf(await readEvent(id, harness.auth('ADMIN'))).code).toBe('NOT_FOUND');
  });

  it('needs a token', async () => {
    expect(errorOf(await readEvent(randomId(), {})).code).toBe('UNAUTHENTICATED');
  });
});

describe('Subscription.taskChanged', () => {
  it('is served by the gateway: sent to the subgraph over HTTP, it fails clearly', async () => {
    const { body } = await graphqlRequest(
      harness.service.url,
      'subscription ($id: ID!) { taskChanged(projectId: $id) { kind } }',
      { id: randomId() },
      harness.auth('ADMIN'),
    );
    expect(body.errors?.[0]?.message).toBe(
      'Subscriptions are served by the gateway over WebSocket',
    );
  });

  it('reports the realtime connection in /readyz', async () => {
    const response = await fetch(new URL('/readyz', harness.service.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ checks: { realtime: true } });
  });
});
