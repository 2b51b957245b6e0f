/** setTaskStatus (the workflow), updateTask, assignTask and deleteTask: what they change. */
import { Cleanup, randomId } from '@psa/shared/testing';
import {
  ASSIGN,
  DELETE,
  errorOf,
  READ,
  SET_STATUS,
  startTasks,
  UPDATE,
  type ProjectFixture,
  type TasksHarness,
  type TaskView,
} from './tasks-harness';

const cleanup = new Cleanup();
let harness: TasksHarness;
let project: ProjectFixture;
let manager: Record<string, string>;

beforeAll(async () => {
  harness = await startTasks(cleanup);
  project = await harness.newProject();
  manager = harness.as(project, 'manager');
});

afterAll(() => cleanup.run());

const setStatus = (taskId: string, status: string, headers = manager) =>
  harness.gql<{ setTaskStatus: TaskView }>(SET_STATUS, { input: { taskId, status } }, headers);

/** A task moved to `status` along the shortest allowed path. */
async function taskIn(status: string): Promise<TaskView> {
  const path: Record<string, string[]> = {
    TODO: [],
    IN_PROGRESS: ['IN_PROGRESS'],
    BLOCKED: ['BLOCKED'],
    DONE: ['IN_PROGRESS', 'DONE'],
  };
  let task = await harness.createTask(project, { title: `In ${status}` });
  for (const step of path[status] ?? []) {
    const body = await setStatus(task.id, step);
    if (!body.data) throw new Error(JSON.stringify(body.errors));
    task = body.data.setTaskStatus;
  }
  return task;
}

