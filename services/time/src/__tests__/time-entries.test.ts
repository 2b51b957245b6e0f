/** Logging, changing and deleting time entries over HTTP: every rule of an entry. */
import { randomId } from '@psa/shared/testing';
import { addDays } from '../calendar';
import {
  DELETE,
  errorOf,
  LOG,
  mondayOf,
  PROJECT_ENTRIES,
  READ,
  ref,
  useTimeHarness,
  today,
  UPDATE,
  type EntryView,
  type PageView,
  type ProjectFixture,
} from './time-harness';

const harness = useTimeHarness();

/** How many entries the project holds, as its manager sees them. */
async function entryCount(project: ProjectFixture): Promise<number> {
  const data = await harness.ok<{ _entities: { timeEntries: PageView<EntryView> }[] }>(
    PROJECT_ENTRIES,
    { representations: ref('Project', project.id) },
    harness.as(project, 'manager'),
  );
  return data._entities[0]?.timeEntries.totalCount ?? -1;
}

describe('logTime', () => {
  it("records the caller's minutes on a day, billable by default", async () => {
    const project = await harness.newProject();
    const entry = await harness.log(project, { minutes: 90, note: '  Workshop  ' });
    expect(entry).toMatchObject({
      user: { id: project.memberIds[0] },
      project: { id: project.id },
      task: null,
      date: mondayOf(1),
      minutes: 90,
      billable: true,
      note: 'Workshop',
      status: 'OPEN',
    });
    const read = await harness.ok<{ timeEntry: EntryView }>(
      READ,
      { id: entry.id },
      harness.as(project, 0),
    );
    expect(read.timeEntry.id).toBe(entry.id);
  });

  it('records a task and a non-billable entry', async () => {
    const project = await harness.newProject();
    const taskId = await harness.publishTask(project);
    const entry = await harness.log(project, { taskId, billable: false });
    expect(entry).toMatchObject({ task: { id: taskId }, billable: false });
  });

  it('refuses a task of another project, a deleted task and one never heard of, writing nothing', async () => {
    const project = await harness.newProject();
    const other = await harness.newProject();
    const tasks = {
      ofAnotherProject: await harness.publishTask(other),
      deleted: await harness.publishTask(project),
      unknown: randomId(),
    };
    await harness.publishTask(project, { taskId: tasks.deleted, deleted: true });
    for (const taskId of Object.values(tasks)) {
      const body = await harness.gql(
        LOG,
        { input: { projectId: project.id, date: mondayOf(1), minutes: 60, taskId } },
        harness.as(project, 0),
      );
      expect(errorOf(body)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.taskId' });
    }
    expect(await entryCount(project)).toBe(0);
    // An entry cannot be moved onto such a task either, nor a timer started on one.
    const entry = await harness.log(project);
    const moved = await harness.gql(
      UPDATE,
      { input: { id: entry.id, taskId: tasks.ofAnotherProject } },
      harness.as(project, 0),
    );
    expect(errorOf(moved)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.taskId' });
    const timer = await harness.gql(
      `mutation ($input: StartTimerInput!) { startTimer(input: $input) { id } }`,
      { input: { projectId: project.id, taskId: tasks.deleted } },
      harness.as(project, 0),
    );
    expect(errorOf(timer)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.taskId' });
  });

  it('keeps a deleted task deleted when an older change of it arrives late', async () => {
    const project = await harness.newProject();
    const taskId = await harness.publishTask(project, { deleted: true });
    // The same task's creation, delivered after its deletion (its version is not older here,
    // which is the worse case: a deletion is final whatever the order).
    await harness.publishTask(project, { taskId });
    const body = await harness.gql(
      LOG,
      { input: { projectId: project.id, date: mondayOf(1), minutes: 60, taskId } },
      harness.as(project, 0),
    );
    expect(errorOf(body)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.taskId' });
  });

  it.each([
    ['0 minutes', { minutes: 0 }, 'input.minutes'],
    ['1441 minutes', { minutes: 1441 }, 'input.minutes'],
    ['a day that does not exist', { date: '2026-02-30' }, 'input.date'],
    ['another date format', { date: '03.12.2026' }, 'input.date'],
    ['the day after tomorrow', { date: addDays(today(), 2) }, 'input.date'],
    ['a note of 2,001 characters', { note: 'x'.repeat(2001) }, 'input.note'],
    ['a malformed project id', { projectId: 'nope' }, 'input.projectId'],
    ['a malformed task id', { taskId: 'nope' }, 'input.taskId'],
  ])(
    'refuses %s as BAD_USER_INPUT naming the field, writing nothing',
    async (_label, input, field) => {
      const project = await harness.newProject();
      const body = await harness.gql(
        LOG,
        { input: { projectId: project.id, date: mondayOf(1), minutes: 60, ...input } },
        harness.as(project, 0),
      );
      expect(errorOf(body)).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(await entryCount(project)).toBe(0);
    },
  );

  it('accepts tomorrow (UTC) and 1440 minutes, not over a year before the project existed', async () => {
    const project = await harness.newProject();
    expect((await harness.log(project, { date: addDays(today(), 1), minutes: 1440 })).minutes).toBe(
      1440,
    );
    const yearAgo = addDays(today(), -366);
    const body = await harness.gql(
      LOG,
      { input: { projectId: project.id, date: yearAgo, minutes: 60 } },
      harness.as(project, 0),
    );
    expect(errorOf(body)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.date' });
    expect((await harness.log(project, { date: addDays(today(), -300) })).minutes).toBe(60);
  });

  it("keeps a user's day at 24 hours across all projects, even when written at once", async () => {
    const userId = randomId();
    const first = await harness.newProject({ memberIds: [userId] });
    const second = await harness.newProject({ memberIds: [userId] });
    const date = mondayOf(2);
    await harness.log(first, { date, minutes: 1000 });
    const over = await harness.gql(
      LOG,
      { input: { projectId: second.id, date, minutes: 441 } },
      harness.as(second, 0),
    );
    expect(errorOf(over)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.minutes' });
    expect(await entryCount(second)).toBe(0);
    // Ten writers of 100 minutes at once: exactly the 440 minutes left fit (four of them).
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        harness.gql(
          LOG,
          { input: { projectId: second.id, date, minutes: 100 } },
          harness.as(second, 0),
        ),
      ),
    );
    expect(results.filter((r) => !r.errors).length).toBe(4);
    expect(await entryCount(second)).toBe(4);
    // Another day is free.
    expect((await harness.log(second, { date: addDays(date, 1), minutes: 1440 })).minutes).toBe(
      1440,
    );
  });

  it('refuses a CLIENT member, an outsider and an admin who is not on the project', async () => {
    const project = await harness.newProject();
    const input = { projectId: project.id, date: mondayOf(1), minutes: 60 };
    const client = await harness.gql(LOG, { input }, harness.as(project, 1, 'CLIENT'));
    expect(errorOf(client).code).toBe('FORBIDDEN');
    const outsider = await harness.gql(LOG, { input }, harness.auth('MEMBER'));
    expect(errorOf(outsider).code).toBe('NOT_FOUND');
    const admin = await harness.gql(LOG, { input }, harness.auth('ADMIN'));
    expect(errorOf(admin).code).toBe('FORBIDDEN');
    const unknown = await harness.gql(
      LOG,
      { input: { ...input, projectId: randomId() } },
      harness.as(project, 0),
    );
    expect(errorOf(unknown).code).toBe('NOT_FOUND');
    expect(await entryCount(project)).toBe(0);
  });

  it('lets the manager log their own time', async () => {
    const project = await harness.newProject();
    const entry = await harness.log(project, {}, harness.as(project, 'manager'));
    expect(entry.user.id).toBe(project.managerId);
  });
});

describe('updateTimeEntry and deleteTimeEntry', () => {
  it("change the owner's entry; absent fields stay, null clears the task and note", async () => {
    const project = await harness.newProject();
    const entry = await harness.log(project, {
      taskId: await harness.publishTask(project),
      note: 'Draft',
    });
    const { updateTimeEntry } = await harness.ok<{ updateTimeEntry: EntryView }>(
      UPDATE,
      { input: { id: entry.id, minutes: 45, taskId: null, note: null } },
      harness.as(project, 0),
    );
    expect(updateTimeEntry).toMatchObject({
      minutes: 45,
      task: null,
      note: null,
      date: entry.date,
      billable: true,
    });
    const moved = await harness.ok<{ updateTimeEntry: EntryView }>(
      UPDATE,
      { input: { id: entry.id, date: mondayOf(3), billable: false } },
      harness.as(project, 0),
    );
    expect(moved.updateTimeEntry).toMatchObject({ date: mondayOf(3), billable: false });
  });

  it('keep the 24-hour limit when minutes grow or the entry moves to a full day', async () => {
    const project = await harness.newProject();
    const full = mondayOf(4);
    await harness.log(project, { date: full, minutes: 1400 });
    const other = await harness.log(project, { date: addDays(full, 1), minutes: 60 });
    const grow = await harness.gql(
      UPDATE,
      { input: { id: other.id, date: full } },
      harness.as(project, 0),
    );
    expect(errorOf(grow)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.minutes' });
    // Moving 40 minutes there fits exactly; the day it left is free again.
    await harness.ok(
      UPDATE,
      { input: { id: other.id, date: full, minutes: 40 } },
      harness.as(project, 0),
    );
    expect((await harness.log(project, { date: addDays(full, 1), minutes: 1440 })).minutes).toBe(
      1440,
    );
  });

  it.each([
    [{ minutes: null }, 'input.minutes'],
    [{ minutes: 2000 }, 'input.minutes'],
    [{ date: null }, 'input.date'],
    [{ date: '2026-13-01' }, 'input.date'],
    [{ billable: null }, 'input.billable'],
    [{ id: 'nope' }, 'input.id'],
  ])('refuse %j as BAD_USER_INPUT naming %s', async (input, field) => {
    const project = await harness.newProject();
    const entry = await harness.log(project);
    const body = await harness.gql(
      UPDATE,
      { input: { id: entry.id, ...input } },
      harness.as(project, 0),
    );
    expect(errorOf(body)).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it("are the owner's and an admin's: the manager gets FORBIDDEN, another member NOT_FOUND", async () => {
    const project = await harness.newProject();
    const entry = await harness.log(project);
    const manager = await harness.gql(
      UPDATE,
      { input: { id: entry.id, minutes: 5 } },
      harness.as(project, 'manager'),
    );
    expect(errorOf(manager).code).toBe('FORBIDDEN');
    const member = await harness.gql(DELETE, { id: entry.id }, harness.as(project, 1));
    expect(errorOf(member).code).toBe('NOT_FOUND');
    const admin = await harness.ok<{ updateTimeEntry: EntryView }>(
      UPDATE,
      { input: { id: entry.id, minutes: 5 } },
      harness.auth('ADMIN'),
    );
    expect(admin.updateTimeEntry.minutes).toBe(5);
    expect(await harness.ok(DELETE, { id: entry.id }, harness.as(project, 0))).toEqual({
      deleteTimeEntry: true,
    });
    expect(errorOf(await harness.gql(READ, { id: entry.id }, harness.as(project, 0))).code).toBe(
      'NOT_FOUND',
    );
    expect(await entryCount(project)).toBe(0);
  });

  it("give a deleted entry's minutes back to its day", async () => {
    const project = await harness.newProject();
    const date = mondayOf(5);
    const entry = await harness.log(project, { date, minutes: 1440 });
    await harness.ok(DELETE, { id: entry.id }, harness.as(project, 0));
    expect((await harness.log(project, { date, minutes: 1440 })).minutes).toBe(1440);
  });
});
