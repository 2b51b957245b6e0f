/**
 * Notifications through the gateway, with the real services: each kind reaches exactly the users
 * the notifications policy names (never the one who caused it), read as `User.notifications`,
 * counted, marked read, and hidden once the recipient left the project.
 */
import { startGraph, type Graph } from './helpers/graph';
import { eventually, loginAdmin, ok, signUp, type Person } from './helpers/people';
import { subscribe } from './helpers/subscriptions';
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
let other: Person;

const ASSIGN = 'mutation ($input: AssignTaskInput!) { assignTask(input: $input) { id } }';
const POST_UPDATE =
  'mutation ($input: PostStatusUpdateInput!) { postStatusUpdate(input: $input) { id } }';
const SHARE = 'mutation ($input: ShareDocumentInput!) { shareDocument(input: $input) { id } }';
const UNSHARE =
  'mutation ($input: UnshareDocumentInput!) { unshareDocument(input: $input) { id } }';
const DELETE_DOCUMENT = 'mutation ($id: ID!) { deleteDocument(id: $id) }';
const LOG = 'mutation ($input: LogTimeInput!) { logTime(input: $input) { id } }';
const SUBMIT = 'mutation ($input: SubmitTimesheetInput!) { submitTimesheet(input: $input) { id } }';
const APPROVE = 'mutation ($id: ID!) { approveTimesheet(input: { timesheetId: $id }) { id } }';
const REJECT = `mutation ($id: ID!, $reason: String!) {
  rejectTimesheet(input: { timesheetId: $id, reason: $reason }) { id } }`;
const SET_BUDGET =
  'mutation ($input: SetProjectBudgetInput!) { setProjectBudget(input: $input) { minutes } }';
const RECEIVED = `subscription { notificationReceived { id kind message task { id title }
  actor { id } } }`;
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
  // Six services and a gateway: on a loaded machine they take longer than the default 30 s.
}, 120_000);

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

/** The Monday of last week, `YYYY-MM-DD` (UTC). */
function lastMonday(): string {
  const day = new Date();
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7) - 7);
  return day.toISOString().slice(0, 10);
}

/** `person`'s notifications of `kind` about project `projectId`, once there are `count`. */
async function awaitKind(person: Person, kind: string, projectId: string | null, count = 1) {
  const matching = async () =>
    (await inbox(person)).notifications.edges
      .map((edge) => edge.node)
      .filter(
        (node) => node.kind === kind && (projectId === null || node.project?.id === projectId),
      );
  await eventually(async () => (await matching()).length >= count);
  return matching();
}

it("tells a project's manager and members of a status update, never its author", async () => {
  const projectId = await newProject([member, other]);
  await ok(graph, admin, POST_UPDATE, { input: { projectId, message: 'Phase one is signed off' } });
  for (const person of [manager, member, other]) {
    const [update] = await awaitKind(person, 'STATUS_UPDATE_POSTED', projectId);
    expect(update).toMatchObject({ actor: { id: admin.id }, project: { id: projectId } });
    expect(update?.message).toContain('Phase one is signed off');
  }
  await ok(graph, manager, POST_UPDATE, { input: { projectId, message: 'Phase two starts' } });
  await awaitKind(member, 'STATUS_UPDATE_POSTED', projectId, 2);
  await awaitKind(other, 'STATUS_UPDATE_POSTED', projectId, 2);
  expect(await awaitKind(manager, 'STATUS_UPDATE_POSTED', projectId)).toHaveLength(1);
});

it('tells the user a document was shared with, linking the document', async () => {
  const { createDocument } = await ok<{ createDocument: { id: string } }>(
    graph,
    member,
    CREATE_DOCUMENT,
    { input: { title: 'Statement of work', fileUrl: 'https://files.example.com/sow.pdf' } },
  );
  await ok(graph, member, SHARE, { input: { documentId: createDocument.id, userId: other.id } });
  const shared = async (person: Person) =>
    (await inbox(person)).notifications.edges
      .map((edge) => edge.node)
      .filter((node) => node.kind === 'DOCUMENT_SHARED' && node.document?.id === createDocument.id);
  await eventually(async () => (await shared(other)).length === 1);
  expect((await shared(other))[0]).toMatchObject({
    document: { id: createDocument.id, title: 'Statement of work' },
    actor: { id: member.id },
  });
  expect(await shared(member)).toEqual([]);
});

