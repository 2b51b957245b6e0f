/** Project.tasks (filters, paging), Project.taskSummary and User.assignedTasks. */
import { Cleanup, randomId } from '@psa/shared/testing';
import {
  ASSIGNED_TASKS,
  DAY,
  errorOf,
  PROJECT_TASKS,
  ref,
  SET_STATUS,
  startTasks,
  TASK_SUMMARY,
  type PageView,
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

type Page = PageView<{
  id: string;
  title: string;
  status: string;
  assignee: { id: string } | null;
}>;

async function projectTasks(
  project: ProjectFixture,
  variables: Record<string, unknown> = {},
  headers = harness.as(project, 'manager'),
): Promise<Page> {
  const data = await harness.ok<{ _entities: { tasks: Page }[] }>(
    PROJECT_TASKS,
    { representations: ref('Project', project.id), ...variables },
    headers,
  );
  const entity = data._entities[0];
  if (!entity) throw new Error('no entity');
  return entity.tasks;
}

const idsOf = (page: Page) => page.edges.map((edge) => edge.node.id);

async function move(task: TaskView, project: ProjectFixture, ...steps: string[]) {
  for (const status of steps) {
    await harness.ok(
      SET_STATUS,
      { input: { taskId: task.id, status } },
      harness.as(project, 'manager'),
    );
  }
}

describe('Project.tasks', () => {
  let project: ProjectFixture;
  const tasks: Record<string, TaskView> = {};

  beforeAll(async () => {
    project = await harness.newProject();
    const [alice = '', bob = ''] = project.memberIds;
    const past = new Date(Date.now() - DAY).toISOString();
    const soon = new Date(Date.now() + DAY).toISOString();
    const later = new Date(Date.now() + 10 * DAY).toISOString();
    tasks.lateTodo = await harness.createTask(project, {
      title: 'late todo',
      dueDate: past,
      assigneeId: alice,
    });
    tasks.lateDone = await harness.createTask(project, {
      title: 'late done',
      dueDate: past,
      assigneeId: bob,
    });
    tasks.soon = await harness.createTask(project, {
      title: 'soon',
      dueDate: soon,
      assigneeId: alice,
    });
    tasks.later = await harness.createTask(project, { title: 'later', dueDate: later });
    tasks.undated = await harness.createTask(project, { title: 'undated', assigneeId: bob });
    await move(tasks.lateDone, project, 'IN_PROGRESS', 'DONE');
    await move(tasks.soon, project, 'BLOCKED');
    // Another project's task: never listed here.
    await harness.createTask(await harness.newProject(), { title: 'elsewhere' });
  });

  const titles = (page: Page) => page.edges.map((edge) => edge.node.title);

  it('lists every task of the project, oldest first, with totalCount', async () => {
    const page = await projectTasks(project);
    expect(titles(page)).toEqual(['late todo', 'late done', 'soon', 'later', 'undated']);
    expect(page.totalCount).toBe(5);
    expect(page.pageInfo.hasNextPage).toBe(false);
  });

  it.each([
    ['status', { status: 'DONE' }, ['late done']],
    ['status BLOCKED', { status: 'BLOCKED' }, ['soon']],
    ['overdue', { overdue: true }, ['late todo']],
    ['not overdue', { overdue: false }, ['late done', 'soon', 'later', 'undated']],
    [
      'dueBefore',
      { dueBefore: new Date(Date.now() + 2 * DAY).toISOString() },
      ['late todo', 'late done', 'soon'],
    ],
    ['status and overdue', { status: 'TODO', overdue: false }, ['later', 'undated']],
  ])('filters by %s', async (_case, filter, expected) => {
    const page = await projectTasks(project, { filter });
    expect(titles(page)).toEqual(expected);
    expect(page.totalCount).toBe(expected.length);
  });

  it('filters by assignee', async () => {
    const page = await projectTasks(project, { filter: { assigneeId: project.memberIds[0] } });
    expect(titles(page)).toEqual(['late todo', 'soon']);
  });

  it('pages without overlap and with the same totalCount on every page', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Page = await projectTasks(project, { first: 2, after });
      expect(page.totalCount).toBe(5);
      seen.push(...idsOf(page));
      pages += 1;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(Object.values(tasks).map((task) => task.id));
  });

  it.each([
    ['first over 100', { first: 101 }, 'first'],
    ['a negative first', { first: -1 }, 'first'],
    ['a bad cursor', { after: 'garbage' }, 'after'],
    ['a malformed assigneeId', { filter: { assigneeId: 'x' } }, 'filter.assigneeId'],
  ])('refuses %s with BAD_USER_INPUT', async (_case, variables, field) => {
    const body = await harness.gql(
      PROJECT_TASKS,
      { representations: ref('Project', project.id), ...variables },
      harness.as(project, 'manager'),
    );
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it('is NOT_FOUND for a project the service does not know', async () => {
    const body = await harness.gql(
      PROJECT_TASKS,
      { representations: ref('Project', randomId()) },
      harness.auth('ADMIN'),
    );
    expect(body.errors?.[0]).toMatchObject({
      message: 'Project not found',
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('sees every task that existed when paging began exactly once while others are inserted', async () => {
    const busy = await harness.newProject();
    const existing: string[] = [];
    for (let i = 0; i < 12; i += 1)
      existing.push((await harness.createTask(busy, { title: `pre ${i}` })).id);
    let inserting = true;
    const inserter = (async () => {
      let i = 0;
      while (inserting) {
        await harness.createTask(busy, { title: `new ${i}` });
        i += 1;
      }
      return i;
    })();
    const seen: string[] = [];
    let after: string | null = null;
    try {
      for (;;) {
        const page: Page = await projectTasks(busy, { first: 3, after });
        seen.push(...idsOf(page));
        if (!page.pageInfo.hasNextPage || seen.length > 400) break;
        after = page.pageInfo.endCursor;
      }
    } finally {
      inserting = false;
    }
    expect(await inserter).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, existing.length)).toEqual(existing);
  });
});

describe('Project.tasks(filter: {search})', () => {
  let project: ProjectFixture;
  const tasks: Record<string, TaskView> = {};
  const search = async (text: string, filter: Record<string, unknown> = {}) =>
    (await projectTasks(project, { filter: { search: text, ...filter } })).edges.map(
      (edge) => edge.node.title,
    );

  beforeAll(async () => {
    project = await harness.newProject();
    tasks.invoice = await harness.createTask(project, { title: 'Send the invoice' });
    tasks.invoices = await harness.createTask(project, {
      title: 'Invoices',
      description: 'Reconcile last month',
    });
    tasks.reconcile = await harness.createTask(project, {
      title: 'Bank statements',
      description: 'Reconcile them with the invoices',
    });
    await move(tasks.invoices, project, 'IN_PROGRESS');
    // Another project's task with the same words: never listed here.
    await harness.createTask(await harness.newProject(), { title: 'Invoices' });
  });

  it('ranks whole-word matches, a word in the title above one in the description', async () => {
    // "invoice" and "invoices" are one English word; a shorter title holding it ranks higher.
    expect(await search('INVOICE')).toEqual(['Invoices', 'Send the invoice', 'Bank statements']);
    // Both in the description: the one with fewer other words (stop words aside) ranks higher.
    expect(await search('reconciling')).toEqual(['Bank statements', 'Invoices']);
    expect(await search('invoice -reconcile')).toEqual(['Send the invoice']);
    expect(await search('"the invoice"')).toEqual(['Send the invoice', 'Bank statements']);
    expect(await search('invo')).toEqual([]);
  });

  it('narrows the other filters', async () => {
    expect(await search('invoices', { status: 'IN_PROGRESS' })).toEqual(['Invoices']);
    expect(await search('invoices', { status: 'DONE' })).toEqual([]);
  });

  it('pages by rank without overlap, with the same totalCount', async () => {
    const ranked = idsOf(await projectTasks(project, { filter: { search: 'invoice' } }));
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page = await projectTasks(project, {
        first: 1,
        after,
        filter: { search: 'invoice' },
      });
      expect(page.totalCount).toBe(3);
      seen.push(...idsOf(page));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(ranked);
    expect(ranked).toEqual([tasks.invoices?.id, tasks.invoice?.id, tasks.reconcile?.id]);
  });

  it('refuses a search over 100 characters with BAD_USER_INPUT naming the field', async () => {
    const body = await harness.gql(
      PROJECT_TASKS,
      { representations: ref('Project', project.id), filter: { search: 'x'.repeat(101) } },
      harness.as(project, 'manager'),
    );
    expect(errorOf(body)).toEqual({ code: 'BAD_USER_INPUT', field: 'filter.search' });
  });
});

describe('Project.taskSummary', () => {
  const summaryOf = async (project: ProjectFixture, headers = harness.as(project, 'manager')) => {
    const data = await harness.ok<{ _entities: { taskSummary: Record<string, number> }[] }>(
      TASK_SUMMARY,
      { representations: ref('Project', project.id) },
      headers,
    );
    return data._entities[0]?.taskSummary;
  };

  it('counts tasks by status and overdue, with percentComplete rounded to one decimal', async () => {
    const project = await harness.newProject();
    const past = new Date(Date.now() - DAY).toISOString();
    const made: TaskView[] = [];
    for (let i = 0; i < 6; i += 1) {
      made.push(
        await harness.createTask(project, { title: `t${i}`, dueDate: i < 3 ? past : null }),
      );
    }
    const [t0, t1, t2, t3] = made as [TaskView, TaskView, TaskView, TaskView];
    await move(t0, project, 'IN_PROGRESS', 'DONE');
    await move(t1, project, 'IN_PROGRESS');
    await move(t2, project, 'BLOCKED');
    await move(t3, project, 'IN_PROGRESS', 'DONE');
    expect(await summaryOf(project, harness.as(project, 1, 'CLIENT'))).toEqual({
      total: 6,
      todo: 2,
      inProgress: 1,
      blocked: 1,
      done: 2,
      overdue: 2,
      percentComplete: 33.3,
    });
  });

  it('is all zeros for a project without tasks', async () => {
    expect(await summaryOf(await harness.newProject())).toEqual({
      total: 0,
      todo: 0,
      inProgress: 0,
      blocked: 0,
      done: 0,
      overdue: 0,
      percentComplete: 0,
    });
  });
});

describe('User.assignedTasks', () => {
  const assignedTo = async (userId: string, headers: Record<string, string>) => {
    const data = await harness.ok<{ _entities: { assignedTasks: Page }[] }>(
      ASSIGNED_TASKS,
      { representations: ref('User', userId) },
      headers,
    );
    return data._entities[0]?.assignedTasks.edges.map((edge) => edge.node.title);
  };

  it("lists a user's tasks, limited to the projects the caller may see", async () => {
    const worker = randomId();
    const shared = await harness.newProject({ memberIds: [worker, randomId()] });
    const other = await harness.newProject({ memberIds: [worker] });
    await harness.createTask(shared, { title: 'shared 1', assigneeId: worker });
    await harness.createTask(other, { title: 'other', assigneeId: worker });
    await harness.createTask(shared, { title: 'shared 2', assigneeId: worker });
    await harness.createTask(shared, { title: 'not theirs' });

    expect(await assignedTo(worker, harness.auth('MEMBER', worker))).toEqual([
      'shared 1',
      'other',
      'shared 2',
    ]);
    expect(await assignedTo(worker, harness.auth('ADMIN'))).toEqual([
      'shared 1',
      'other',
      'shared 2',
    ]);
    // A colleague on one of the projects sees the tasks of that project only.
    expect(await assignedTo(worker, harness.as(shared, 1))).toEqual(['shared 1', 'shared 2']);
    expect(await assignedTo(worker, harness.auth('MANAGER'))).toEqual([]);
    expect(await assignedTo('not-an-id', harness.auth('ADMIN'))).toEqual([]);
  });
});
