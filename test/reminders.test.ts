/**
 * Task reminders through the gateway, with the real services on the test MongoDB and Redis, and a
 * due-soon window of seconds instead of 24 hours: TASK_DUE_SOON reaches the assignee once when an
 * open task comes within the window, TASK_OVERDUE the assignee and the project's manager once at
 * the due date; a moved due date re-arms both; a done, deleted or unassigned task is told nothing;
 * nobody hears of what they caused. Then across a restart of the notifications service, and with
 * a second replica of it (another process) on the same database: each reminder exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@psa/shared/testing';
import { MongoClient } from 'mongodb';
import { startGraph, type Graph } from './helpers/graph';
import { eventually, loginAdmin, ok, signUp, type Person } from './helpers/people';
import { subscribe } from './helpers/subscriptions';
import { ADD_MEMBER, CREATE_PROJECT, CREATE_TASK } from './helpers/operations';

const ROOT = path.resolve(__dirname, '..');
/** The due-soon window: TASK_DUE_SOON_HOURS = 0.002 (7.2 s). */
const WINDOW_MS = 7_200;
/** How often the reminders are looked for. */
const POLL_MS = 500;

let graph: Graph;
let admin: Person;
let manager: Person;
let member: Person;
let other: Person;

const UPDATE_TASK = 'mutation ($input: UpdateTaskInput!) { updateTask(input: $input) { id } }';
const ASSIGN = 'mutation ($input: AssignTaskInput!) { assignTask(input: $input) { id } }';
const SET_STATUS = 'mutation ($input: SetTaskStatusInput!) { setTaskStatus(input: $input) { id } }';
const DELETE_TASK = 'mutation ($id: ID!) { deleteTask(id: $id) }';
const RECEIVED = 'subscription { notificationReceived { id kind task { id } } }';
const NOTIFICATIONS = `query ($id: ID!, $after: String) {
  user(id: $id) {
    notifications(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id kind message createdAt project { id } task { id } actor { id } } } } } }`;

interface Reminder {
  id: string;
  kind: string;
  message: string;
  createdAt: string;
  project: { id: string } | null;
  task: { id: string } | null;
  actor: { id: string } | null;
}

interface NotificationsData {
  user: {
    notifications: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { node: Reminder }[];
    };
  };
}

/** Every notification of `person`, newest first. */
async function inbox(person: Person): Promise<Reminder[]> {
  const all: Reminder[] = [];
  let after: string | null = null;
  for (;;) {
    const data: NotificationsData = await ok<NotificationsData>(graph, person, NOTIFICATIONS, {
      id: person.id,
      after,
    });
    all.push(...data.user.notifications.edges.map((edge) => edge.node));
    if (!data.user.notifications.pageInfo.hasNextPage) return all;
    after = data.user.notifications.pageInfo.endCursor;
  }
}

/** `person`'s reminders (TASK_DUE_SOON, TASK_OVERDUE) about the tasks `taskIds`. */
async function remindersOf(person: Person, taskIds: readonly string[]): Promise<Reminder[]> {
  return (await inbox(person)).filter(
    (node) =>
      (node.kind === 'TASK_DUE_SOON' || node.kind === 'TASK_OVERDUE') &&
      node.task !== null &&
      taskIds.includes(node.task.id),
  );
}

const ofKind = (reminders: Reminder[], kind: string, taskId?: string): Reminder[] =>
  reminders.filter((node) => node.kind === kind && (!taskId || node.task?.id === taskId));

/** Waits until `person` has `count` reminders of `kind` about `taskIds` (or more), and returns all of theirs. */
async function awaitReminders(
  person: Person,
  taskIds: readonly string[],
  kind: string,
  count: number,
  timeoutMs = 30_000,
): Promise<Reminder[]> {
  await eventually(
    async () => ofKind(await remindersOf(person, taskIds), kind).length >= count,
    timeoutMs,
    100,
  );
  return remindersOf(person, taskIds);
}