it('takes a DOCUMENT_SHARED away when the share is taken back or the document deleted', async () => {
  const create = async (title: string) =>
    (
      await ok<{ createDocument: { id: string } }>(graph, member, CREATE_DOCUMENT, {
        input: { title, fileUrl: 'https://files.example.com/brief.pdf' },
      })
    ).createDocument.id;
  const sharedIds = async () =>
    (await inbox(other)).notifications.edges
      .filter((edge) => edge.node.kind === 'DOCUMENT_SHARED')
      .map((edge) => edge.node.document?.id);
  const unshared = await create('Brief, first draft');
  const deleted = await create('Brief, second draft');
  const kept = await create('Brief, final');
  for (const documentId of [unshared, deleted, kept]) {
    await ok(graph, member, SHARE, { input: { documentId, userId: other.id } });
  }
  await eventually(async () => {
    const ids = await sharedIds();
    return [unshared, deleted, kept].every((id) => ids.includes(id));
  });

  await ok(graph, member, UNSHARE, { input: { documentId: unshared, userId: other.id } });
  await ok(graph, member, DELETE_DOCUMENT, { id: deleted });
  await eventually(async () => {
    const ids = await sharedIds();
    return !ids.includes(unshared) && !ids.includes(deleted);
  });
  expect(await sharedIds()).toContain(kept);
});

it('tells the manager of a submitted timesheet, and the submitter of its rejection (with the reason) and approval', async () => {
  const projectId = await newProject([member]);
  await ok(graph, member, LOG, { input: { projectId, date: lastMonday(), minutes: 90 } });
  const submit = () =>
    ok<{ submitTimesheet: { id: string } }>(graph, member, SUBMIT, {
      input: { projectId, weekStart: lastMonday() },
    });
  const sheet = (await submit()).submitTimesheet.id;
  const [submitted] = await awaitKind(manager, 'TIMESHEET_SUBMITTED', projectId);
  expect(submitted).toMatchObject({ actor: { id: member.id } });
  expect(submitted?.message).toContain(lastMonday());
  await ok(graph, manager, REJECT, { id: sheet, reason: 'Split the workshop hours' });
  const [rejected] = await awaitKind(member, 'TIMESHEET_REJECTED', projectId);
  expect(rejected?.message).toContain('Split the workshop hours');
  expect(rejected?.actor).toEqual({ id: manager.id });
  await submit();
  await awaitKind(manager, 'TIMESHEET_SUBMITTED', projectId, 2);
  await ok(graph, manager, APPROVE, { id: sheet });
  const [approved] = await awaitKind(member, 'TIMESHEET_APPROVED', projectId);
  expect(approved?.actor).toEqual({ id: manager.id });
  // Nobody hears of their own doing.
  const kinds = (await inbox(member)).notifications.edges
    .filter((edge) => edge.node.project?.id === projectId)
    .map((edge) => edge.node.kind);
  expect(kinds).not.toContain('TIMESHEET_SUBMITTED');
});

it("tells a project's manager when its logged time crosses a budget threshold", async () => {
  const projectId = await newProject([member]);
  await ok(graph, manager, SET_BUDGET, { input: { projectId, minutes: 100 } });
  await ok(graph, member, LOG, { input: { projectId, date: lastMonday(), minutes: 85 } });
  const [crossing] = await awaitKind(manager, 'BUDGET_THRESHOLD', projectId);
  expect(crossing).toMatchObject({ actor: { id: member.id }, project: { id: projectId } });
  expect(crossing?.message).toContain('80%');
  expect((await inbox(member)).notifications.edges.map((edge) => edge.node.kind)).not.toContain(
    'BUDGET_THRESHOLD',
  );
});

it("delivers each caller's own notifications live, through the gateway, and no one else's", async () => {
  const mine = subscribe<{ notificationReceived: NotificationView }>(
    graph.gatewayUrl,
    member.token,
    RECEIVED,
  );
  const theirs = subscribe<{ notificationReceived: NotificationView }>(
    graph.gatewayUrl,
    other.token,
    RECEIVED,
  );
  try {
    const projectId = await newProject([other]);
    // `other` hears of being added: the first thing on their subscription is theirs.
    await theirs.received(1);
    expect(theirs.results[0]?.data?.notificationReceived.kind).toBe('MEMBER_ADDED');
    await ok(graph, manager, ADD_MEMBER, { input: { projectId, userId: member.id } });
    const { createTask } = await ok<{ createTask: { id: string } }>(graph, manager, CREATE_TASK, {
      input: { projectId, title: 'Live task', assigneeId: member.id },
    });
    await mine.received(2);
    expect(mine.results.map((result) => result.data?.notificationReceived.kind)).toEqual([
      'MEMBER_ADDED',
      'TASK_ASSIGNED',
    ]);
    expect(mine.results[1]?.data?.notificationReceived).toMatchObject({
      task: { id: createTask.id, title: 'Live task' },
      actor: { id: manager.id },
    });
    // Nothing of member's reached other.
    expect(theirs.results.map((result) => result.data?.notificationReceived.kind)).toEqual([
      'MEMBER_ADDED',
    ]);
  } finally {
    await mine.dispose();
    await theirs.dispose();
  }
});

it('refuses a subscription without a token', async () => {
  const anonymous = subscribe(graph.gatewayUrl, null, RECEIVED);
  const { code } = await anonymous.closed;
  expect(code).toBe(4401);
});
