/** Timesheets over HTTP: submitting a week, locking it, deciding it, the queue and the history. */
import { Types } from 'mongoose';
import { addDays } from '../calendar';
import {
  APPROVE,
  DELETE,
  errorOf,
  LOG,
  mondayOf,
  PROJECT_ENTRIES,
  ref,
  REJECT,
  SHEET,
  useTimeHarness,
  SUBMIT,
  TO_APPROVE,
  UPDATE,
  USER_SHEETS,
  type EntryView,
  type PageView,
  type ProjectFixture,
  type SheetView,
} from './time-harness';

const harness = useTimeHarness();

const submit = (project: ProjectFixture, weekStart: string, headers = harness.as(project, 0)) =>
  harness.gql<{ submitTimesheet: SheetView }>(
    SUBMIT,
    { input: { projectId: project.id, weekStart } },
    headers,
  );

/** A project whose first member logged 2 hours (1 billable) in a week and submitted it. */
async function submittedWeek(): Promise<{
  project: ProjectFixture;
  sheet: SheetView;
  entry: EntryView;
}> {
  const project = await harness.newProject();
  const weekStart = mondayOf(1);
  const entry = await harness.log(project, { date: weekStart, minutes: 60 });
  await harness.log(project, { date: addDays(weekStart, 2), minutes: 60, billable: false });
  const body = await submit(project, weekStart);
  expect(body.errors).toBeUndefined();
  return { project, sheet: body.data!.submitTimesheet, entry };
}

describe('submitTimesheet', () => {
  it("makes the caller's week SUBMITTED with its entries and totals", async () => {
    const { project, sheet } = await submittedWeek();
    expect(sheet).toMatchObject({
      user: { id: project.memberIds[0] },
      project: { id: project.id },
      weekStart: mondayOf(1),
      status: 'SUBMITTED',
      totalMinutes: 120,
      billableMinutes: 60,
      decidedAt: null,
      decidedBy: null,
      rejectionReason: null,
    });
    expect(sheet.entries).toHaveLength(2);
    expect(sheet.submittedAt).not.toBeNull();
  });

  it('refuses a day that is not a Monday and a week without entries (BAD_USER_INPUT)', async () => {
    const project = await harness.newProject();
    await harness.log(project, { date: mondayOf(1) });
    expect(errorOf(await submit(project, addDays(mondayOf(1), 1)))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.weekStart',
    });
    expect(errorOf(await submit(project, mondayOf(2)))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.weekStart',
    });
  });

  it('locks the week: logging, changing and deleting its entries is CONFLICT; other weeks stay open', async () => {
    const { project, entry } = await submittedWeek();
    const log = await harness.gql(
      LOG,
      { input: { projectId: project.id, date: addDays(mondayOf(1), 4), minutes: 30 } },
      harness.as(project, 0),
    );
    expect(errorOf(log).code).toBe('CONFLICT');
    const update = await harness.gql(
      UPDATE,
      { input: { id: entry.id, minutes: 5 } },
      harness.as(project, 0),
    );
    expect(errorOf(update).code).toBe('CONFLICT');
    const moveIn = await harness.log(project, { date: mondayOf(2) });
    const moved = await harness.gql(
      UPDATE,
      { input: { id: moveIn.id, date: mondayOf(1) } },
      harness.as(project, 0),
    );
    expect(errorOf(moved).code).toBe('CONFLICT');
    const deleted = await harness.gql(DELETE, { id: entry.id }, harness.auth('ADMIN'));
    expect(errorOf(deleted).code).toBe('CONFLICT');
    expect(errorOf(await submit(project, mondayOf(1))).code).toBe('CONFLICT');
    // Nothing changed: still 2 entries in that week, 3 in all.
    const entries = await harness.ok<{ _entities: { timeEntries: PageView<EntryView> }[] }>(
      PROJECT_ENTRIES,
      { representations: ref('Project', project.id), filter: { status: 'SUBMITTED' } },
      harness.as(project, 'manager'),
    );
    expect(entries._entities[0]?.timeEntries.totalCount).toBe(2);
    expect(
      entries._entities[0]?.timeEntries.edges.every((e) => e.node.status === 'SUBMITTED'),
    ).toBe(true);
  });
});

