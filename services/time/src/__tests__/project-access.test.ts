/**
 * The time service follows project access (ADR 0004): a deleted project's time goes, but approved
 * weeks (billing records, ADR 0011); a leaver keeps their entries but may log no more; a deleted
 * user's entries stay.
 */
import { projectTimeApproved } from '@psa/shared';
import { eventually } from '@psa/shared/testing';
import { Types } from 'mongoose';
import {
  APPROVE,
  errorOf,
  LOG,
  mondayOf,
  PROJECT_ENTRIES,
  READ,
  ref,
  useTimeHarness,
  SUBMIT,
  type EntryView,
  type PageView,
  type SheetView,
} from './time-harness';

const harness = useTimeHarness();

const count = (collection: string, projectId: string) =>
  harness.db.collection(collection).countDocuments({ projectId: new Types.ObjectId(projectId) });

it("removes a deleted project's time, rates and budget, and gives the days back", async () => {
  const project = await harness.newProject();
  const date = mondayOf(1);
  await harness.log(project, { date, minutes: 1440 });
  await harness.ok(
    `mutation ($id: ID!) { setBillingRate(input: { projectId: $id, hourlyRate: "10", currency: "EUR" }) { user { id } } }`,
    { id: project.id },
    harness.as(project, 'manager'),
  );
  await harness.publishProject(project, { deleted: true });
  expect(await count('time_entries', project.id)).toBe(0);
  expect(await count('timesheets', project.id)).toBe(0);
  expect(await count('billing_rates', project.id)).toBe(0);
  const body = await harness.gql(
    PROJECT_ENTRIES,
    { representations: ref('Project', project.id) },
    harness.auth('ADMIN'),
  );
  expect(errorOf(body).code).toBe('NOT_FOUND');
  // The member's day holds nothing any more: a full day fits on another project.
  const other = await harness.newProject({ memberIds: [project.memberIds[0]!] });
  expect((await harness.log(other, { date, minutes: 1440 })).minutes).toBe(1440);
});

it('keeps approved weeks of a deleted project as billing records, and announces approvals', async () => {
  const project = await harness.newProject();
  const approved = await harness.log(project, { date: mondayOf(2) });
  const open = await harness.log(project, { date: mondayOf(1) });
  const sheet = await harness.ok<{ submitTimesheet: SheetView }>(
    SUBMIT,
    { input: { projectId: project.id, weekStart: mondayOf(2) } },
    harness.as(project, 0),
  );
  await harness.ok(APPROVE, { id: sheet.submitTimesheet.id }, harness.as(project, 'manager'));
  await eventually(() =>
    harness.published.some(
      (event) => event.type === projectTimeApproved.type && event.data.projectId === project.id,
    ),
  );
  await harness.publishProject(project, { deleted: true });
  const owner = harness.as(project, 0);
  expect(
    (await harness.ok<{ timeEntry: EntryView }>(READ, { id: approved.id }, owner)).timeEntry,
  ).toMatchObject({ id: approved.id, status: 'APPROVED' });
  expect(errorOf(await harness.gql(READ, { id: open.id }, owner)).code).toBe('NOT_FOUND');
});

it('lets a leaver keep their entries (the manager sees them) but log no more', async () => {
  const project = await harness.newProject();
  const entry = await harness.log(project);
  const left = await harness.publishProject(project, { memberIds: [project.memberIds[1]!] });
  const again = await harness.gql(
    LOG,
    { input: { projectId: project.id, date: mondayOf(1), minutes: 10 } },
    harness.auth('MEMBER', project.memberIds[0]),
  );
  expect(errorOf(again).code).toBe('NOT_FOUND');
  const seen = await harness.ok<{ _entities: { timeEntries: PageView<EntryView> }[] }>(
    PROJECT_ENTRIES,
    { representations: ref('Project', left.id) },
    harness.as(left, 'manager'),
  );
  expect(seen._entities[0]?.timeEntries.edges.map((e) => e.node.id)).toEqual([entry.id]);
});

it("keeps a deleted user's entries as billing records", async () => {
  const project = await harness.newProject();
  const entry = await harness.log(project);
  await harness.deleteUser(project.memberIds[0]!);
  const read = await harness.ok<{ timeEntry: EntryView }>(
    READ,
    { id: entry.id },
    harness.as(project, 'manager'),
  );
  expect(read.timeEntry.user.id).toBe(project.memberIds[0]);
});
