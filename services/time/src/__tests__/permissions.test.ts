/**
 * The permission table of the time service (time.policy.ts): seven kinds of caller against every
 * action on a fresh project, straight to the subgraph. Denied writes change nothing.
 */
import type { Role } from '@psa/shared';
import { randomId, type GraphQLBody } from '@psa/shared/testing';
import { Types } from 'mongoose';
import {
  APPROVE,
  DELETE,
  errorOf,
  LOG,
  mondayOf,
  PROJECT_BUDGET,
  PROJECT_ENTRIES,
  PROJECT_RATES,
  READ,
  ref,
  REJECT,
  REPORT,
  SET_BUDGET,
  SET_RATE,
  SHEET,
  START,
  useTimeHarness,
  SUBMIT,
  UPDATE,
  USER_ENTRIES,
  type EntryView,
  type ProjectFixture,
  type SheetView,
} from './time-harness';

const harness = useTimeHarness();

type Actor =
  | 'ADMIN'
  | 'the manager'
  | 'a MEMBER member'
  | 'a CLIENT member'
  | 'a MANAGER member'
  | 'an outsider MEMBER'
  | 'an outsider CLIENT';

/** A fresh project: a MEMBER member with an open entry and a submitted week, a rate, a budget. */
interface Fixture {
  project: ProjectFixture;
  users: Record<'manager' | 'memberMember' | 'clientMember' | 'managerMember', string>;
  entry: EntryView;
  sheet: SheetView;
}

function headersOf(actor: Actor, { users }: Fixture): Record<string, string> {
  const table: Record<Actor, [Role, string]> = {
    ADMIN: ['ADMIN', randomId()],
    'the manager': ['MANAGER', users.manager],
    'a MEMBER member': ['MEMBER', users.memberMember],
    'a CLIENT member': ['CLIENT', users.clientMember],
    'a MANAGER member': ['MANAGER', users.managerMember],
    'an outsider MEMBER': ['MEMBER', randomId()],
    'an outsider CLIENT': ['CLIENT', randomId()],
  };
  const [role, userId] = table[actor];
  return harness.auth(role, userId);
}

async function setUp(): Promise<Fixture> {
  const users = {
    manager: randomId(),
    memberMember: randomId(),
    clientMember: randomId(),
    managerMember: randomId(),
  };
  const project = await harness.publishProject({
    id: new Types.ObjectId().toHexString(),
    managerId: users.manager,
    memberIds: [users.memberMember, users.clientMember, users.managerMember],
    version: 0,
  });
  const member = harness.auth('MEMBER', users.memberMember);
  const manager = harness.auth('MANAGER', users.manager);
  const entry = await harness.log(project, { date: mondayOf(1) }, member);
  await harness.log(project, { date: mondayOf(2) }, member);
  const sheet = (
    await harness.ok<{ submitTimesheet: SheetView }>(
      SUBMIT,
      { input: { projectId: project.id, weekStart: mondayOf(2) } },
      member,
    )
  ).submitTimesheet;
  await harness.ok(
    SET_RATE,
    { input: { projectId: project.id, hourlyRate: '100', currency: 'EUR' } },
    manager,
  );
  await harness.ok(SET_BUDGET, { input: { projectId: project.id, minutes: 6000 } }, manager);
  return { project, users, entry, sheet };
}

type Run = (fixture: Fixture, headers: Record<string, string>) => Promise<GraphQLBody<unknown>>;

const onProject = (fixture: Fixture) => ref('Project', fixture.project.id);

