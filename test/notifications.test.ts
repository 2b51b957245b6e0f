/**
 * Notifications through the gateway, with the real services: each kind reaches exactly the users
 * the notifications policy names (never the one who caused it), read as `User.notifications`,
 * counted, marked read, and hidden once the recipient left the project.
 */
import { startGraph, type Graph } from './helpers/graph';
import { eventually, loginAdmin, ok, signUp, type Person } from './helpers/people';

let graph: Graph;
let admin: Person;
let manager: Person;
let member: Person;
let other: Person;

const CREATE_PROJECT =
  'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }';
const ADD_MEMBER =
  'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }';
const REMOVE_MEMBER =
  'mutation ($input: RemoveProjectMemberInput!) { removeProjectMember(input: $input) { id } }';
const CREATE_TASK = 'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }';
const ASSIGN = 'mutation ($input: AssignTaskInput!) { assignTask(input: $input) { id } }';
const MARK_READ =
  'mutation ($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) }';

export interface NotificationView {
  id: string;
  kind: string;
  message: string;
  read: boolean;
  createdAt: string;
  project: { id: string; name: string } | null;
  task: { id: string; title: string } | null;
  document: { id: string; title: string } | null;
  actor: { id: string } | null;
}

const NOTIFICATIONS = `query ($id: ID!, $first: Int, $after: String, $unreadOnly: Boolean) {
  user(id: $id) {
    unreadNotificationCount
    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id kind message read createdAt project { id name } task { id title }
        document { id title } actor { id } } } } } }`;

interface NotificationsData {
  user: {
    unreadNotificationCount: number;
    notifications: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { cursor: string; node: NotificationView }[];
    };
  };
}

/** `person`'s notifications as they read them (the first 100, newest first). */
async function inbox(person: Person, args: Record<string, unknown> = {}) {
  const data = await ok<NotificationsData>(graph, person, NOTIFICATIONS, {
    id: person.id,
    first: 100,
    ...args,
  });
  return data.user;
}

const kindsOf = async (person: Person): Promise<string[]> =>
  (await inbox(person)).notifications.edges.map((edge) => edge.node.kind);

beforeAll(async () => {
  graph = await startGraph();
  admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER');
  member = await signUp(graph, admin, 'MEMBER');
  other = await signUp(graph, admin, 'MEMBER');
});

afterAll(() => graph?.stop());

async function newProject(members: Person[] = []): Promise<string> {
  const { createProject } = await ok<{ createProject: { id: string } }>(
    graph,
    manager,
    CREATE_PROJECT,
    { input: { name: `Relaunch ${Math.random().toString(36).slice(2, 8)}`, status: 'ACTIVE' } },
  );
  for (const person of members) {
    await ok(graph, manager, ADD_MEMBER, {
      input: { projectId: createProject.id, userId: person.id },
    });
  }
  return createProject.id;
}

it('tells an added member (and no one else), linking the project and the manager who added them', async () => {
  const before = (await inbox(member)).notifications.totalCount;
  const projectId = await newProject([member]);
  await eventually(async () => (await inbox(member)).notifications.totalCount > before);
  const { notifications, unreadNotificationCount } = await inbox(member);
  const [latest] = notifications.edges.map((edge) => edge.node);
  expect(latest).toMatchObject({
    kind: 'MEMBER_ADDED',
    read: false,
    project: { id: projectId },
    task: null,
    actor: { id: manager.id },
  });
  expect(latest?.message).toContain('added to the project');
  expect(unreadNotificationCount).toBeGreaterThan(0);
  // The manager caused it: nothing for them.
  expect(await kindsOf(manager)).not.toContain('MEMBER_ADDED');
});

it('tells the assignee of a new or reassigned task, never the manager who assigned it', async () => {
  const projectId = await newProject([member, other]);
  const { createTask } = await ok<{ createTask: { id: string } }>(graph, manager, CREATE_TASK, {
    input: { projectId, title: 'Write the report', assigneeId: member.id },
  });
  const assignedTo = async (person: Person) =>
    (await inbox(person)).notifications.edges
      .map((edge) => edge.node)
      .filter((node) => node.kind === 'TASK_ASSIGNED' && node.task?.id === createTask.id);
  await eventually(async () => (await assignedTo(member)).length === 1);
  expect((await assignedTo(member))[0]).toMatchObject({
    task: { id: createTask.id, title: 'Write the report' },
    project: { id: projectId },
    actor: { id: manager.id },
  });
  await ok(graph, manager, ASSIGN, { input: { taskId: createTask.id, assigneeId: other.id } });
  await eventually(async () => (await assignedTo(other)).length === 1);
  expect(await assignedTo(manager)).toEqual([]);
  expect(await assignedTo(member)).toHaveLength(1);
});

