/** createTask, task(id) and Task references: the basics, validation, authentication. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadOrCreateDevSigningKey } from '@psa/shared';
import { bearer, Cleanup, randomId, type GraphQLBody } from '@psa/shared/testing';
import { loadTasksConfig } from '../tasks-service';
import {
  CREATE,
  DAY,
  errorOf,
  READ,
  startTasks,
  type ProjectFixture,
  type TasksHarness,
  type TaskView,
} from './tasks-harness';

const cleanup = new Cleanup();
let harness: TasksHarness;
let project: ProjectFixture;
let manager: Record<string, string>;

async function createTask(
  input: Record<string, unknown>,
  headers: Record<string, string> = manager,
): Promise<GraphQLBody<{ createTask: TaskView }>> {
  return harness.gql<{ createTask: TaskView }>(
    CREATE,
    { input: { projectId: project.id, ...input } },
    headers,
  );
}

beforeAll(async () => {
  harness = await startTasks(cleanup);
  project = await harness.newProject();
  manager = harness.as(project, 'manager');
});

afterAll(() => cleanup.run());

describe('configuration', () => {
  it('defaults to port 4003 and the psa_tasks database', () => {
    expect(loadTasksConfig({})).toMatchObject({ TASKS_PORT: 4003, TASKS_DB: 'psa_tasks' });
  });

  it('requires the verification keys in production', () => {
    expect(() => loadTasksConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadTasksConfig({ NODE_ENV: 'production' })).toThrow(/JWT_PUBLIC_KEYS/);
  });
});

describe('createTask', () => {
  it('creates a TODO task by the caller and reads it back', async () => {
    const assigneeId = project.memberIds[0];
    const created = await createTask({
      title: '  Wireframes ',
      description: 'Home and pricing',
      dueDate: '2999-12-01T00:00:00Z',
      assigneeId,
      priority: 'HIGH',
    });
    expect(created.errors).toBeUndefined();
    const task = created.data?.createTask;
    expect(task).toMatchObject({
      project: { id: project.id },
      title: 'Wireframes',
      description: 'Home and pricing',
      status: 'TODO',
      priority: 'HIGH',
      dueDate: '2999-12-01T00:00:00.000Z',
      assignee: { id: assigneeId },
      createdBy: { id: project.managerId },
      completedAt: null,
      overdue: false,
    });
    expect(task?.id).toMatch(/^[0-9a-f]{24}$/);
    expect(task?.updatedAt).toBe(task?.createdAt);

    const read = await harness.gql<{ task: TaskView }>(
      READ,
      { id: task?.id },
      harness.as(project, 1, 'CLIENT'),
    );
    expect(read.errors).toBeUndefined();
    expect(read.data?.task).toEqual(task);
  });

  it('works right after the project snapshot was handled (read your own project)', async () => {
    const fresh = await harness.newProject();
    const task = await harness.createTask(fresh, { assigneeId: fresh.managerId });
    expect(task.assignee).toEqual({ id: fresh.managerId });
  });

  it('defaults to MEDIUM priority, no assignee, no due date and not overdue', async () => {
    const created = await createTask({ title: 'Kick-off', description: ' ' });
    expect(created.errors).toBeUndefined();
    expect(created.data?.createTask).toMatchObject({
      priority: 'MEDIUM',
      description: null,
      assignee: null,
      dueDate: null,
      overdue: false,
    });
  });

  it('marks a task due in the past as overdue', async () => {
    const dueDate = new Date(Date.now() - DAY).toISOString();
    const created = await createTask({ title: 'Late', dueDate });
    expect(created.data?.createTask).toMatchObject({ dueDate, overdue: true, status: 'TODO' });
  });

  it.each([
    ['a malformed projectId', { projectId: 'nope' }, 'input.projectId'],
    ['an empty title', { title: ' \t ' }, 'input.title'],
    ['a title over 200 characters', { title: 'x'.repeat(201) }, 'input.title'],
    [
      'a description over 10,000 characters',
      { title: 'Ok', description: 'x'.repeat(10_001) },
      'input.description',
    ],
    ['a malformed assigneeId', { title: 'Ok', assigneeId: '123' }, 'input.assigneeId'],
  ])('refuses %s with BAD_USER_INPUT naming the field', async (_case, input, field) => {
    const response = await createTask({ title: 'Ok', ...input });
    expect(response.data).toBeNull();
    expect(errorOf(response)).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it('refuses an assignee who is not on the project, and writes nothing', async () => {
    const title = `Outsider ${randomId()}`;
    const response = await createTask({ title, assigneeId: randomId() });
    expect(response.data).toBeNull();
    expect(response.errors?.[0]).toMatchObject({
      message: "assignee must be the project's manager or one of its members",
      extensions: { code: 'BAD_USER_INPUT', field: 'input.assigneeId' },
    });
    expect(await harness.db.collection('tasks').countDocuments({ title })).toBe(0);
  });

  it.each([
    ['a dueDate that is not a date-time', { dueDate: 'tomorrow' }],
    ['a dueDate without a time zone', { dueDate: '2026-12-01T00:00:00' }],
    ['an unknown priority', { priority: 'ASAP' }],
  ])('refuses %s with BAD_USER_INPUT', async (_case, input) => {
    const response = await createTask({ title: 'Ok', ...input });
    expect(response.data ?? null).toBeNull();
    expect(errorOf(response).code).toBe('BAD_USER_INPUT');
  });

  it('is NOT_FOUND for a project the service has not heard of', async () => {
    const response = await createTask(
      { projectId: randomId(), title: 'Ok' },
      harness.auth('ADMIN'),
    );
    expect(response.errors?.[0]).toMatchObject({
      message: 'Project not found',
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('is UNAUTHENTICATED without a token, with a foreign token and with garbage', async () => {
    const otherDir = mkdtempSync(path.join(tmpdir(), 'psa-tasks-other-'));
    cleanup.add(() => rmSync(otherDir, { recursive: true, force: true }));
    const forged = harness.auth('ADMIN', randomId(), loadOrCreateDevSigningKey(otherDir));
    for (const headers of [{}, forged, bearer('not.a.token')]) {
      const body = await harness.gql(
        CREATE,
        { input: { projectId: project.id, title: 'x' } },
        headers,
      );
      // Refused before execution: no data at all.
      expect(body.data).toBeUndefined();
      expect(errorOf(body).code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('task(id)', () => {
  it.each([
    ['an unknown id', randomId()],
    ['a malformed id', 'not-an-id'],
  ])('is NOT_FOUND for %s', async (_case, id) => {
    const body = await harness.gql(READ, { id }, harness.auth('ADMIN'));
    expect(body.data).toEqual({ task: null });
    expect(body.errors?.[0]).toMatchObject({
      message: 'Task not found',
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const body = await harness.gql(READ, { id: randomId() }, {});
    expect(errorOf(body).code).toBe('UNAUTHENTICATED');
  });
});

describe('_entities (federation references)', () => {
  const ENTITIES = `query ($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Task { id title overdue project { id } } }
  }`;

  it('resolves Task references in one request, in order', async () => {
    const first = await harness.createTask(project, { title: 'First' });
    const second = await harness.createTask(project, { title: 'Second' });
    const ids = [second.id, first.id];
    const body = await harness.gql<{ _entities: unknown[] }>(
      ENTITIES,
      { representations: ids.map((id) => ({ __typename: 'Task', id })) },
      harness.as(project, 0),
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?._entities).toEqual([
      { id: ids[0], title: 'Second', overdue: false, project: { id: project.id } },
      { id: ids[1], title: 'First', overdue: false, project: { id: project.id } },
    ]);
  });

  it('is NOT_FOUND for a task of a project the caller is not on', async () => {
    const task = await harness.createTask(project, { title: 'Hidden' });
    const body = await harness.gql<{ _entities: unknown[] }>(
      ENTITIES,
      { representations: [{ __typename: 'Task', id: task.id }] },
      harness.auth('MEMBER'),
    );
    expect(body.data?._entities).toEqual([null]);
    expect(body.errors?.[0]).toMatchObject({
      message: 'Task not found',
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('is NOT_FOUND for an unknown task and UNAUTHENTICATED without a token', async () => {
    const representations = [{ __typename: 'Task', id: randomId() }];
    const missing = await harness.gql<{ _entities: unknown[] }>(
      ENTITIES,
      { representations },
      harness.auth('ADMIN'),
    );
    expect(missing.data?._entities).toEqual([null]);
    expect(errorOf(missing).code).toBe('NOT_FOUND');
    const anonymous = await harness.gql(ENTITIES, { representations }, {});
    expect(anonymous.data).toBeUndefined();
    expect(errorOf(anonymous).code).toBe('UNAUTHENTICATED');
  });
});

describe('createTask with a forwarded Idempotency-Key (x-idempotency-key)', () => {
  const count = (title: string) => harness.db.collection('tasks').countDocuments({ title });

  it('writes once for one caller and key, and answers the task the first attempt made', async () => {
    const title = `Retried ${randomId()}`;
    const key = { 'x-idempotency-key': `retry-${randomId()}` };
    const first = await createTask({ title }, { ...manager, ...key });
    // The gateway lost the first answer (say it died): the retry reaches the subgraph again.
    const retry = await createTask({ title }, { ...manager, ...key });
    expect(first.errors).toBeUndefined();
    expect(retry.data?.createTask.id).toBe(first.data?.createTask.id);
    expect(await count(title)).toBe(1);
    // Without a key, every request is a write of its own.
    await createTask({ title });
    expect(await count(title)).toBe(2);
  });

  it('scopes the key to the verified caller: another user with the same key gets a task of their own', async () => {
    const other = await harness.newProject();
    const title = `Scoped ${randomId()}`;
    const key = { 'x-idempotency-key': `shared-${randomId()}` };
    const mine = await createTask({ title }, { ...manager, ...key });
    const theirs = await harness.gql<{ createTask: TaskView }>(
      CREATE,
      { input: { projectId: other.id, title } },
      { ...harness.as(other, 'manager'), ...key },
    );
    expect(theirs.errors).toBeUndefined();
    expect(theirs.data?.createTask.id).not.toBe(mine.data?.createTask.id);
    expect(await count(title)).toBe(2);
  });

  it('writes once when two requests with one key arrive together', async () => {
    const title = `Concurrent ${randomId()}`;
    const key = { 'x-idempotency-key': `together-${randomId()}` };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => createTask({ title }, { ...manager, ...key })),
    );
    const ids = new Set(answers.map((answer) => answer.data?.createTask.id));
    expect(ids.size).toBe(1);
    expect(await count(title)).toBe(1);
  });
});
