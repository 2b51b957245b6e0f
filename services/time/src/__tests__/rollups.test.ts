/**
 * The reports' roll-ups over HTTP: `Project.timeReport` and `User.utilization` sum whole months
 * from the month rows and the edge days from the day rows, so every way an entry changes must
 * keep both exact; each report here is compared with the sum of the entries themselves.
 */
import { addDays, weekStartOf } from '../calendar';
import { projectDayModel } from '../models/project-day.model';
import { projectMonthModel } from '../models/project-month.model';
import { timeEntryModel } from '../models/time-entry.model';
import { rebuildRollupsIfMissing } from '../rollups';
import {
  APPROVE,
  DELETE,
  LOG,
  REPORT,
  ref,
  useTimeHarness,
  SUBMIT,
  today,
  UPDATE,
  UTILIZATION,
  type EntryView,
  type ProjectFixture,
  type SheetView,
} from './time-harness';

const harness = useTimeHarness();

interface Totals {
  totalMinutes: number;
  billableMinutes: number;
}

interface ReportView extends Totals {
  byUser: ({ user: { id: string } } & Totals)[];
}

/** The first day of the month `monthsAgo` months before this one. */
function monthStart(monthsAgo: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, 1))
    .toISOString()
    .slice(0, 10);
}

/** The last day of `day`'s month. */
const monthEnd = (day: string): string => {
  const [year, month] = day.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
};

const report = async (project: ProjectFixture, from: string, to: string) =>
  (
    await harness.ok<{ _entities: { timeReport: ReportView }[] }>(
      REPORT,
      { representations: ref('Project', project.id), from, to },
      harness.as(project, 'manager'),
    )
  )._entities[0]!.timeReport;

const utilization = async (project: ProjectFixture, member: number, from: string, to: string) =>
  (
    await harness.ok<{ _entities: { utilization: Totals }[] }>(
      UTILIZATION,
      { representations: ref('User', project.memberIds[member]!), from, to },
      harness.as(project, member),
    )
  )._entities[0]!.utilization;

/** What a report from `from` to `to` must say, summed from the entries as they stand. */
function expected(entries: EntryView[], from: string, to: string): ReportView {
  const rows = new Map<string, { user: { id: string } } & Totals>();
  for (const entry of entries) {
    if (entry.date < from || entry.date > to) continue;
    const row = rows.get(entry.user.id) ?? {
      user: { id: entry.user.id },
      totalMinutes: 0,
      billableMinutes: 0,
    };
    row.totalMinutes += entry.minutes;
    row.billableMinutes += entry.billable ? entry.minutes : 0;
    rows.set(entry.user.id, row);
  }
  const byUser = [...rows.values()].sort((a, b) => a.user.id.localeCompare(b.user.id));
  return {
    totalMinutes: byUser.reduce((sum, row) => sum + row.totalMinutes, 0),
    billableMinutes: byUser.reduce((sum, row) => sum + row.billableMinutes, 0),
    byUser,
  };
}

/** Ranges that read every path: whole months, edge days added, and months minus edge days. */
function rangesOver(first: string, last: string): [string, string][] {
  const m1 = monthStart(4);
  const m2 = monthStart(3);
  const m3 = monthStart(2);
  return [
    [first, last],
    [m2, monthEnd(m2)], // one whole month
    [m1, monthEnd(m3)], // three whole months
    [addDays(m1, 2), addDays(monthEnd(m3), -3)], // the edges read as months minus days
    [addDays(m1, 19), addDays(m3, 9)], // the edges read day by day
    [addDays(m1, 25), addDays(m3, 24)], // one of each
    [addDays(m2, 1), addDays(monthEnd(m2), -1)], // inside one month: both ends taken off
    [addDays(m2, 10), addDays(m2, 14)], // inside one month, a few days
    [addDays(m2, 7), addDays(m2, 7)], // one day
    [monthEnd(m1), m2], // across a boundary, a day each side
  ];
}

