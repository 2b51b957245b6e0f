/**
 * The domain across the four subgraphs, through the gateway: the races around membership, the
 * automatic "All N tasks are done" update, cascades when a project or a user goes away, one query
 * spanning every subgraph, and what a page of tasks costs each subgraph's database.
 */
import { startGraph, type Graph } from './helpers/graph';
import { eventually, loginAdmin, ok, signUp, type Person } from './helpers/people';
import {
  ADD_MEMBER,
  CREATE_DOCUMENT,
  CREATE_PROJECT,
  CREATE_TASK,
  REMOVE_MEMBER,
} from './helpers/operations';

let graph: Graph;
let admin: Person;
let manager: Person;
let member: Person;

const SET_STATUS =
  'mutation ($input: SetTaskStatusInput!) { setTaskStatus(input: $input) { id status } }';
const READ_TASK = 'query ($id: ID!) { task(id: $id) { id title assignee { id } } }';
const READ_DOCUMENT = 'query ($id: ID!) { document(id: $id) { id title } }';
const STATUS_UPDATES = `query ($id: ID!) { project(id: $id) { statusUpdates(first: 20) {
  edges { node { message automatic author { id } } } } } }`;

beforeAll(async () => {
  graph = await startGraph();
  admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER');
  member = await signUp(graph, admin, 'MEMBER');
});

afterAll(() => graph?.stop());

async function newProject(owner: Person = manager): Promise<string> {
  const data = await ok<{ createProject: { id: string } }>(graph, owner, CREATE_PROJECT, {
    input: { name: 'Website relaunch', status: 'ACTIVE' },
  });
  return data.createProject.id;
}

async function newTask(projectId: string, input: Record<string, unknown> = {}): Promise<string> {
  const data = await ok<{ createTask: { id: string } }>(graph, manager, CREATE_TASK, {
    input: { projectId, title: 'Wireframes', ...input },
  });
  return data.createTask.id;
}

const codeOf = (body: { errors?: { extensions?: { code?: unknown } }[] }) =>
  body.errors?.[0]?.extensions?.code;

describe('membership races', () => {
  it('a task can be created in a project the moment it exists', async () => {
    for (let i = 0; i < 5; i++) {
      const projectId = await newProject();
      expect(await newTask(projectId)).toMatch(/^[0-9a-f]{24}$/);
    }
  });

  it('a member added a moment ago reads the tasks and documents and can be assigned', async () => {
    const projectId = await newProject();
    const documentId = (
      await ok<{ createDocument: { id: string } }>(graph, manager, CREATE_DOCUMENT, {
        input: { title: 'SOW', fileUrl: 'https://files.example.com/sow.pdf', projectId },
      })
    ).createDocument.id;
    const taskId = await newTask(projectId);
    await ok(graph, manager, ADD_MEMBER, { input: { projectId, userId: member.id } });
    expect((await graph.query(READ_TASK, { id: taskId }, member.headers)).body.errors).toBe(
      undefined,
    );
    expect(
      (await graph.query(READ_DOCUMENT, { id: documentId }, member.headers)).body.errors,
    ).toBeUndefined();
    expect(await newTask(projectId, { assigneeId: member.id })).toBeTruthy();
  });

  it('a member removed a moment ago reads nothing of the project, and their tasks are unassigned', async () => {
    const projectId = await newProject();
    await ok(graph, manager, ADD_MEMBER, { input: { projectId, userId: member.id } });
    const taskId = await newTask(projectId, { assigneeId: member.id });
    const documentId = (
      await ok<{ createDocument: { id: string } }>(graph, manager, CREATE_DOCUMENT, {
        input: { title: 'SOW', fileUrl: 'https://files.example.com/sow.pdf', projectId },
      })
    ).createDocument.id;
    await ok(graph, manager, REMOVE_MEMBER, { input: { projectId, userId: member.id } });
    expect(codeOf((await graph.query(READ_TASK, { id: taskId }, member.headers)).body)).toBe(
      'NOT_FOUND',
    );
    expect(
      codeOf((await graph.query(READ_DOCUMENT, { id: documentId }, member.headers)).body),
    ).toBe('NOT_FOUND');
    const task = await ok<{ task: { assignee: null | { id: string } } }>(
      graph,
      manager,
      READ_TASK,
      { id: taskId },
    );
    expect(task.task.assignee).toBeNull();
  });
});