/** A few scans more: what was to come once has come, and a second would have come by now. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 4 * POLL_MS));
const sleepUntil = (ms: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms - Date.now())));

beforeAll(async () => {
  graph = await startGraph({
    env: {
      REMINDER_POLL_MS: String(POLL_MS),
      // Shorter than most moments are away: reminders taken at arming (Pulse takes a job saved
      // within the next scan at once) lose their lock before their moment, so the periodic
      // scans must find them again.
      REMINDER_LOCK_MS: '2000',
      TASK_DUE_SOON_HOURS: String(WINDOW_MS / 3_600_000),
    },
  });
  admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER');
  member = await signUp(graph, admin, 'MEMBER');
  other = await signUp(graph, admin, 'MEMBER');
  // Six services and a gateway: on a loaded machine they take longer than the default 30 s.
}, 120_000);

afterAll(() => graph?.stop());

async function newProject(): Promise<string> {
  const { createProject } = await ok<{ createProject: { id: string } }>(
    graph,
    manager,
    CREATE_PROJECT,
    { input: { name: `Reminders ${Math.random().toString(36).slice(2, 8)}`, status: 'ACTIVE' } },
  );
  for (const person of [member, other]) {
    await ok(graph, manager, ADD_MEMBER, {
      input: { projectId: createProject.id, userId: person.id },
    });
  }
  return createProject.id;
}

/** A task the manager creates, assigned to `assignee` (null: nobody), due at `due`. */
async function newTask(
  projectId: string,
  due: Date,
  assignee: Person | null = member,
  title = 'Send the proposal',
): Promise<string> {
  const { createTask } = await ok<{ createTask: { id: string } }>(graph, manager, CREATE_TASK, {
    input: { projectId, title, dueDate: due.toISOString(), assigneeId: assignee?.id ?? null },
  });
  return createTask.id;
}

const inMs = (ms: number): Date => new Date(Date.now() + ms);

it('tells the assignee once when an open task comes within the window, and the assignee and the manager once when it is overdue', async () => {
  const projectId = await newProject();
  const due = inMs(10_000);
  const taskId = await newTask(projectId, due);
  const mine = await awaitReminders(member, [taskId], 'TASK_OVERDUE', 1);
  const theirs = await awaitReminders(manager, [taskId], 'TASK_OVERDUE', 1);
  await settle();
  const [soon, ...moreSoon] = ofKind(await remindersOf(member, [taskId]), 'TASK_DUE_SOON');
  const [overdue, ...moreOverdue] = ofKind(mine, 'TASK_OVERDUE');
  expect(moreSoon).toEqual([]);
  expect(moreOverdue).toEqual([]);
  // Not before their moments: the window before the due date, the due date.
  expect(Date.parse(soon?.createdAt ?? '')).toBeGreaterThanOrEqual(due.getTime() - WINDOW_MS);
  expect(Date.parse(overdue?.createdAt ?? '')).toBeGreaterThanOrEqual(due.getTime());
  for (const reminder of [soon, overdue, ...theirs]) {
    // Nobody caused them: the clock did.
    expect(reminder).toMatchObject({
      project: { id: projectId },
      task: { id: taskId },
      actor: null,
    });
    expect(reminder?.message).toContain('Send the proposal');
    expect(reminder?.message).toContain(due.toISOString());
  }
  expect(soon?.message).toContain('is due');
  expect(overdue?.message).toContain('is overdue');
  // The manager hears of it overdue only; the other member of nothing.
  expect((await remindersOf(manager, [taskId])).map((node) => node.kind)).toEqual(['TASK_OVERDUE']);
  expect(await remindersOf(other, [taskId])).toEqual([]);
}, 60_000);