/** Asserts each range's report (and the first member's utilization) against the entries. */
async function expectExact(project: ProjectFixture, entries: EntryView[]): Promise<void> {
  const dates = entries.map((entry) => entry.date).sort();
  const first = dates[0] ?? monthStart(4);
  const last = dates.at(-1) ?? today();
  for (const [from, to] of rangesOver(first, last)) {
    const got = await report(project, from, to);
    expect({ from, to, ...got }).toEqual({ from, to, ...expected(entries, from, to) });
    const own = expected(
      entries.filter((entry) => entry.user.id === project.memberIds[0]),
      from,
      to,
    );
    expect({ from, to, ...(await utilization(project, 0, from, to)) }).toMatchObject({
      from,
      to,
      totalMinutes: own.totalMinutes,
      billableMinutes: own.billableMinutes,
    });
  }
}

/** Entries of both members over three months, on every kind of day (firsts, lasts, middles). */
async function logSpread(project: ProjectFixture): Promise<EntryView[]> {
  const entries: EntryView[] = [];
  for (const monthsAgo of [4, 3, 2]) {
    const start = monthStart(monthsAgo);
    const days = [start, addDays(start, 1), addDays(start, 9), addDays(start, 15)];
    days.push(addDays(start, 22), addDays(monthEnd(start), -1), monthEnd(start));
    for (const [i, date] of days.entries()) {
      const member = i % 2;
      entries.push(
        await harness.log(
          project,
          { date, minutes: 15 + i * 7 + monthsAgo, billable: i % 3 !== 0 },
          harness.as(project, member),
        ),
      );
    }
  }
  return entries;
}

/** Changes `entry` as its owner. */
const update = async (
  project: ProjectFixture,
  entry: EntryView,
  changes: Record<string, unknown>,
) =>
  (
    await harness.ok<{ updateTimeEntry: EntryView }>(
      UPDATE,
      { input: { id: entry.id, ...changes } },
      harness.as(project, project.memberIds.indexOf(entry.user.id)),
    )
  ).updateTimeEntry;

describe('the reports over partial months', () => {
  it('equal the sum of the raw entries for every kind of range', async () => {
    const project = await harness.newProject();
    await expectExact(project, await logSpread(project));
  });

  it('leave out a user whose time in the range is all outside it', async () => {
    const project = await harness.newProject();
    const start = monthStart(3);
    // Read as the whole month minus its first two days: the member's time is in those two days.
    await harness.log(project, { date: addDays(start, 1), minutes: 30 });
    await harness.log(project, { date: addDays(start, 5), minutes: 45 }, harness.as(project, 1));
    const got = await report(project, addDays(start, 2), monthEnd(start));
    expect(got.byUser).toEqual([
      { user: { id: project.memberIds[1] }, totalMinutes: 45, billableMinutes: 45 },
    ]);
  });
});