describe('setTaskStatus', () => {
  it.each([
    ['TODO', 'IN_PROGRESS'],
    ['TODO', 'BLOCKED'],
    ['IN_PROGRESS', 'DONE'],
    ['IN_PROGRESS', 'BLOCKED'],
    ['BLOCKED', 'TODO'],
    ['BLOCKED', 'IN_PROGRESS'],
    ['DONE', 'TODO'],
  ])('moves a task from %s to %s', async (from, to) => {
    const task = await taskIn(from);
    const body = await setStatus(task.id, to);
    expect(body.errors).toBeUndefined();
    expect(body.data?.setTaskStatus.status).toBe(to);
  });

  it.each([
    ['TODO', 'DONE', 'IN_PROGRESS, BLOCKED'],
    ['BLOCKED', 'DONE', 'TODO, IN_PROGRESS'],
    ['IN_PROGRESS', 'TODO', 'DONE, BLOCKED'],
    ['DONE', 'IN_PROGRESS', 'TODO'],
    ['DONE', 'BLOCKED', 'TODO'],
  ])('refuses %s → %s, naming the allowed moves', async (from, to, allowed) => {
    const task = await taskIn(from);
    const body = await setStatus(task.id, to);
    expect(body.data).toBeNull();
    expect(body.errors?.[0]).toMatchObject({
      message: `Cannot move a task from ${from} to ${to}; allowed: ${allowed}`,
      extensions: { code: 'BAD_USER_INPUT', field: 'input.status' },
    });
    const read = await harness.ok<{ task: TaskView }>(READ, { id: task.id }, manager);
    expect(read.task.status).toBe(from);
  });

  it('sets completedAt when DONE and clears it when reopened', async () => {
    const before = Date.now();
    const done = await taskIn('DONE');
    expect(done.completedAt).not.toBeNull();
    expect(Date.parse(done.completedAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
    const reopened = await setStatus(done.id, 'TODO');
    expect(reopened.data?.setTaskStatus).toMatchObject({ status: 'TODO', completedAt: null });
  });

  it('changes nothing when the status is the one the task has', async () => {
    const task = await taskIn('IN_PROGRESS');
    const body = await setStatus(task.id, 'IN_PROGRESS');
    expect(body.errors).toBeUndefined();
    expect(body.data?.setTaskStatus).toEqual(task);
  });

  it('is not overdue once DONE', async () => {
    const task = await harness.createTask(project, {
      dueDate: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(task.overdue).toBe(true);
    await setStatus(task.id, 'IN_PROGRESS');
    const done = await setStatus(task.id, 'DONE');
    expect(done.data?.setTaskStatus.overdue).toBe(false);
  });

  it('lets one of two racing moves win; the other is CONFLICT or no longer allowed', async () => {
    // From IN_PROGRESS, DONE and BLOCKED exclude each other: a write that did not check the status
    // it read would let both succeed.
    for (let round = 0; round < 8; round += 1) {
      const task = await taskIn('IN_PROGRESS');
      const results = await Promise.all([
        setStatus(task.id, 'DONE'),
        setStatus(task.id, 'BLOCKED'),
      ]);
      const winners = results.filter((body) => body.data?.setTaskStatus);
      expect(winners).toHaveLength(1);
      const loser = results.find((body) => body.errors);
      expect(['CONFLICT', 'BAD_USER_INPUT']).toContain(errorOf(loser ?? {}).code);
      if (errorOf(loser ?? {}).code === 'CONFLICT') {
        expect(loser?.errors?.[0]?.message).toBe('The task changed meanwhile; reload it');
      }
      const read = await harness.ok<{ task: TaskView }>(READ, { id: task.id }, manager);
      expect(read.task.status).toBe(winners[0]?.data?.setTaskStatus.status);
    }
  });

  it('refuses an unknown or malformed task id', async () => {
    expect(errorOf(await setStatus(randomId(), 'DONE')).code).toBe('NOT_FOUND');
    expect(errorOf(await setStatus('nope', 'DONE'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.taskId',
    });
  });
});

describe('updateTask', () => {
  it('changes only the fields given, and clears description and dueDate with null', async () => {
    const task = await harness.createTask(project, {
      title: 'Draft',
      description: 'Some words',
      dueDate: '2999-01-01T00:00:00Z',
      priority: 'LOW',
    });
    const titled = await harness.ok<{ updateTask: TaskView }>(
      UPDATE,
      { input: { id: task.id, title: '  Final  ' } },
      manager,
    );
    expect(titled.updateTask).toMatchObject({
      title: 'Final',
      description: 'Some words',
      dueDate: '2999-01-01T00:00:00.000Z',
      priority: 'LOW',
    });
    const cleared = await harness.ok<{ updateTask: TaskView }>(
      UPDATE,
      { input: { id: task.id, description: null, dueDate: null, priority: 'URGENT' } },
      manager,
    );
    expect(cleared.updateTask).toMatchObject({
      title: 'Final',
      description: null,
      dueDate: null,
      priority: 'URGENT',
    });
  });

  it.each([
    ['a null title', { title: null }, 'input.title'],
    ['an empty title', { title: '  ' }, 'input.title'],
    ['a title over 200 characters', { title: 'x'.repeat(201) }, 'input.title'],
    ['a null priority', { priority: null }, 'input.priority'],
    [
      'a description over 10,000 characters',
      { description: 'x'.repeat(10_001) },
      'input.description',
    ],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_case, input, field) => {
    const task = await harness.createTask(project, { title: 'Untouched', priority: 'HIGH' });
    const body = await harness.gql(
      UPDATE,
      { input: { id: task.id, priority: 'LOW', ...input } },
      manager,
    );
    expect(body.data).toBeNull();
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
    const read = await harness.ok<{ task: TaskView }>(READ, { id: task.id }, manager);
    expect(read.task).toEqual(task);
  });
});

describe('assignTask', () => {
  it('assigns to a member or the manager, and unassigns with null', async () => {
    const task = await harness.createTask(project);
    const assign = async (assigneeId: string | null) =>
      (
        await harness.ok<{ assignTask: TaskView }>(
          ASSIGN,
          { input: { taskId: task.id, assigneeId } },
          manager,
        )
      ).assignTask.assignee;
    expect(await assign(project.memberIds[0] ?? '')).toEqual({ id: project.memberIds[0] });
    expect(await assign(project.managerId)).toEqual({ id: project.managerId });
    expect(await assign(null)).toBeNull();
  });

  it('refuses someone not on the project', async () => {
    const task = await harness.createTask(project);
    const body = await harness.gql(
      ASSIGN,
      { input: { taskId: task.id, assigneeId: randomId() } },
      manager,
    );
    expect(body.errors?.[0]).toMatchObject({
      message: "assignee must be the project's manager or one of its members",
      extensions: { code: 'BAD_USER_INPUT', field: 'input.assigneeId' },
    });
  });
});

describe('deleteTask', () => {
  it('deletes the task: it is NOT_FOUND afterwards', async () => {
    const task = await harness.createTask(project);
    expect(await harness.ok(DELETE, { id: task.id }, manager)).toEqual({ deleteTask: true });
    const read = await harness.gql(READ, { id: task.id }, manager);
    expect(errorOf(read).code).toBe('NOT_FOUND');
    expect(errorOf(await harness.gql(DELETE, { id: task.id }, manager)).code).toBe('NOT_FOUND');
  });
});