describe('approveTimesheet and rejectTimesheet', () => {
  it("approve by the project's manager: APPROVED, decided by them, locked for good", async () => {
    const { project, sheet, entry } = await submittedWeek();
    const { approveTimesheet } = await harness.ok<{ approveTimesheet: SheetView }>(
      APPROVE,
      { id: sheet.id },
      harness.as(project, 'manager'),
    );
    expect(approveTimesheet).toMatchObject({
      status: 'APPROVED',
      decidedBy: { id: project.managerId },
    });
    expect(approveTimesheet.decidedAt).not.toBeNull();
    const update = await harness.gql(
      UPDATE,
      { input: { id: entry.id, minutes: 5 } },
      harness.as(project, 0),
    );
    expect(errorOf(update).code).toBe('CONFLICT');
    expect(
      errorOf(await harness.gql(APPROVE, { id: sheet.id }, harness.as(project, 'manager'))).code,
    ).toBe('CONFLICT');
    expect(errorOf(await submit(project, mondayOf(1))).code).toBe('CONFLICT');
  });

  it('reject with a reason reopens the week; submitting again returns it to SUBMITTED', async () => {
    const { project, sheet, entry } = await submittedWeek();
    const empty = await harness.gql(
      REJECT,
      { id: sheet.id, reason: '  ' },
      harness.as(project, 'manager'),
    );
    expect(errorOf(empty)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reason' });
    const { rejectTimesheet } = await harness.ok<{ rejectTimesheet: SheetView }>(
      REJECT,
      { id: sheet.id, reason: 'Split the workshop by task' },
      harness.auth('ADMIN'),
    );
    expect(rejectTimesheet).toMatchObject({
      status: 'REJECTED',
      rejectionReason: 'Split the workshop by task',
    });
    const { updateTimeEntry } = await harness.ok<{ updateTimeEntry: EntryView }>(
      UPDATE,
      { input: { id: entry.id, minutes: 45 } },
      harness.as(project, 0),
    );
    expect(updateTimeEntry).toMatchObject({ minutes: 45, status: 'REJECTED' });
    const again = await submit(project, mondayOf(1));
    expect(again.data?.submitTimesheet).toMatchObject({ status: 'SUBMITTED', totalMinutes: 105 });
    const approved = await harness.ok<{ approveTimesheet: SheetView }>(
      APPROVE,
      { id: sheet.id },
      harness.as(project, 'manager'),
    );
    expect(approved.approveTimesheet).toMatchObject({ status: 'APPROVED', rejectionReason: null });
    // Every transition is recorded: who, when, why.
    const stored = await harness.db
      .collection('timesheets')
      .findOne({ _id: new Types.ObjectId(sheet.id) });
    expect(
      (stored?.transitions as { status: string; byId: Types.ObjectId; reason: string }[]).map(
        (t) => [t.status, t.byId.toHexString(), t.reason],
      ),
    ).toEqual([
      ['SUBMITTED', project.memberIds[0], ''],
      ['REJECTED', expect.any(String), 'Split the workshop by task'],
      ['SUBMITTED', project.memberIds[0], ''],
      ['APPROVED', project.managerId, ''],
    ]);
  });

  it("nobody decides their own timesheet: the manager's own week goes to an admin", async () => {
    const project = await harness.newProject();
    const manager = harness.as(project, 'manager');
    await harness.log(project, { date: mondayOf(1) }, manager);
    const sheet = (await submit(project, mondayOf(1), manager)).data!.submitTimesheet;
    expect(errorOf(await harness.gql(APPROVE, { id: sheet.id }, manager)).code).toBe('FORBIDDEN');
    const adminId = new Types.ObjectId().toHexString();
    const adminProject = await harness.newProject({ memberIds: [adminId] });
    const admin = harness.auth('ADMIN', adminId);
    await harness.log(adminProject, { date: mondayOf(1) }, admin);
    const own = (await submit(adminProject, mondayOf(1), admin)).data!.submitTimesheet;
    expect(errorOf(await harness.gql(APPROVE, { id: own.id }, admin)).code).toBe('FORBIDDEN');
    expect(errorOf(await harness.gql(REJECT, { id: own.id, reason: 'x' }, admin)).code).toBe(
      'FORBIDDEN',
    );
    expect(
      (
        await harness.ok<{ approveTimesheet: SheetView }>(
          APPROVE,
          { id: sheet.id },
          harness.auth('ADMIN'),
        )
      ).approveTimesheet.status,
    ).toBe('APPROVED');
  });

  it('are FORBIDDEN for a member and NOT_FOUND for an outsider', async () => {
    const { project, sheet } = await submittedWeek();
    expect(errorOf(await harness.gql(APPROVE, { id: sheet.id }, harness.as(project, 1))).code).toBe(
      'NOT_FOUND',
    );
    expect(errorOf(await harness.gql(APPROVE, { id: sheet.id }, harness.as(project, 0))).code).toBe(
      'FORBIDDEN',
    );
    expect(
      errorOf(await harness.gql(APPROVE, { id: sheet.id }, harness.auth('MANAGER'))).code,
    ).toBe('NOT_FOUND');
  });
});

describe('reading timesheets', () => {
  it('timesheetsToApprove lists what waits for the caller, never their own', async () => {
    const { project, sheet } = await submittedWeek();
    const manager = harness.as(project, 'manager');
    await harness.log(project, { date: mondayOf(1) }, manager);
    await submit(project, mondayOf(1), manager);
    const queue = await harness.ok<{
      timesheetsToApprove: { totalCount: number; edges: { node: { id: string } }[] };
    }>(TO_APPROVE, {}, manager);
    expect(queue.timesheetsToApprove.edges.map((e) => e.node.id)).toEqual([sheet.id]);
    const member = await harness.ok<{ timesheetsToApprove: { totalCount: number } }>(
      TO_APPROVE,
      {},
      harness.as(project, 0),
    );
    expect(member.timesheetsToApprove.totalCount).toBe(0);
    await harness.ok(APPROVE, { id: sheet.id }, manager);
    const after = await harness.ok<{ timesheetsToApprove: { totalCount: number } }>(
      TO_APPROVE,
      {},
      manager,
    );
    expect(after.timesheetsToApprove.totalCount).toBe(0);
  });

  it("a timesheet is its owner's, the manager's and admins' to read; User.timesheets the owner's", async () => {
    const { project, sheet } = await submittedWeek();
    for (const headers of [
      harness.as(project, 0),
      harness.as(project, 'manager'),
      harness.auth('ADMIN'),
    ]) {
      expect(
        (await harness.ok<{ timesheet: SheetView }>(SHEET, { id: sheet.id }, headers)).timesheet.id,
      ).toBe(sheet.id);
    }
    expect(errorOf(await harness.gql(SHEET, { id: sheet.id }, harness.as(project, 1))).code).toBe(
      'NOT_FOUND',
    );
    const own = await harness.ok<{ _entities: { timesheets: { totalCount: number } }[] }>(
      USER_SHEETS,
      { representations: ref('User', project.memberIds[0]!), filter: { status: 'SUBMITTED' } },
      harness.as(project, 0),
    );
    expect(own._entities[0]?.timesheets.totalCount).toBe(1);
    const other = await harness.gql(
      USER_SHEETS,
      { representations: ref('User', project.memberIds[0]!) },
      harness.as(project, 'manager'),
    );
    expect(errorOf(other).code).toBe('FORBIDDEN');
  });
});
