/**
 * Domain events: the project access read model and what it does to tasks (cascades, unassigning),
 * at-least-once delivery (while stopped, redelivered, out of order), and the all-tasks-done
 * announcement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  allTasksDone,
  createEventBus,
  projectAccessChanged,
  silentLogger,
  STREAMS,
  userDeleted,
  type AllTasksDone,
} from '@psa/shared';
import { Cleanup, randomId } from '@psa/shared/testing';
import mongoose from 'mongoose';
import {
  ASSIGNED_TASKS,
  CREATE,
  errorOf,
  eventually,
  PROJECT_TASKS,
  READ,
  ref,
  SET_STATUS,
  startTasks,
  type ProjectFixture,
  type TasksHarness,
  type TaskView,
} from './tasks-harness';

const cleanup = new Cleanup();
let harness: TasksHarness;
/** Every project.all-tasks-done the service published, in order. */
const announced: AllTasksDone[] = [];

beforeAll(async () => {
  harness = await startTasks(cleanup);
  const consumer = await harness.events.consume({
    stream: STREAMS.tasks,
    group: 'projects-test',
    consumer: 'x',
    handler: async (event) => {
      if (event.type === allTasksDone.type) announced.push(event.data as AllTasksDone);
    },
  });
  cleanup.add(() => consumer.stop());
});

afterAll(() => cleanup.run());

const read = (taskId: string, headers: Record<string, string>, on = harness) =>
  on.gql<{ task: TaskView }>(READ, { id: taskId }, headers);
const assigneeOf = async (taskId: string, on = harness) =>
  (await on.ok<{ task: TaskView }>(READ, { id: taskId }, on.auth('ADMIN'))).task.assignee;

describe('project.access-changed', () => {
  it('deletes every task of a deleted project', async () => {
    const project = await harness.newProject();
    const tasks = [await harness.createTask(project), await harness.createTask(project)];
    const kept = await harness.createTask(await harness.newProject());
    await harness.publishProject(project, { deleted: true });
    for (const task of tasks) {
      const body = await read(task.id, harness.auth('ADMIN'));
      expect(body.errors?.[0]?.message).toBe('Task not found');
    }
    expect(
      await harness.db
        .collection('tasks')
        .countDocuments({ projectId: new mongoose.Types.ObjectId(project.id) }),
    ).toBe(0);
    expect((await read(kept.id, harness.auth('ADMIN'))).errors).toBeUndefined();
    const list = await harness.gql(
      PROJECT_TASKS,
      { representations: ref('Project', project.id) },
      harness.auth('ADMIN'),
    );
    expect(errorOf(list).code).toBe('NOT_FOUND');
    const created = await harness.gql(
      CREATE,
      { input: { projectId: project.id, title: 'Too late' } },
      harness.auth('ADMIN'),
    );
    expect(created.errors?.[0]?.message).toBe('Project not found');
  });

  it("unassigns a removed member's tasks and hides the project from them", async () => {
    const project = await harness.newProject();
    const [leaving = '', staying = ''] = project.memberIds;
    const theirs = await harness.createTask(project, { assigneeId: leaving });
    const others = await harness.createTask(project, { assigneeId: staying });
    const managers = await harness.createTask(project, { assigneeId: project.managerId });
    await harness.publishProject(project, { memberIds: [staying] });
    expect(await assigneeOf(theirs.id)).toBeNull();
    expect(await assigneeOf(others.id)).toEqual({ id: staying });
    expect(await assigneeOf(managers.id)).toEqual({ id: project.managerId });
    expect(errorOf(await read(others.id, harness.auth('MEMBER', leaving))).code).toBe('NOT_FOUND');
  });

  it('unassigns the former manager when the project changes hands', async () => {
    const project = await harness.newProject();
    const task = await harness.createTask(project, { assigneeId: project.managerId });
    const next = await harness.publishProject(project, { managerId: randomId() });
    expect(await assigneeOf(task.id)).toBeNull();
    // The new manager manages it now; the former one cannot even see it.
    const created = await harness.createTask(next, { title: 'By the new manager' });
    expect(created.createdBy).toEqual({ id: next.managerId });
    expect(errorOf(await read(task.id, harness.auth('MANAGER', project.managerId))).code).toBe(
      'NOT_FOUND',
    );
  });

  it('changes nothing on a redelivered or out-of-order snapshot', async () => {
    const project = await harness.newProject();
    const [leaving = '', staying = ''] = project.memberIds;
    const task = await harness.createTask(project, { assigneeId: staying });
    const removed = await harness.publishProject(project, { memberIds: [staying] });
    // The older snapshot (with `leaving` still a member) arrives late, and the newer one again.
    await harness.publishProject(removed, {
      memberIds: [leaving, staying],
      version: project.version,
    });
    await harness.publishProject(removed, { version: removed.version });
    expect(errorOf(await read(task.id, harness.auth('MEMBER', leaving))).code).toBe('NOT_FOUND');
    expect(await assigneeOf(task.id)).toEqual({ id: staying });
    const stored = await harness.db
      .collection('project_access')
      .findOne({ _id: new mongoose.Types.ObjectId(project.id) });
    expect(stored).toMatchObject({ version: removed.version, deleted: false });

    // A deleted project stays deleted whatever arrives after.
    const deleted = await harness.publishProject(removed, { deleted: true });
    await harness.publishProject(deleted, { version: removed.version });
    expect(errorOf(await read(task.id, harness.auth('ADMIN'))).code).toBe('NOT_FOUND');
  });

  it('ignores malformed snapshots and other event types', async () => {
    const project = await harness.newProject();
    const task = await harness.createTask(project, { assigneeId: project.memberIds[0] });
    for (const [type, data] of [
      [projectAccessChanged.type, { projectId: project.id, deleted: true }],
      ['project.renamed', { projectId: project.id, deleted: true }],
    ] as const) {
      const event = await harness.events.publish(STREAMS.projects, type, data);
      expect(await harness.events.handledBy(event, ['tasks'], 5_000)).toBe(true);
    }
    expect(await assigneeOf(task.id)).toEqual({ id: project.memberIds[0] });
  });
});

