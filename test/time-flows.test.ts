/**
 * Time across the subgraphs, through the gateway: membership changes reach the time service at
 * once, the budget thresholds become automatic status updates that `statusUpdated` carries, and
 * deletes (approved time keeps a project; otherwise its time goes with it), with one query that
 * spans projects, tasks, users and time.
 */
import { startGraph, type Graph } from './helpers/graph';
import { loginAdmin, ok, signUp, type Person } from './helpers/people';
import { subscribe, subscriptionsServed } from './helpers/subscriptions';
import { ADD_MEMBER, CREATE_PROJECT, CREATE_TASK, REMOVE_MEMBER } from './helpers/operations';

let graph: Graph;
let admin: Person;
let manager: Person;
let member: Person;

const DELETE_PROJECT = 'mutation ($id: ID!) { deleteProject(id: $id) }';
const LOG = `mutation ($input: LogTimeInput!) { logTime(input: $input) { id minutes } }`;
const SUBMIT = `mutation ($input: SubmitTimesheetInput!) { submitTimesheet(input: $input) { id } }`;
const APPROVE = `mutation ($id: ID!) { approveTimesheet(input: { timesheetId: $id }) { status } }`;
const SET_BUDGET = `mutation ($input: SetProjectBudgetInput!) { setProjectBudget(input: $input) { minutes } }`;
const STATUS_UPDATED = `subscription ($projectId: ID!) { statusUpdated(projectId: $projectId) {
  message automatic } }`;
const TIME_ENTRY = 'query ($id: ID!) { timeEntry(id: $id) { id } }';

beforeAll(async () => {
  graph = await startGraph();
  admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER');
  member = await signUp(graph, admin, 'MEMBER');
});

afterAll(() => graph?.stop());

const codeOf = (body: { errors?: { extensions?: { code?: unknown } }[] }) =>
  body.errors?.[0]?.extensions?.code;

/** The Monday of last week, `YYYY-MM-DD` (UTC). */
function lastMonday(): string {
  const day = new Date();
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7) - 7);
  return day.toISOString().slice(0, 10);
}

async function newProject(members: Person[] = []): Promise<string> {
  const { createProject } = await ok<{ createProject: { id: string } }>(
    graph,
    manager,
    CREATE_PROJECT,
    {
      input: { name: 'Website relaunch', status: 'ACTIVE' },
    },
  );
  for (const person of members) {
    await ok(graph, manager, ADD_MEMBER, {
      input: { projectId: createProject.id, userId: person.id },
    });
  }
  return createProject.id;
}

const log = (person: Person, projectId: string, input: Record<string, unknown> = {}) =>
  graph.query<{ logTime: { id: string; minutes: number } }>(
    LOG,
    { input: { projectId, date: lastMonday(), minutes: 60, ...input } },
    person.headers,
  );

it('lets a member log time the moment they are added, and not a moment after they are removed', async () => {
  const projectId = await newProject();
  expect(codeOf((await log(member, projectId)).body)).toBe('NOT_FOUND');
  await ok(graph, manager, ADD_MEMBER, { input: { projectId, userId: member.id } });
  expect((await log(member, projectId)).body.errors).toBeUndefined();
  // The manager can log right after creating the project.
  expect((await log(manager, await newProject())).body.errors).toBeUndefined();
  await ok(graph, manager, REMOVE_MEMBER, { input: { projectId, userId: member.id } });
  expect(codeOf((await log(member, projectId)).body)).toBe('NOT_FOUND');
});

it('posts "80% of the budget is used" and "100% …" once each, carried by statusUpdated', async () => {
  const projectId = await newProject([member]);
  await ok(graph, manager, SET_BUDGET, { input: { projectId, minutes: 100 } });
  const feed = subscribe<{ statusUpdated: { message: string; automatic: boolean } }>(
    graph.gatewayUrl,
    manager.token,
    STATUS_UPDATED,
    { projectId },
  );
  await subscriptionsServed(graph.gatewayUrl, 1);
  await log(member, projectId, { minutes: 85 });
  await log(member, projectId, { minutes: 5 });
  await log(member, projectId, { minutes: 10 });
  await feed.received(2);
  expect(feed.results.map((r) => r.data?.statusUpdated)).toEqual([
    { message: '80% of the budget is used', automatic: true },
    { message: '100% of the budget is used', automatic: true },
  ]);
  await feed.dispose();
  const { project } = await ok<{
    project: {
      statusUpdates: { edges: { node: { message: string } }[] };
      budget: { percentUsed: number };
    };
  }>(
    graph,
    manager,
    `query ($id: ID!) { project(id: $id) {
    statusUpdates(first: 20) { edges { node { message } } } budget { percentUsed } } }`,
    { id: projectId },
  );
  expect(project.statusUpdates.edges.map((e) => e.node.message)).toEqual([
    '80% of the budget is used',
    '100% of the budget is used',
  ]);
  expect(project.budget.percentUsed).toBe(100);
});

it('refuses to delete a project with approved time (CONFLICT) and keeps its billing records', async () => {
  const projectId = await newProject([member]);
  const entry = (await log(member, projectId)).body.data!.logTime;
  const sheet = await ok<{ submitTimesheet: { id: string } }>(graph, member, SUBMIT, {
    input: { projectId, weekStart: lastMonday() },
  });
  await ok(graph, manager, APPROVE, { id: sheet.submitTimesheet.id });
  const refused = await graph.query(DELETE_PROJECT, { id: projectId }, manager.headers);
  expect(codeOf(refused.body)).toBe('CONFLICT');
  expect(
    (await graph.query(TIME_ENTRY, { id: entry.id }, manager.headers)).body.errors,
  ).toBeUndefined();
  expect(codeOf((await graph.query(DELETE_PROJECT, { id: projectId }, admin.headers)).body)).toBe(
    'CONFLICT',
  );
});

it("deletes a project's time with it when none is approved", async () => {
  const projectId = await newProject([member]);
  const entry = (await log(member, projectId)).body.data!.logTime;
  await ok(graph, manager, DELETE_PROJECT, { id: projectId });
  expect(codeOf((await graph.query(TIME_ENTRY, { id: entry.id }, member.headers)).body)).toBe(
    'NOT_FOUND',
  );
});

it('answers one query across projects, tasks, users and time', async () => {
  const projectId = await newProject([member]);
  const { createTask } = await ok<{ createTask: { id: string } }>(graph, manager, CREATE_TASK, {
    input: { projectId, title: 'Wireframes' },
  });
  await log(member, projectId, { taskId: createTask.id, minutes: 45 });
  const { project } = await ok<{
    project: {
      timeEntries: {
        edges: { node: { minutes: number; user: { username: string }; task: { title: string } } }[];
      };
      tasks: { edges: { node: { timeSpentMinutes: number } }[] };
    };
  }>(
    graph,
    manager,
    `query ($id: ID!) { project(id: $id) {
    timeEntries { edges { node { minutes user { username } task { title } } } }
    tasks { edges { node { timeSpentMinutes } } } } }`,
    { id: projectId },
  );
  expect(project.timeEntries.edges.map((e) => e.node)).toEqual([
    { minutes: 45, user: { username: member.username }, task: { title: 'Wireframes' } },
  ]);
  expect(project.tasks.edges[0]?.node.timeSpentMinutes).toBe(45);
});
