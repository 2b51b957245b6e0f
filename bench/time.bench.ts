/**
 * Time (issue 18): a timesheet week and a 12-month `timeReport` through the gateway, for a
 * project with 1,000 entries and one with 100,000 (both profiles; BENCH_TIME_LARGE changes the
 * large one), so the p50s show whether a week or a report grows with the entries: the large
 * project's rows give their p50 over the small one's. The two projects' requests take turns, so
 * the machine's load (shared, and changing) weighs on both alike. Entries are
 * seeded straight into the time database (as logTime would have stored them), spread over 12
 * months and 20 users, and the day and month rows built from them as the service's upgrade does.
 * Two 12-month reports: up to today (its edge months read 2 and 3 days), and from a 16th to a
 * 15th (the most edge days a report reads, about a month's worth).
 */
import mongoose, { Types } from 'mongoose';
import { addDays, monthOf, weekStartOf } from '../services/time/src/calendar';
import { projectDayModel } from '../services/time/src/models/project-day.model';
import { projectMonthModel } from '../services/time/src/models/project-month.model';
import { timeEntryModel } from '../services/time/src/models/time-entry.model';
import { rebuildRollups } from '../services/time/src/rollups';
import { ok } from '../test/helpers/people';
import { createProject, startBenchGraph, type BenchGraph } from './lib/bench-graph';
import { measureInTurns, type ScenarioResult } from './lib/measure';

const REPORT = `query ($id: ID!, $from: Date!, $to: Date!) { project(id: $id) {
  timeReport(from: $from, to: $to) { totalMinutes billableMinutes billableAmount { amount }
    byUser { user { id } totalMinutes billableAmount { amount } } } } }`;
const SHEET = `query ($id: ID!) { timesheet(id: $id) {
  status totalMinutes billableMinutes entries { id date minutes } } }`;

const today = (): string => new Date().toISOString().slice(0, 10);

/** Seeds `count` entries on `projectId` over the last 12 months, and the member's week of 7. */
async function seed(
  bench: BenchGraph,
  projectId: string,
  count: number,
): Promise<{ sheetId: string }> {
  const db = await mongoose
    .createConnection(bench.mongoUri, { dbName: bench.graph.databases.time })
    .asPromise();
  try {
    const project = new Types.ObjectId(projectId);
    const users = Array.from({ length: 19 }, () => new Types.ObjectId());
    const member = new Types.ObjectId(bench.member.id);
    const week = weekStartOf(addDays(today(), -14));
    const now = new Date();
    const entries = db.collection('time_entries');
    const batch: Record<string, unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const date = addDays(today(), -(i % 364) - 1);
      batch.push({
        userId: users[i % users.length],
        projectId: project,
        taskId: null,
        date,
        weekStart: weekStartOf(date),
        minutes: 15 + (i % 120),
        billable: i % 4 !== 0,
        note: null,
        createdAt: new Date(now.getTime() - (count - i) * 1000),
        updatedAt: now,
      });
      if (batch.length === 5_000) await entries.insertMany(batch.splice(0));
    }
    for (let d = 0; d < 7; d++) {
      batch.push({
        userId: member,
        projectId: project,
        taskId: null,
        date: addDays(week, d),
        weekStart: week,
        minutes: 60 * (d + 1),
        billable: true,
        note: null,
        createdAt: now,
        updatedAt: now,
      });
    }
    await entries.insertMany(batch);
    // The day and month rows the time service keeps beside its entries (what reports read).
    await rebuildRollups(
      {
        entries: timeEntryModel(db),
        projectDays: projectDayModel(db),
        projectMonths: projectMonthModel(db),
      },
      project,
    );
    const sheet = await db.collection('timesheets').insertOne({
      userId: member,
      projectId: project,
      weekStart: week,
      status: 'OPEN',
      submissions: 0,
      submittedAt: null,
      decidedAt: null,
      decidedById: null,
      rejectionReason: null,
      transitions: [],
      createdAt: now,
      updatedAt: now,
    });
    return { sheetId: sheet.insertedId.toHexString() };
  } finally {
    await db.close();
  }
}

export async function runTimeBench(full: boolean): Promise<ScenarioResult[]> {
  const bench = await startBenchGraph();
  const results: ScenarioResult[] = [];
  const requests = full ? 200 : 50;
  const large = Number(process.env.BENCH_TIME_LARGE ?? 100_000);
  const from = addDays(today(), -365);
  // The most edge days a 12-month report reads: both edge months cut near their middle.
  const midFrom = `${monthOf(from)}-16`;
  try {
    const projects: { label: string; projectId: string; sheetId: string }[] = [];
    for (const count of [1_000, large]) {
      const projectId = await createProject(bench, `Time ${count}`);
      await ok(
        bench.graph,
        bench.manager,
        `mutation ($id: ID!) { setBillingRate(input: { projectId: $id, hourlyRate: "120.00", currency: "EUR" }) { user { id } } }`,
        { id: projectId },
      );
      const { sheetId } = await seed(bench, projectId, count);
      projects.push({ label: count.toLocaleString('en-US'), projectId, sheetId });
    }
    const scenarios = [
      {
        name: (label: string) => `timeReport, 12 months, ${label} entries`,
        run: (p: (typeof projects)[number]) =>
          ok(bench.graph, bench.manager, REPORT, { id: p.projectId, from, to: today() }),
      },
      {
        name: (label: string) => `timeReport, 12 months from a 16th, ${label} entries`,
        run: (p: (typeof projects)[number]) =>
          ok(bench.graph, bench.manager, REPORT, {
            id: p.projectId,
            from: midFrom,
            to: addDays(midFrom, 364),
          }),
      },
      {
        name: (label: string) => `timesheet week (7 entries), ${label} in the project`,
        run: (p: (typeof projects)[number]) =>
          ok(bench.graph, bench.member, SHEET, { id: p.sheetId }),
      },
    ];
    for (const scenario of scenarios) {
      // One unmeasured round each, so the first measured request finds the indexes warm.
      for (const project of projects) await scenario.run(project);
      const [small, big] = await measureInTurns(
        requests,
        projects.map((project) => ({
          name: scenario.name(project.label),
          run: async () => {
            await scenario.run(project);
          },
        })),
      );
      if (!small || !big) continue;
      results.push(small, {
        ...big,
        notes: `p50 ${(big.p50Ms / small.p50Ms).toFixed(2)}× the 1,000-entry project's`,
      });
    }
    return results;
  } finally {
    await bench.stop();
  }
}