it('pages newest first, counts and marks read (by ids and all), for the user themselves only', async () => {
  const projectId = await newProject([member]);
  for (const title of ['One', 'Two', 'Three']) {
    await ok(graph, manager, CREATE_TASK, { input: { projectId, title, assigneeId: member.id } });
  }
  await eventually(
    async () => (await kindsOf(member)).filter((k) => k === 'TASK_ASSIGNED').length >= 3,
  );
  const all = (await inbox(member)).notifications.edges.map((edge) => edge.node);
  const created = all.map((node) => node.createdAt);
  expect([...created].sort().reverse()).toEqual(created);
  // Pages of one follow the same order.
  const first = await inbox(member, { first: 1 });
  const second = await inbox(member, { first: 1, after: first.notifications.pageInfo.endCursor });
  expect(first.notifications.pageInfo.hasNextPage).toBe(true);
  expect(second.notifications.edges[0]?.node.id).toBe(all[1]?.id);

  const unread = (await inbox(member)).unreadNotificationCount;
  const [newest] = all;
  const marked = await ok<{ markNotificationsRead: number }>(graph, member, MARK_READ, {
    input: { ids: [newest?.id] },
  });
  expect(marked.markNotificationsRead).toBe(1);
  expect((await inbox(member)).unreadNotificationCount).toBe(unread - 1);
  // Marking again changes nothing; someone else's ids are not theirs to mark.
  expect(
    (
      await ok<{ markNotificationsRead: number }>(graph, member, MARK_READ, {
        input: { ids: [newest?.id] },
      })
    ).markNotificationsRead,
  ).toBe(0);
  expect(
    (
      await ok<{ markNotificationsRead: number }>(graph, other, MARK_READ, {
        input: { ids: [all[1]?.id] },
      })
    ).markNotificationsRead,
  ).toBe(0);
  const onlyUnread = await inbox(member, { unreadOnly: true });
  expect(onlyUnread.notifications.edges.every((edge) => !edge.node.read)).toBe(true);
  expect(onlyUnread.notifications.totalCount).toBe(unread - 1);
  const rest = await ok<{ markNotificationsRead: number }>(graph, member, MARK_READ, {
    input: { all: true },
  });
  expect(rest.markNotificationsRead).toBe(unread - 1);
  expect((await inbox(member)).unreadNotificationCount).toBe(0);

  // Another member may not read them; an admin may.
  const { body } = await graph.query(NOTIFICATIONS, { id: member.id }, other.headers);
  expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  const asAdmin = await ok<NotificationsData>(graph, admin, NOTIFICATIONS, { id: member.id });
  expect(asAdmin.user.notifications.totalCount).toBe(all.length);
});

it('refuses a malformed markNotificationsRead naming the field', async () => {
  const refusal = async (input: Record<string, unknown>) =>
    (await graph.query(MARK_READ, { input }, member.headers)).body.errors?.[0]?.extensions;
  expect(await refusal({})).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.ids' });
  expect(await refusal({ ids: ['x'], all: true })).toMatchObject({ code: 'BAD_USER_INPUT' });
  expect(await refusal({ ids: ['not-an-id'] })).toMatchObject({
    code: 'BAD_USER_INPUT',
    field: 'input.ids',
  });
  const { body } = await graph.query(MARK_READ, { input: { all: true } });
  expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
});

it("hides a project's notifications from someone removed from it", async () => {
  const projectId = await newProject([other]);
  const about = async () =>
    (await inbox(other)).notifications.edges.filter((edge) => edge.node.project?.id === projectId);
  await eventually(async () => (await about()).length === 1);
  await ok(graph, manager, REMOVE_MEMBER, { input: { projectId, userId: other.id } });
  await eventually(async () => (await about()).length === 0);
});
