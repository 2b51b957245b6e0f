/** Who may do what (ARCHITECTURE.md §2): every role on a project × every task action. */
import { Cleanup, randomId, type GraphQLBody } from '@psa/shared/testing';
import {
  ASSIGN,
  CREATE,
  DELETE,
  errorOf,
  PROJECT_TASKS,
  READ,
  ref,
  SET_STATUS,
  startTasks,
  TASK_SUMMARY,
  UPDATE,
  type ProjectFixture,
  type TasksHarness,
  type TaskView,
} from './tasks-harness';

const cleanup = new Cleanup();
let harness: TasksHarness;
let project: ProjectFixture;

beforeAll(async () => {
  harness = await startTasks(cleanup);
  // Members: 0 the assignee, 1 another member, 2 a CLIENT.
  project = await harness.newProject({ memberIds: [randomId(), randomId(), randomId()] });
});

afterAll(() => cleanup.run());

type Actor = 'admin' | 'manager' | 'assignee' | 'member' | 'client' | 'outsider';
type Outcome = 'ok' | 'FORBIDDEN' | 'NOT_FOUND';

function headersOf(actor: Actor): Record<string, string> {
  switch (actor) {
    case 'admin':
      return harness.auth('ADMIN');
    case 'manager':
      return harness.as(project, 'manager');
    case 'assignee':
      return harness.as(project, 0);
    case 'member':
      return harness.as(project, 1);
    case 'client':
      return harness.as(project, 2, 'CLIENT');
    case 'outsider':
      // A manager of other projects: the role alone gives nothing here.
      return harness.auth('MANAGER');
    default: {
      const unknown: never = actor;
      throw new Error(`unknown actor ${String(unknown)}`);
    }
  }
}

/** A task of the project assigned to the actor's "own" assignee (the CLIENT's own task for a client). */
async function taskFor(actor: Actor, status: 'TODO' | 'DONE' = 'TODO'): Promise<TaskView> {
  const manager = harness.as(project, 'manager');
  const assigneeId = actor === 'client' ? project.memberIds[2] : project.memberIds[0];
  const task = await harness.createTask(project, { title: 'Guarded', assigneeId });
  if (status === 'DONE') {
    for (const step of ['IN_PROGRESS', 'DONE']) {
      await harness.ok(SET_STATUS, { input: { taskId: task.id, status: step } }, manager);
    }
  }
  return task;
}

interface Action {
  name: string;
  run(actor: Actor): Promise<GraphQLBody<unknown>>;
  outcomes: Record<Actor, Outcome>;
}

const READERS: Record<Actor, Outcome> = {
  admin: 'ok',
  manager: 'ok',
  assignee: 'ok',
  member: 'ok',
  client: 'ok',
  outsider: 'NOT_FOUND',
};
const MANAGERS: Record<Actor, Outcome> = {
  admin: 'ok',
  manager: 'ok',
  assignee: 'FORBIDDEN',
  member: 'FORBIDDEN',
  client: 'FORBIDDEN',
  outsider: 'NOT_FOUND',
};
const CHANGERS: Record<Actor, Outcome> = { ...MANAGERS, assignee: 'ok' };

const ACTIONS: Action[] = [
  {
    name: 'read a task',
    run: async (actor) => harness.gql(READ, { id: (await taskFor(actor)).id }, headersOf(actor)),
    outcomes: READERS,
  },
  {
    name: "list the project's tasks",
    run: async (actor) =>
      harness.gql(PROJECT_TASKS, { representations: ref('Project', project.id) }, headersOf(actor)),
    outcomes: READERS,
  },
  {
    name: "read the project's task summary",
    run: async (actor) =>
      harness.gql(TASK_SUMMARY, { representations: ref('Project', project.id) }, headersOf(actor)),
    outcomes: READERS,
  },
  {
    name: 'create a task',
    run: async (actor) =>
      harness.gql(CREATE, { input: { projectId: project.id, title: 'New' } }, headersOf(actor)),
    outcomes: MANAGERS,
  },
  {
    name: "update a task's fields",
    run: async (actor) =>
      harness.gql(
        UPDATE,
        { input: { id: (await taskFor(actor)).id, title: 'Renamed' } },
        headersOf(actor),
      ),
    outcomes: CHANGERS,
  },
  {
    name: "move a task's status",
    run: async (actor) =>
      harness.gql(
        SET_STATUS,
        { input: { taskId: (await taskFor(actor)).id, status: 'IN_PROGRESS' } },
        headersOf(actor),
      ),
    outcomes: CHANGERS,
  },
  {
    name: 'reopen a DONE task',
    run: async (actor) =>
      harness.gql(
        SET_STATUS,
        { input: { taskId: (await taskFor(actor, 'DONE')).id, status: 'TODO' } },
        headersOf(actor),
      ),
    outcomes: MANAGERS,
  },
  {
    name: 'assign a task',
    run: async (actor) =>
      harness.gql(
        ASSIGN,
        { input: { taskId: (await taskFor(actor)).id, assigneeId: project.memberIds[1] } },
        headersOf(actor),
      ),
    outcomes: MANAGERS,
  },
  {
    name: 'delete a task',
    run: async (actor) => harness.gql(DELETE, { id: (await taskFor(actor)).id }, headersOf(actor)),
    outcomes: MANAGERS,
  },
];

const cases = ACTIONS.flatMap((action) =>
  (Object.entries(action.outcomes) as [Actor, Outcome][]).map(
    ([actor, outcome]) => [action.name, actor, outcome, action] as const,
  ),
);

describe.each(cases)('%s as %s', (_name, actor, outcome, action) => {
  it(outcome === 'ok' ? 'is allowed' : `is ${outcome}`, async () => {
    const body = await action.run(actor);
    if (outcome === 'ok') {
      expect(body.errors).toBeUndefined();
    } else {
      expect(errorOf(body).code).toBe(outcome);
    }
  });
});

describe('messages', () => {
  it('tells an assignee that only the manager or an admin reopens a DONE task', async () => {
    const task = await taskFor('assignee', 'DONE');
    const body = await harness.gql(
      SET_STATUS,
      { input: { taskId: task.id, status: 'TODO' } },
      headersOf('assignee'),
    );
    expect(body.errors?.[0]).toMatchObject({
      message: 'Only the project manager or an admin can reopen a DONE task',
      extensions: { code: 'FORBIDDEN' },
    });
  });

  it('says "Project not found" to an outsider creating a task, "Task not found" reading one', async () => {
    const created = await harness.gql(
      CREATE,
      { input: { projectId: project.id, title: 'New' } },
      headersOf('outsider'),
    );
    expect(created.errors?.[0]?.message).toBe('Project not found');
    const task = await taskFor('outsider');
    const read = await harness.gql(READ, { id: task.id }, headersOf('outsider'));
    expect(read.errors?.[0]?.message).toBe('Task not found');
  });

  it('leaves a refused change unwritten', async () => {
    const task = await taskFor('member');
    await harness.gql(UPDATE, { input: { id: task.id, title: 'Nope' } }, headersOf('member'));
    const read = await harness.ok<{ task: TaskView }>(READ, { id: task.id }, headersOf('admin'));
    expect(read.task.title).toBe('Guarded');
  });
});