describe('user.deleted', () => {
  it("unassigns the user's tasks in every project", async () => {
    const user = randomId();
    const first = await harness.newProject({ memberIds: [user] });
    const second = await harness.newProject({ memberIds: [user, randomId()] });
    const tasks = [
      await harness.createTask(first, { assigneeId: user }),
      await harness.createTask(second, { assigneeId: user }),
    ];
    const untouched = await harness.createTask(second, { assigneeId: second.memberIds[1] });
    const event = await harness.events.publish(STREAMS.users, userDeleted.type, { userId: user });
    expect(await harness.events.handledBy(event, ['tasks'], 5_000)).toBe(true);
    for (const task of tasks) expect(await assigneeOf(task.id)).toBeNull();
    expect(await assigneeOf(untouched.id)).toEqual({ id: second.memberIds[1] });
    const assigned = await harness.ok<{ _entities: { assignedTasks: { totalCount: number } }[] }>(
      ASSIGNED_TASKS,
      { representations: ref('User', user) },
      harness.auth('ADMIN'),
    );
    expect(assigned._entities[0]?.assignedTasks.totalCount).toBe(0);
  });
});

describe('delivery while the service is down', () => {
  it('processes an event published while stopped once it starts again on the same database', async () => {
    const keysDir = mkdtempSync(path.join(tmpdir(), 'psa-tasks-restart-'));
    cleanup.add(() => rmSync(keysDir, { recursive: true, force: true }));
    const firstRun = new Cleanup();
    const first = await startTasks(firstRun, { keysDir });
    const project = await first.newProject();
    const [leaving = '', staying = ''] = project.memberIds;
    const task = await first.createTask(project, { assigneeId: leaving });
    await firstRun.run();

    const bus = createEventBus(
      { REDIS_URL: first.env.REDIS_URL, EVENT_STREAM_PREFIX: first.env.EVENT_STREAM_PREFIX ?? '' },
      silentLogger(),
      'restart-test',
    );
    cleanup.add(() => bus.close());
    const event = await bus.publish(STREAMS.projects, projectAccessChanged.type, {
      projectId: project.id,
      managerId: project.managerId,
      memberIds: [staying],
      version: project.version + 1,
      deleted: false,
    });

    const second = await startTasks(cleanup, { env: first.env, keysDir });
    expect(await second.events.handledBy(event, ['tasks'], 5_000)).toBe(true);
    expect(await assigneeOf(task.id, second)).toBeNull();
    expect(errorOf(await read(task.id, second.auth('MEMBER', leaving), second)).code).toBe(
      'NOT_FOUND',
    );
  });
});