it('re-arms both reminders when the due date is moved later', async () => {
  const projectId = await newProject();
  const first = inMs(5_000);
  const taskId = await newTask(projectId, first);
  await awaitReminders(manager, [taskId], 'TASK_OVERDUE', 1);
  const later = inMs(4_000);
  await ok(graph, manager, UPDATE_TASK, { input: { id: taskId, dueDate: later.toISOString() } });
  await awaitReminders(member, [taskId], 'TASK_OVERDUE', 2);
  await awaitReminders(manager, [taskId], 'TASK_OVERDUE', 2);
  await settle();
  const mine = await remindersOf(member, [taskId]);
  for (const kind of ['TASK_DUE_SOON', 'TASK_OVERDUE']) {
    // One for each due date, newest first.
    expect(ofKind(mine, kind).map((node) => node.message.includes(later.toISOString()))).toEqual([
      true,
      false,
    ]);
  }
  expect(ofKind(await remindersOf(manager, [taskId]), 'TASK_OVERDUE')).toHaveLength(2);
}, 60_000);

it('tells nobody of a task that was done, deleted or unassigned before its reminders', async () => {
  const projectId = await newProject();
  const due = inMs(16_000);
  const kept = await newTask(projectId, due, member, 'Kept');
  const done = await newTask(projectId, due, member, 'Done');
  const deleted = await newTask(projectId, due, member, 'Deleted');
  const unassigned = await newTask(projectId, due, member, 'Unassigned');
  for (const status of ['IN_PROGRESS', 'DONE']) {
    await ok(graph, manager, SET_STATUS, { input: { taskId: done, status } });
  }
  await ok(graph, manager, DELETE_TASK, { id: deleted });
  await ok(graph, manager, ASSIGN, { input: { taskId: unassigned, assigneeId: null } });
  // Also a task nobody was ever assigned: no reminder either, not even for the manager.
  const nobodys = await newTask(projectId, due, null, 'Nobody’s');
  // The kept task's reminders come at the same moments as the others' would.
  await awaitReminders(member, [kept], 'TASK_OVERDUE', 1);
  await awaitReminders(manager, [kept], 'TASK_OVERDUE', 1);
  await settle();
  const silent = [done, deleted, unassigned, nobodys];
  for (const person of [member, manager, other]) {
    expect(await remindersOf(person, silent)).toEqual([]);
  }
  expect(ofKind(await remindersOf(member, [kept]), 'TASK_DUE_SOON')).toHaveLength(1);
}, 60_000);

it('tells nobody of a reminder their own change made due at once', async () => {
  const projectId = await newProject();
  // The manager creates a task already overdue: the assignee hears of it, the manager does not.
  const late = await newTask(projectId, new Date(Date.now() - 3_600_000), member, 'Late already');
  // The assignee moves their task's due date into the window: no TASK_DUE_SOON for them (they
  // did it), but TASK_OVERDUE at the due date (the clock did that) for them and the manager.
  const moved = await newTask(projectId, inMs(3_600_000), member, 'Moved closer');
  const closer = inMs(4_000);
  await ok(graph, member, UPDATE_TASK, { input: { id: moved, dueDate: closer.toISOString() } });
  // The manager assigns a task due soon to themselves: nothing now; overdue once, not twice.
  const own = await newTask(projectId, inMs(4_000), manager, 'Own task');
  await awaitReminders(member, [late], 'TASK_OVERDUE', 1);
  await awaitReminders(member, [moved], 'TASK_OVERDUE', 1);
  await awaitReminders(manager, [moved, own], 'TASK_OVERDUE', 2);
  await settle();
  expect((await remindersOf(member, [late, moved])).map((node) => node.kind)).toEqual([
    'TASK_OVERDUE',
    'TASK_OVERDUE',
  ]);
  const managers = await remindersOf(manager, [late, moved, own]);
  expect(managers.map((node) => [node.kind, node.task?.id]).sort()).toEqual(
    [
      ['TASK_OVERDUE', moved],
      ['TASK_OVERDUE', own],
    ].sort(),
  );
}, 60_000);