const ACTIONS = {
  'log time': ({ project }, headers) =>
    harness.gql(LOG, { input: { projectId: project.id, date: mondayOf(3), minutes: 30 } }, headers),
  'start a timer': ({ project }, headers) =>
    harness.gql(START, { input: { projectId: project.id } }, headers),
  "submit one's week": async ({ project }, headers) => {
    // The caller's own week, with an entry (written as logTime would have, where they may not).
    const userId = new Types.ObjectId(
      JSON.parse(
        Buffer.from(String(headers.authorization).split('.')[1] ?? '', 'base64url').toString(),
      ).sub,
    );
    const projectId = new Types.ObjectId(project.id);
    const weekStart = mondayOf(4);
    await harness.db.collection('time_entries').insertOne({
      userId,
      projectId,
      taskId: null,
      date: weekStart,
      weekStart,
      minutes: 10,
      billable: true,
      note: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await harness.db.collection('timesheets').insertOne({
      userId,
      projectId,
      weekStart,
      status: 'OPEN',
      submissions: 0,
      transitions: [],
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    return harness.gql(SUBMIT, { input: { projectId: project.id, weekStart } }, headers);
  },
  "read the member's entry": ({ entry }, headers) => harness.gql(READ, { id: entry.id }, headers),
  "change the member's entry": ({ entry }, headers) =>
    harness.gql(UPDATE, { input: { id: entry.id, minutes: 15 } }, headers),
  "delete the member's entry": ({ entry }, headers) =>
    harness.gql(DELETE, { id: entry.id }, headers),
  "read the project's entries": (fixture, headers) =>
    harness.gql(PROJECT_ENTRIES, { representations: onProject(fixture) }, headers),
  "read the project's report": (fixture, headers) =>
    harness.gql(
      REPORT,
      { representations: onProject(fixture), from: mondayOf(3), to: mondayOf(0) },
      headers,
    ),
  "read the project's budget": (fixture, headers) =>
    harness.gql(PROJECT_BUDGET, { representations: onProject(fixture) }, headers),
  "read the project's rates": (fixture, headers) =>
    harness.gql(PROJECT_RATES, { representations: onProject(fixture) }, headers),
  'set a billing rate': ({ project }, headers) =>
    harness.gql(
      SET_RATE,
      { input: { projectId: project.id, hourlyRate: '90', currency: 'EUR' } },
      headers,
    ),
  'set the budget': ({ project }, headers) =>
    harness.gql(SET_BUDGET, { input: { projectId: project.id, minutes: 9000 } }, headers),
  "read the member's timesheet": ({ sheet }, headers) =>
    harness.gql(SHEET, { id: sheet.id }, headers),
  "approve the member's timesheet": ({ sheet }, headers) =>
    harness.gql(APPROVE, { id: sheet.id }, headers),
  "reject the member's timesheet": ({ sheet }, headers) =>
    harness.gql(REJECT, { id: sheet.id, reason: 'Missing tasks' }, headers),
  "read the member's own entries": ({ users }, headers) =>
    harness.gql(USER_ENTRIES, { representations: ref('User', users.memberMember) }, headers),
} satisfies Record<string, Run>;

type Action = keyof typeof ACTIONS;
type Outcome = 'yes' | 'FORBIDDEN' | 'NOT_FOUND';

const Y = 'yes';
const F = 'FORBIDDEN';
const N = 'NOT_FOUND';

// Columns in the order of ACTIONS.
const TABLE: Record<Actor, Outcome[]> = {
  //                     log start submit read change delete entries report budget rates setRate setBudget sheet approve reject userEntries
  ADMIN: /*           */ [F, F, F, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y],
  'the manager': /*   */ [Y, Y, Y, Y, F, F, Y, Y, Y, Y, Y, Y, Y, Y, Y, F],
  'a MEMBER member': /**/ [Y, Y, Y, Y, Y, Y, Y, Y, Y, F, F, F, Y, F, F, Y],
  'a CLIENT member': /**/ [F, F, F, N, N, N, F, F, F, F, F, F, N, N, N, F],
  'a MANAGER member': [Y, Y, Y, N, N, N, Y, Y, Y, F, F, F, N, N, N, F],
  'an outsider MEMBER': [N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, F],
  'an outsider CLIENT': [N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, F],
};

const cases = (Object.keys(TABLE) as Actor[]).flatMap((actor) =>
  (Object.keys(ACTIONS) as Action[]).map((action, column) => {
    const outcome = TABLE[actor][column];
    if (!outcome) throw new Error(`no outcome for ${actor} / ${action}`);
    return [actor, action, outcome] as const;
  }),
);

/** What the project's time looks like to an admin: entries, the submitted sheet, rates, budget. */
async function snapshot(fixture: Fixture): Promise<unknown> {
  const admin = harness.auth('ADMIN');
  return Promise.all([
    harness.gql(PROJECT_ENTRIES, { representations: onProject(fixture) }, admin),
    harness.gql(SHEET, { id: fixture.sheet.id }, admin),
    harness.gql(PROJECT_RATES, { representations: onProject(fixture) }, admin),
    harness.gql(PROJECT_BUDGET, { representations: onProject(fixture) }, admin),
    harness.gql(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) {
        ... on User { runningTimer { id } } } }`,
      { representations: ref('User', fixture.users.memberMember) },
      admin,
    ),
  ]);
}

describe('who may do what with time', () => {
  it('covers every actor and action', () => {
    expect(cases).toHaveLength(7 * Object.keys(ACTIONS).length);
  });

  it.each(cases)('%s: %s → %s', async (actor, action, outcome) => {
    const fixture = await setUp();
    const before = await snapshot(fixture);
    const body = await ACTIONS[action](fixture, headersOf(actor, fixture));
    if (outcome === 'yes') {
      expect(body.errors).toBeUndefined();
      if (action === "read the project's entries") {
        // The member sees their own two entries; the manager and admins everyone's (two).
        const page = (body.data as { _entities: { timeEntries: { totalCount: number } }[] })
          ._entities[0];
        expect(page?.timeEntries.totalCount).toBe(actor === 'a MANAGER member' ? 0 : 2);
      }
      return;
    }
    expect(errorOf(body).code).toBe(outcome);
    if (action !== "submit one's week") expect(await snapshot(fixture)).toEqual(before);
  });
});