describe('automation', () => {
  async function complete(taskId: string, by: Person = manager) {
    for (const status of ['IN_PROGRESS', 'DONE']) {
      await ok(graph, by, SET_STATUS, { input: { taskId, status } });
    }
  }

  async function automaticUpdates(projectId: string) {
    const data = await ok<{
      project: {
        statusUpdates: { edges: { node: { message: string; automatic: boolean } }[] };
      };
    }>(graph, manager, STATUS_UPDATES, { id: projectId });
    return data.project.statusUpdates.edges.map((e) => e.node).filter((n) => n.automatic);
  }

  it('posts "All N tasks are done" once when the last open task is done, and again after a reopen', async () => {
    const projectId = await newProject();
    const [a, b] = [await newTask(projectId), await newTask(projectId)];
    await complete(a);
    await complete(b);
    await eventually(async () => (await automaticUpdates(projectId)).length === 1);
    expect(await automaticUpdates(projectId)).toEqual([
      { message: 'All 2 tasks are done', automatic: true, author: { id: manager.id } },
    ]);
    await ok(graph, manager, SET_STATUS, { input: { taskId: b, status: 'TODO' } });
    await complete(b);
    await eventually(async () => (await automaticUpdates(projectId)).length === 2);
  });

  it('posts once when the last tasks are done at the same moment', async () => {
    const projectId = await newProject();
    const tasks = await Promise.all([1, 2, 3, 4].map(() => newTask(projectId)));
    for (const taskId of tasks) {
      await ok(graph, manager, SET_STATUS, { input: { taskId, status: 'IN_PROGRESS' } });
    }
    await Promise.all(
      tasks.map((taskId) => ok(graph, manager, SET_STATUS, { input: { taskId, status: 'DONE' } })),
    );
    await eventually(async () => (await automaticUpdates(projectId)).length >= 1);
    // Give a duplicate every chance to show up before checking there is none.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await automaticUpdates(projectId)).toEqual([
      { message: 'All 4 tasks are done', automatic: true, author: { id: manager.id } },
    ]);
  });
});

describe('cascades', () => {
  it('deleting a project takes its tasks, status updates and documents with it', async () => {
    const projectId = await newProject();
    const taskId = await newTask(projectId);
    await ok(
      graph,
      manager,
      'mutation ($input: PostStatusUpdateInput!) { postStatusUpdate(input: $input) { id } }',
      { input: { projectId, message: 'Kick-off done' } },
    );
    const documentId = (
      await ok<{ createDocument: { id: string } }>(graph, manager, CREATE_DOCUMENT, {
        input: { title: 'SOW', fileUrl: 'https://files.example.com/sow.pdf', projectId },
      })
    ).createDocument.id;
    await ok(graph, manager, 'mutation ($id: ID!) { deleteProject(id: $id) }', { id: projectId });
    // Not even an admin reads any of it once the deletion has answered.
    expect(codeOf((await graph.query(READ_TASK, { id: taskId }, admin.headers)).body)).toBe(
      'NOT_FOUND',
    );
    expect(codeOf((await graph.query(READ_DOCUMENT, { id: documentId }, admin.headers)).body)).toBe(
      'NOT_FOUND',
    );
    const lists = await ok<{ documents: { totalCount: number } }>(
      graph,
      admin,
      'query ($id: ID!) { documents(filter: { projectId: $id }) { totalCount } }',
      { id: projectId },
    );
    expect(lists.documents.totalCount).toBe(0);
  });

  it('deleting a user unassigns their tasks; a manager of projects cannot be deleted until reassigned', async () => {
    const leaving = await signUp(graph, admin, 'MEMBER', 'leaving');
    const projectId = await newProject();
    await ok(graph, manager, ADD_MEMBER, { input: { projectId, userId: leaving.id } });
    const taskId = await newTask(projectId, { assigneeId: leaving.id });
    await ok(graph, leaving, 'mutation ($p: String!) { deleteAccount(password: $p) }', {
      p: leaving.password,
    });
    await eventually(async () => {
      const data = await ok<{ task: { assignee: null | { id: string } } }>(
        graph,
        manager,
        READ_TASK,
        { id: taskId },
      );
      return data.task.assignee === null;
    });
    const members = await ok<{ project: { members: { id: string }[] } }>(
      graph,
      manager,
      'query ($id: ID!) { project(id: $id) { members { id } } }',
      { id: projectId },
    );
    expect(members.project.members).toEqual([]);

    const boss = await signUp(graph, admin, 'MANAGER', 'boss');
    const owned = await newProject(boss);
    const refused = await graph.query(
      'mutation ($p: String!) { deleteAccount(password: $p) }',
      { p: boss.password },
      boss.headers,
    );
    expect(codeOf(refused.body)).toBe('CONFLICT');
    await ok(
      graph,
      admin,
      'mutation ($input: UpdateProjectInput!) { updateProject(input: $input) { id } }',
      { input: { id: owned, managerId: manager.id } },
    );
    await ok(graph, boss, 'mutation ($p: String!) { deleteAccount(password: $p) }', {
      p: boss.password,
    });
    // Three sign-ups and three password checks (deliberately slow hashes) and a cascade through
    // two services' events: 18-29 s on a loaded two-core machine, past jest's default 30 s once.
  }, 90_000);
});