describe('project.all-tasks-done', () => {
  const announcementsOf = (project: ProjectFixture) =>
    announced.filter((event) => event.projectId === project.id);

  /** Waits for `count` announcements of the project, then a little more to catch extra ones. */
  async function expectAnnouncements(project: ProjectFixture, count: number) {
    await eventually(() => announcementsOf(project).length >= count);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(announcementsOf(project)).toHaveLength(count);
  }

  const setStatus = (task: TaskView, status: string, headers: Record<string, string>) =>
    harness.ok(SET_STATUS, { input: { taskId: task.id, status } }, headers);

  it('announces each completion exactly once, even when the last two tasks finish together', async () => {
    for (let round = 0; round < 3; round += 1) {
      const project = await harness.newProject();
      const manager = harness.as(project, 'manager');
      const [alice = '', bob = ''] = project.memberIds;
      const tasks = [
        await harness.createTask(project, { assigneeId: alice }),
        await harness.createTask(project, { assigneeId: bob }),
      ] as [TaskView, TaskView];
      await Promise.all(tasks.map((task) => setStatus(task, 'IN_PROGRESS', manager)));
      await Promise.all([
        setStatus(tasks[0], 'DONE', harness.auth('MEMBER', alice)),
        setStatus(tasks[1], 'DONE', harness.auth('MEMBER', bob)),
      ]);
      await expectAnnouncements(project, 1);
      expect(announcementsOf(project)[0]).toMatchObject({
        projectId: project.id,
        total: 2,
        completion: 1,
      });
      expect([alice, bob]).toContain(announcementsOf(project)[0]?.actorId);
    }
  });

  it('announces again after a reopen or a new task, numbering the completions', async () => {
    const project = await harness.newProject();
    const manager = harness.as(project, 'manager');
    const task = await harness.createTask(project);
    await setStatus(task, 'IN_PROGRESS', manager);
    await setStatus(task, 'DONE', manager);
    await expectAnnouncements(project, 1);

    await setStatus(task, 'TODO', manager);
    await setStatus(task, 'IN_PROGRESS', manager);
    await setStatus(task, 'DONE', manager);
    await expectAnnouncements(project, 2);

    const added = await harness.createTask(project);
    await setStatus(added, 'BLOCKED', manager);
    await setStatus(added, 'IN_PROGRESS', manager);
    await setStatus(added, 'DONE', manager);
    await expectAnnouncements(project, 3);
    expect(announcementsOf(project).map((event) => [event.completion, event.total])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    expect(announcementsOf(project).every((event) => event.actorId === project.managerId)).toBe(
      true,
    );
  });

  it('announces nothing while a task is still open', async () => {
    const project = await harness.newProject();
    const manager = harness.as(project, 'manager');
    const done = await harness.createTask(project);
    await harness.createTask(project);
    await setStatus(done, 'IN_PROGRESS', manager);
    await setStatus(done, 'DONE', manager);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(announcementsOf(project)).toHaveLength(0);
  });

  it('announces what a crash left in the outbox (the sweeper delivers it)', async () => {
    const project = await harness.newProject();
    const task = await harness.createTask(project);
    // As if the process died after writing DONE and before delivering its outbox entry.
    await harness.db
      .collection('tasks')
      .updateOne(
        { _id: new mongoose.Types.ObjectId(task.id) },
        { $set: { status: 'DONE', completedAt: new Date() } },
      );
    await harness.db.collection('outbox').insertOne({
      topic: 'project.completion',
      data: { projectId: project.id, actorId: project.managerId },
      createdAt: new Date(Date.now() - 60_000),
    });
    await eventually(() => announcementsOf(project).length >= 1, 15_000);
    expect(announcementsOf(project)).toEqual([
      { projectId: project.id, total: 1, completion: 1, actorId: project.managerId },
    ]);
    await eventually(async () => (await harness.db.collection('outbox').countDocuments()) === 0);
  });

  it('forgets the progress of a deleted project', async () => {
    const project = await harness.newProject();
    const manager = harness.as(project, 'manager');
    const task = await harness.createTask(project);
    await setStatus(task, 'IN_PROGRESS', manager);
    await setStatus(task, 'DONE', manager);
    await expectAnnouncements(project, 1);
    const progress = harness.db.collection('task_progress');
    const _id = new mongoose.Types.ObjectId(project.id);
    expect(await progress.countDocuments({ _id })).toBe(1);
    await harness.publishProject(project, { deleted: true });
    expect(await progress.countDocuments({ _id })).toBe(0);
  });
});