it('sends a reminder whose moment came while the notifications service was stopped once it is back, once', async () => {
  const projectId = await newProject();
  const due = inMs(14_000);
  const taskId = await newTask(projectId, due);
  // Armed: the assignment was heard (the reminders are armed before it is told).
  await eventually(async () =>
    (await inbox(member)).some((node) => node.kind === 'TASK_ASSIGNED' && node.task?.id === taskId),
  );
  await graph.stopSubgraph('notifications');
  try {
    expect(Date.now()).toBeLessThan(due.getTime() - WINDOW_MS);
    // Both moments pass while it is down.
    await sleepUntil(due.getTime() + 1_000);
  } finally {
    await graph.startSubgraph('notifications');
  }
  await awaitReminders(member, [taskId], 'TASK_OVERDUE', 1);
  await awaitReminders(member, [taskId], 'TASK_DUE_SOON', 1);
  await awaitReminders(manager, [taskId], 'TASK_OVERDUE', 1);
  await settle();
  expect((await remindersOf(member, [taskId])).map((node) => node.kind).sort()).toEqual([
    'TASK_DUE_SOON',
    'TASK_OVERDUE',
  ]);
  expect((await remindersOf(manager, [taskId])).map((node) => node.kind)).toEqual(['TASK_OVERDUE']);
}, 60_000);

/** A second notifications service, a process of its own, on the graph's databases and streams. */
async function startReplica(): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      path.join(ROOT, 'services/notifications/src/index.ts'),
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...graph.gatewayEnv,
        NOTIFICATIONS_PORT: String(port),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`replica exited: ${output}`);
        const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
        return response?.status === 200;
      },
      60_000,
      200,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, stop };
}

it('with two replicas on the same database, sends each reminder of a batch exactly once', async () => {
  const replica = await startReplica();
  const live = subscribe<{ notificationReceived: { kind: string; task: { id: string } | null } }>(
    graph.gatewayUrl,
    member.token,
    RECEIVED,
  );
  try {
    const projectId = await newProject();
    const due = inMs(10_000);
    const taskIds = await Promise.all(
      Array.from({ length: 12 }, (_, i) => newTask(projectId, due, member, `Batch ${i}`)),
    );
    // A loaded machine runs two services and a gateway slowly: more time than one task needs.
    await awaitReminders(member, taskIds, 'TASK_OVERDUE', taskIds.length, 60_000);
    await awaitReminders(manager, taskIds, 'TASK_OVERDUE', taskIds.length, 60_000);
    await settle();
    const mine = await remindersOf(member, taskIds);
    const theirs = await remindersOf(manager, taskIds);
    for (const taskId of taskIds) {
      expect(ofKind(mine, 'TASK_DUE_SOON', taskId)).toHaveLength(1);
      expect(ofKind(mine, 'TASK_OVERDUE', taskId)).toHaveLength(1);
      expect(ofKind(theirs, 'TASK_OVERDUE', taskId)).toHaveLength(1);
      expect(ofKind(theirs, 'TASK_DUE_SOON', taskId)).toEqual([]);
    }
    // Live too: each once on the member's subscription.
    const heard = live.results
      .map((result) => result.data?.notificationReceived)
      .filter(
        (node) => node?.task && taskIds.includes(node.task.id) && node.kind !== 'TASK_ASSIGNED',
      )
      .map((node) => `${node?.kind}:${node?.task?.id}`);
    expect(heard.sort()).toEqual(
      taskIds.flatMap((id) => [`TASK_DUE_SOON:${id}`, `TASK_OVERDUE:${id}`]).sort(),
    );
    // And each job ran once: the lock, not only the notifications' keys, kept it to one replica.
    const client = await MongoClient.connect(process.env.MONGO_URL as string);
    try {
      const jobs = await client
        .db(graph.databases.notifications)
        .collection('reminder_jobs')
        .find({ 'data.taskId': { $in: taskIds } })
        .toArray();
      expect(jobs).toHaveLength(taskIds.length * 2);
      expect(jobs.map((job) => job.runCount as number)).toEqual(jobs.map(() => 1));
    } finally {
      await client.close();
    }
  } finally {
    await live.dispose();
    await replica.stop();
  }
}, 180_000);