describe('one query across the four subgraphs', () => {
  it('resolves a project with its manager, tasks and assignees, documents and status updates', async () => {
    const projectId = await newProject();
    await ok(graph, manager, ADD_MEMBER, { input: { projectId, userId: member.id } });
    await newTask(projectId, { title: 'Wireframes', assigneeId: member.id });
    await ok(graph, manager, CREATE_DOCUMENT, {
      input: { title: 'SOW', fileUrl: 'https://files.example.com/sow.pdf', projectId },
    });
    const data = await ok<Record<string, unknown>>(
      graph,
      member,
      `query ($id: ID!) { project(id: $id) {
        name manager { username } members { username }
        tasks(first: 20, filter: { status: TODO }) { totalCount
          edges { node { title status overdue assignee { username } } } }
        taskSummary { total done percentComplete }
        documents(first: 5) { edges { node { title owner { username } } } }
        statusUpdates(first: 5) { totalCount } } }`,
      { id: projectId },
    );
    expect(data).toEqual({
      project: {
        name: 'Website relaunch',
        manager: { username: manager.username },
        members: [{ username: member.username }],
        tasks: {
          totalCount: 1,
          edges: [
            {
              node: {
                title: 'Wireframes',
                status: 'TODO',
                overdue: false,
                assignee: { username: member.username },
              },
            },
          ],
        },
        taskSummary: { total: 1, done: 0, percentComplete: 0 },
        documents: { edges: [{ node: { title: 'SOW', owner: { username: manager.username } } }] },
        statusUpdates: { totalCount: 0 },
      },
    });
  });
});

describe('database queries per request (no N+1)', () => {
  /** Database commands each subgraph sent so far (its /metrics), the outbox sweeper's aside. */
  async function commandCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [name, url] of Object.entries(graph.subgraphUrls)) {
      const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
      counts[name] = 0;
      for (const line of text.split('\n')) {
        const match = /^psa_mongodb_commands_total\{(.*)\} (\d+)$/.exec(line);
        if (match && !match[1]?.includes('collection="outbox"')) counts[name] += Number(match[2]);
      }
    }
    return counts;
  }

  async function costOf(query: string, variables: Record<string, unknown>) {
    const before = await commandCounts();
    await ok(graph, manager, query, variables);
    const after = await commandCounts();
    return Object.fromEntries(
      Object.keys(after).map((name) => [name, (after[name] ?? 0) - (before[name] ?? 0)]),
    );
  }

  it('costs the same for a page of 5 tasks as for 50, with assignee, project and manager', async () => {
    const projectId = await newProject();
    const assignees = [member, manager];
    await ok(graph, manager, ADD_MEMBER, { input: { projectId, userId: member.id } });
    for (let i = 0; i < 50; i++) {
      await newTask(projectId, { title: `Task ${i}`, assigneeId: assignees[i % 2]?.id });
    }
    const query = `query ($id: ID!, $first: Int) { project(id: $id) { tasks(first: $first) {
      edges { node { title assignee { username } project { name manager { username } } } } } } }`;
    const small = await costOf(query, { id: projectId, first: 5 });
    const large = await costOf(query, { id: projectId, first: 50 });
    expect(large).toEqual(small);
    // One batched lookup per subgraph fetch in the plan: users twice (assignees, then managers).
    expect(large.users).toBeLessThanOrEqual(2);
    expect(large.projects).toBeLessThanOrEqual(2);
    expect(large.tasks).toBeLessThanOrEqual(3);
  });
});