describe('the roll-ups follow every change of an entry', () => {
  it('move an entry across a month boundary, and between days of one month', async () => {
    const project = await harness.newProject();
    const entries = await logSpread(project);
    const move = async (date: string, to: string) => {
      const index = entries.findIndex((entry) => entry.date === date);
      entries[index] = await update(project, entries[index]!, { date: to });
    };
    await move(monthEnd(monthStart(4)), monthStart(3));
    await move(monthStart(2), addDays(monthStart(2), -1));
    await move(addDays(monthStart(3), 9), addDays(monthStart(3), 20));
    await expectExact(project, entries);
  });

  it('take edited minutes, toggled billable states and deletions into account', async () => {
    const project = await harness.newProject();
    const entries = await logSpread(project);
    const change = async (
      index: number,
      changes: (entry: EntryView) => Record<string, unknown>,
    ) => {
      entries[index] = await update(project, entries[index]!, changes(entries[index]!));
    };
    // Minutes up and down, billable on and off, and all at once with a move to another month.
    await change(0, () => ({ minutes: 500 }));
    await change(3, () => ({ minutes: 1 }));
    await change(1, (entry) => ({ billable: !entry.billable }));
    await change(2, (entry) => ({ billable: !entry.billable }));
    await change(8, (entry) => ({ billable: !entry.billable, minutes: 333, date: monthStart(2) }));
    for (const index of [20, 13, 7]) {
      const [gone] = entries.splice(index, 1);
      const owner = harness.as(project, project.memberIds.indexOf(gone!.user.id));
      await harness.ok(DELETE, { id: gone!.id }, owner);
    }
    await expectExact(project, entries);
  });

  it('stay exact under concurrent logs, edits and deletes on the same user and month', async () => {
    const project = await harness.newProject();
    const start = monthStart(3);
    const logged = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        harness.ok<{ logTime: EntryView }>(
          LOG,
          {
            input: {
              projectId: project.id,
              date: addDays(start, i % 20),
              minutes: 10 + i,
              billable: i % 2 === 0,
            },
          },
          harness.as(project, 0),
        ),
      ),
    );
    let entries = logged.map((body) => body.logTime);
    await expectExact(project, entries);
    // At once: half of them edited (minutes and billable), a quarter deleted, more logged.
    const edited = await Promise.all(
      entries
        .slice(0, 12)
        .map((entry, i) => update(project, entry, { minutes: 100 + i, billable: !entry.billable })),
    );
    const deleted = entries.slice(12, 18);
    const [, more] = await Promise.all([
      Promise.all(
        deleted.map((entry) => harness.ok(DELETE, { id: entry.id }, harness.as(project, 0))),
      ),
      Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          harness.log(project, { date: addDays(start, 25 - i), minutes: 5 + i }),
        ),
      ),
    ]);
    entries = [...edited, ...entries.slice(18), ...more];
    await expectExact(project, entries);
  });

  it("keep counting a deleted project's approved weeks, and nothing of the rest", async () => {
    const project = await harness.newProject();
    const entries = await logSpread(project);
    // The week of one member's entry is submitted and approved; deleting the project keeps it.
    const kept = entries.find((entry) => entry.user.id === project.memberIds[0])!;
    const sheet = await harness.ok<{ submitTimesheet: SheetView }>(
      SUBMIT,
      { input: { projectId: project.id, weekStart: weekStartOf(kept.date) } },
      harness.as(project, 0),
    );
    await harness.ok(APPROVE, { id: sheet.submitTimesheet.id }, harness.as(project, 'manager'));
    await harness.publishProject(project, { deleted: true });
    const approved = entries.filter(
      (entry) =>
        entry.user.id === kept.user.id && weekStartOf(entry.date) === weekStartOf(kept.date),
    );
    for (const [from, to] of rangesOver(monthStart(4), today())) {
      const own = expected(approved, from, to);
      expect({ from, to, ...(await utilization(project, 0, from, to)) }).toMatchObject({
        from,
        to,
        totalMinutes: own.totalMinutes,
        billableMinutes: own.billableMinutes,
      });
    }
  });
});

describe('a database from before the month rows', () => {
  it('gets its day and month rows rebuilt from the entries, exactly', async () => {
    const project = await harness.newProject();
    const entries = await logSpread(project);
    const stores = {
      entries: timeEntryModel(harness.db),
      projectDays: projectDayModel(harness.db),
      projectMonths: projectMonthModel(harness.db),
    };
    // As an older build left it: no month rows, and day rows that may be missing or wrong.
    await stores.projectMonths.deleteMany({}).exec();
    await stores.projectDays.deleteMany({}).exec();
    await harness.db.collection<{ _id: string; minutes: number }>('project_days').insertOne({
      _id: `${project.id}:${project.memberIds[0]}:${monthStart(3)}`,
      minutes: 999,
    });
    const rebuilt = await rebuildRollupsIfMissing(stores);
    expect(rebuilt?.months).toBeGreaterThan(0);
    expect(await rebuildRollupsIfMissing(stores)).toBeNull();
    await expectExact(project, entries);
  });
});
