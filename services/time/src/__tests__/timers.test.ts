/** Timers over HTTP: one per user, stopped into an entry, stopping themselves at 24 hours. */
import { Types } from 'mongoose';
import { dayOf } from '../calendar';
import {
  errorOf,
  READ,
  ref,
  START,
  useTimeHarness,
  STOP,
  USER_TIMER,
  type EntryView,
} from './time-harness';

const harness = useTimeHarness();

type TimerView = { id: string; project: { id: string }; startedAt: string } | null;

const runningTimer = async (userId: string, headers: Record<string, string>) =>
  (
    await harness.ok<{ _entities: { runningTimer: TimerView }[] }>(
      USER_TIMER,
      { representations: ref('User', userId) },
      headers,
    )
  )._entities[0]?.runningTimer;

it('runs one timer per user, shows it and stops it into an entry of at least a minute', async () => {
  const project = await harness.newProject();
  const member = harness.as(project, 0);
  const { startTimer } = await harness.ok<{
    startTimer: { id: string; billable: boolean; note: string };
  }>(START, { input: { projectId: project.id, note: 'Call', billable: false } }, member);
  expect(startTimer).toMatchObject({ billable: false, note: 'Call' });
  const second = await harness.gql(START, { input: { projectId: project.id } }, member);
  expect(errorOf(second).code).toBe('CONFLICT');
  expect((await runningTimer(project.memberIds[0]!, member))?.id).toBe(startTimer.id);
  const { stopTimer } = await harness.ok<{ stopTimer: EntryView }>(STOP, {}, member);
  expect(stopTimer).toMatchObject({
    minutes: 1,
    billable: false,
    note: 'Call',
    date: dayOf(new Date()),
  });
  expect(await runningTimer(project.memberIds[0]!, member)).toBeNull();
  expect(errorOf(await harness.gql(STOP, {}, member)).code).toBe('NOT_FOUND');
});

it('rounds minutes up and logs on the day the timer started', async () => {
  const project = await harness.newProject();
  const userId = new Types.ObjectId(project.memberIds[0]);
  const startedAt = new Date(Date.now() - 3 * 3_600_000 - 61_000);
  await harness.db.collection('timers').insertOne({
    userId,
    projectId: new Types.ObjectId(project.id),
    taskId: null,
    note: null,
    billable: true,
    startedAt,
  });
  const { stopTimer } = await harness.ok<{ stopTimer: EntryView }>(
    STOP,
    {},
    harness.as(project, 0),
  );
  expect(stopTimer.minutes).toBe(182);
  expect(stopTimer.date).toBe(dayOf(startedAt));
});

it('stops a timer left running past 24 hours at 24 hours', async () => {
  const project = await harness.newProject();
  const userId = new Types.ObjectId(project.memberIds[0]);
  const startedAt = new Date(Date.now() - 30 * 3_600_000);
  await harness.db.collection('timers').insertOne({
    userId,
    projectId: new Types.ObjectId(project.id),
    taskId: null,
    note: 'Forgot it',
    billable: true,
    startedAt,
  });
  const member = harness.as(project, 0);
  expect(await runningTimer(project.memberIds[0]!, member)).toBeNull();
  const entry = await harness.db.collection('time_entries').findOne({ userId, note: 'Forgot it' });
  expect(entry).toMatchObject({ minutes: 1440, date: dayOf(startedAt) });
  const read = await harness.ok<{ timeEntry: EntryView }>(
    READ,
    { id: entry!._id.toHexString() },
    member,
  );
  expect(read.timeEntry.minutes).toBe(1440);
});

it("is refused to a CLIENT and an outsider; runningTimer is the user's own (or an admin's view)", async () => {
  const project = await harness.newProject();
  const input = { projectId: project.id };
  expect(errorOf(await harness.gql(START, { input }, harness.as(project, 1, 'CLIENT'))).code).toBe(
    'FORBIDDEN',
  );
  expect(errorOf(await harness.gql(START, { input }, harness.auth('MEMBER'))).code).toBe(
    'NOT_FOUND',
  );
  await harness.ok(START, { input }, harness.as(project, 0));
  const other = await harness.gql(
    USER_TIMER,
    { representations: ref('User', project.memberIds[0]!) },
    harness.as(project, 'manager'),
  );
  expect(errorOf(other).code).toBe('FORBIDDEN');
  expect(await runningTimer(project.memberIds[0]!, harness.auth('ADMIN'))).not.toBeNull();
});

it("discards a leaver's timer, and a deleted user's", async () => {
  const project = await harness.newProject();
  await harness.ok(START, { input: { projectId: project.id } }, harness.as(project, 0));
  await harness.ok(START, { input: { projectId: project.id } }, harness.as(project, 1));
  await harness.publishProject(project, { memberIds: [project.memberIds[1]!] });
  expect(await runningTimer(project.memberIds[0]!, harness.as(project, 0))).toBeNull();
  await harness.deleteUser(project.memberIds[1]!);
  expect(await runningTimer(project.memberIds[1]!, harness.auth('ADMIN'))).toBeNull();
});
