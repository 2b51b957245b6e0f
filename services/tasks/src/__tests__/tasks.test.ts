import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadOrCreateDevSigningKey } from '@psa/shared';
import {
  bearer,
  Cleanup,
  graphqlRequest,
  randomId,
  startServiceUnderTest,
  type AuthHeaders,
  type GraphQLBody,
} from '@psa/shared/testing';
import { loadTasksConfig, startTasksService, type SubgraphService } from '../tasks-service';

interface TaskView {
  id: string;
  project: { id: string };
  title: string;
  description: string | null;
  status: string;
  priority: string;
  dueDate: string | null;
  assignee: { id: string } | null;
  createdBy: { id: string };
  completedAt: string | null;
  overdue: boolean;
  createdAt: string;
  updatedAt: string;
}

const cleanup = new Cleanup();
let service: SubgraphService;
let auth: AuthHeaders;

const DAY = 86_400_000;

const errorOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions ?? {};

const TASK_FIELDS = `id project { id } title description status priority dueDate assignee { id }
  createdBy { id } completedAt overdue createdAt updatedAt`;
const CREATE = `mutation ($input: CreateTaskInput!) { createTask(input: $input) { ${TASK_FIELDS} } }`;
const READ = `query ($id: ID!) { task(id: $id) { ${TASK_FIELDS} } }`;

async function createTask(
  input: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<GraphQLBody<{ createTask: TaskView }>> {
  const { body } = await graphqlRequest<{ createTask: TaskView }>(
    service.url,
    CREATE,
    { input: { projectId: randomId(), ...input } },
    headers,
  );
  return body;
}

beforeAll(async () => {
  ({ service, auth } = await startServiceUnderTest({
    name: 'tasks',
    load: loadTasksConfig,
    start: startTasksService,
    cleanup,
  }));
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
    const creatorId = randomId();
    const projectId = randomId();
    const assigneeId = randomId();
    const headers = auth('MEMBER', creatorId);
    const created = await createTask(
      {
        projectId,
        title: '  Wireframes ',
        description: 'Home and pricing',
        dueDate: '2999-12-01T00:00:00Z',
        assigneeId,
        priority: 'HIGH',
      },
      headers,
    );
    expect(created.errors).toBeUndefined();
    const task = created.data?.createTask;
    expect(task).toMatchObject({
      project: { id: projectId },
      title: 'Wireframes',
      description: 'Home and pricing',
      status: 'TODO',
      priority: 'HIGH',
      dueDate: '2999-12-01T00:00:00.000Z',
      assignee: { id: assigneeId },
      createdBy: { id: creatorId },
      completedAt: null,
      overdue: false,
    });
    expect(task?.id).toMatch(/^[0-9a-f]{24}$/);
    expect(task?.updatedAt).toBe(task?.createdAt);

    const { body: read } = await graphqlRequest<{ task: TaskView }>(
      service.url,
      READ,
      { id: task?.id },
      auth('CLIENT'),
    );
    expect(read.errors).toBeUndefined();
    expect(read.data?.task).toEqual(task);
  });

  it('defaults to MEDIUM priority, no assignee, no due date and not overdue', async () => {
    const created = await createTask({ title: 'Kick-off', description: ' ' }, auth('MEMBER'));
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
    const created = await createTask({ title: 'Late', dueDate }, auth('MEMBER'));
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
    const response = await createTask({ title: 'Ok', ...input }, auth('MEMBER'));
    expect(response.data).toBeNull();
    expect(errorOf(response)).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it.each([
    ['a dueDate that is not a date-time', { dueDate: 'tomorrow' }],
    ['a dueDate without a time zone', { dueDate: '2026-12-01T00:00:00' }],
    ['an unknown priority', { priority: 'ASAP' }],
  ])('refuses %s with BAD_USER_INPUT', async (_case, input) => {
    const response = await createTask({ title: 'Ok', ...input }, auth('MEMBER'));
    expect(response.data ?? null).toBeNull();
    expect(errorOf(response).code).toBe('BAD_USER_INPUT');
  });

  it('is UNAUTHENTICATED without a token, with a foreign token and with garbage', async () => {
    const otherDir = mkdtempSync(path.join(tmpdir(), 'psa-tasks-other-'));
    cleanup.add(() => rmSync(otherDir, { recursive: true, force: true }));
    const forged = auth('ADMIN', randomId(), loadOrCreateDevSigningKey(otherDir));
    for (const headers of [{}, forged, bearer('not.a.token')]) {
      const { body } = await graphqlRequest(
        service.url,
        CREATE,
        { input: { projectId: randomId(), title: 'x' } },
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
    const { body } = await graphqlRequest(service.url, READ, { id }, auth('ADMIN'));
    expect(body.data).toEqual({ task: null });
    expect(body.errors?.[0]).toMatchObject({
      message: 'Task not found',
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const { body } = await graphqlRequest(service.url, READ, { id: randomId() });
    expect(errorOf(body).code).toBe('UNAUTHENTICATED');
  });
});

describe('_entities (federation references)', () => {
  const ENTITIES = `query ($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Task { id title overdue project { id } } }
  }`;

  it('resolves Task references in one request, in order', async () => {
    const headers = auth('MEMBER');
    const projectId = randomId();
    const first = await createTask({ projectId, title: 'First' }, headers);
    const second = await createTask({ projectId, title: 'Second' }, headers);
    const ids = [second.data?.createTask.id, first.data?.createTask.id];
    const { body } = await graphqlRequest<{ _entities: unknown[] }>(
      service.url,
      ENTITIES,
      { representations: ids.map((id) => ({ __typename: 'Task', id })) },
      headers,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?._entities).toEqual([
      { id: ids[0], title: 'Second', overdue: false, project: { id: projectId } },
      { id: ids[1], title: 'First', overdue: false, project: { id: projectId } },
    ]);
  });

  it('is NOT_FOUND for an unknown task and UNAUTHENTICATED without a token', async () => {
    const representations = [{ __typename: 'Task', id: randomId() }];
    const { body: missing } = await graphqlRequest<{ _entities: unknown[] }>(
      service.url,
      ENTITIES,
      { representations },
      auth('ADMIN'),
    );
    expect(missing.data?._entities).toEqual([null]);
    expect(errorOf(missing).code).toBe('NOT_FOUND');
    const { body: anonymous } = await graphqlRequest(service.url, ENTITIES, { representations });
    expect(anonymous.data).toBeUndefined();
    expect(errorOf(anonymous).code).toBe('UNAUTHENTICATED');
  });
});
