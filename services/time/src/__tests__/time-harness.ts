/** What the time service's test files share: a service to start, operations, helpers. */
import {
  projectAccessChanged,
  taskChanged,
  STREAMS,
  userDeleted,
  type DomainEvent,
  type EventBus,
  type Role,
} from '@psa/shared';
import {
  graphqlClient,
  randomId,
  Cleanup,
  startServiceUnderTest,
  type AuthHeaders,
  type GraphQLBody,
  type GraphQLClient,
} from '@psa/shared/testing';
import mongoose, { Types } from 'mongoose';
import { addDays, dayOf, weekStartOf } from '../calendar';
import {
  loadTimeConfig,
  startTimeService,
  type SubgraphService,
  type TimeConfig,
} from '../time-service';

export interface EntryView {
  id: string;
  user: { id: string };
  project: { id: string };
  task: { id: string } | null;
  date: string;
  minutes: number;
  billable: boolean;
  note: string | null;
  status: string;
  createdAt: string;
  updatedAt: string;
}

export interface SheetView {
  id: string;
  user: { id: string };
  project: { id: string };
  weekStart: string;
  status: string;
  entries: { id: string }[];
  totalMinutes: number;
  billableMinutes: number;
  submittedAt: string | null;
  decidedAt: string | null;
  decidedBy: { id: string } | null;
  rejectionReason: string | null;
}

export interface PageView<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: T }[];
}

export const ENTRY_FIELDS = `id user { id } project { id } task { id } date minutes billable note status
  createdAt updatedAt`;
export const SHEET_FIELDS = `id user { id } project { id } weekStart status entries { id } totalMinutes
  billableMinutes submittedAt decidedAt decidedBy { id } rejectionReason`;
export const ENTRY_PAGE = `totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id user { id } date minutes billable status } }`;

export const LOG = `mutation ($input: LogTimeInput!) { logTime(input: $input) { ${ENTRY_FIELDS} } }`;
export const UPDATE = `mutation ($input: UpdateTimeEntryInput!) { updateTimeEntry(input: $input) { ${ENTRY_FIELDS} } }`;
export const DELETE = 'mutation ($id: ID!) { deleteTimeEntry(id: $id) }';
export const READ = `query ($id: ID!) { timeEntry(id: $id) { ${ENTRY_FIELDS} } }`;
export const START = `mutation ($input: StartTimerInput!) {
  startTimer(input: $input) { id user { id } project { id } task { id } note billable startedAt } }`;
export const STOP = `mutation { stopTimer { ${ENTRY_FIELDS} } }`;
export const SUBMIT = `mutation ($input: SubmitTimesheetInput!) { submitTimesheet(input: $input) { ${SHEET_FIELDS} } }`;
export const APPROVE = `mutation ($id: ID!) { approveTimesheet(input: { timesheetId: $id }) { ${SHEET_FIELDS} } }`;
export const REJECT = `mutation ($id: ID!, $reason: String!) {
  rejectTimesheet(input: { timesheetId: $id, reason: $reason }) { ${SHEET_FIELDS} } }`;
export const SHEET = `query ($id: ID!) { timesheet(id: $id) { ${SHEET_FIELDS} } }`;
export const TO_APPROVE = `query ($first: Int, $after: String) { timesheetsToApprove(first: $first, after: $after) {
  totalCount edges { node { id user { id } project { id } weekStart status } } } }`;
export const SET_RATE = `mutation ($input: SetBillingRateInput!) {
  setBillingRate(input: $input) { user { id } hourlyRate { amount currency } } }`;
export const SET_BUDGET = `mutation ($input: SetProjectBudgetInput!) {
  setProjectBudget(input: $input) { minutes amount { amount currency } spentMinutes billableMinutes
    spentAmount { amount currency } percentUsed } }`;
export const PROJECT_ENTRIES = `query ($representations: [_Any!]!, $first: Int, $after: String, $filter: TimeEntryFilter) {
  _entities(representations: $representations) {
    ... on Project { id timeEntries(first: $first, after: $after, filter: $filter) { ${ENTRY_PAGE} } } } }`;
export const PROJECT_BUDGET = `query ($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on Project { budget { minutes spentMinutes billableMinutes percentUsed } } } }`;
export const PROJECT_MONEY = `query ($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on Project { budget { amount { amount currency } spentAmount { amount currency } } } } }`;
export const PROJECT_RATES = `query ($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on Project { billingRates { user { id } hourlyRate { amount currency } } } } }`;
export const REPORT = `query ($representations: [_Any!]!, $from: Date!, $to: Date!) {
  _entities(representations: $representations) { ... on Project { timeReport(from: $from, to: $to) {
    from to totalMinutes billableMinutes byUser { user { id } totalMinutes billableMinutes } } } } }`;
export const REPORT_MONEY = `query ($representations: [_Any!]!, $from: Date!, $to: Date!) {
  _entities(representations: $representations) { ... on Project { timeReport(from: $from, to: $to) {
    billableAmount { amount currency } byUser { user { id } billableAmount { amount currency } } } } } }`;
export const USER_ENTRIES = `query ($representations: [_Any!]!, $first: Int, $filter: TimeEntryFilter) {
  _entities(representations: $representations) {
    ... on User { id timeEntries(first: $first, filter: $filter) { ${ENTRY_PAGE} } } } }`;
export const USER_SHEETS = `query ($representations: [_Any!]!, $filter: TimesheetFilter) {
  _entities(representations: $representations) {
    ... on User { timesheets(filter: $filter) { totalCount edges { node { id weekStart status } } } } } }`;
export const USER_TIMER = `query ($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on User { runningTimer { id project { id } startedAt } } } }`;
export const UTILIZATION = `query ($representations: [_Any!]!, $from: Date!, $to: Date!) {
  _entities(representations: $representations) { ... on User { utilization(from: $from, to: $to) {
    from to capacityMinutes totalMinutes billableMinutes billableRatio } } } }`;
export const TASK_MINUTES = `query ($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on Task { timeSpentMinutes } } }`;

/** The first error's extensions (`{}` when there is none). */
export const errorOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions ?? {};

/** The entity representation of a project, user or task, for `_entities`. */
export const ref = (typename: 'Project' | 'User' | 'Task', id: string) => [
  { __typename: typename, id },
];

/** Today (UTC) and the Monday of a week `weeksAgo` weeks back. */
export const today = (): string => dayOf(new Date());
export const mondayOf = (weeksAgo: number): string => addDays(weekStartOf(today()), -7 * weeksAgo);

/** A project as the time service learns it from the projects service's events. */
export interface ProjectFixture {
  id: string;
  managerId: string;
  memberIds: string[];
  version: number;
}

/** A time service under test, and shorthand to talk to it. */
export interface TimeHarness extends GraphQLClient {
  service: SubgraphService;
  auth: AuthHeaders;
  config: TimeConfig;
  events: EventBus;
  db: mongoose.Connection;
  /** Publishes a project snapshot and waits until the service handled it. */
  publishProject(
    project: ProjectFixture,
    changes?: Partial<Pick<ProjectFixture, 'managerId' | 'memberIds'>> & { deleted?: boolean },
  ): Promise<ProjectFixture>;
  /** A new project (id made now, as the projects service does) with a manager and two members. */
  newProject(options?: { memberIds?: string[] }): Promise<ProjectFixture>;
  /**
   * Announces a task of `project` as the tasks service does (`task.changed`; `deleted` for its
   * deletion) and waits until the service handled it; the task's id.
   */
  publishTask(
    project: ProjectFixture,
    options?: { taskId?: string; deleted?: boolean },
  ): Promise<string>;
  /** Publishes `user.deleted` and waits until the service handled it. */
  deleteUser(userId: string): Promise<void>;
  /** Headers of the project's manager (role MANAGER), or of one of its members with `role`. */
  as(project: ProjectFixture, who: 'manager' | number, role?: Role): Record<string, string>;
  /** Logs time as `headers` (default: the project's first member); the entry. */
  log(
    project: ProjectFixture,
    input?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<EntryView>;
  /** Every event the service publishes on its `time` stream, from the start of the file. */
  published: DomainEvent[];
}

/**
 * The time service of a test file: started in `beforeAll`, stopped in `afterAll`. The harness it
 * returns answers from the first test on (before that it throws: the service is not started).
 */
export function useTimeHarness(options: { env?: NodeJS.ProcessEnv } = {}): TimeHarness {
  const cleanup = new Cleanup();
  let started: TimeHarness | undefined;
  beforeAll(async () => {
    started = await startTime(cleanup, options);
  });
  afterAll(() => cleanup.run());
  return new Proxy({} as TimeHarness, {
    get(_target, key) {
      if (!started) throw new Error('the time service is not started (beforeAll failed?)');
      return Reflect.get(started, key) as unknown;
    },
  });
}

/** Starts a time service for one test file; stopping it is added to `cleanup`. */
async function startTime(
  cleanup: Cleanup,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<TimeHarness> {
  const { service, auth, config, events } = await startServiceUnderTest({
    name: 'time',
    load: loadTimeConfig,
    start: startTimeService,
    cleanup,
    ...options,
  });
  const db = await mongoose
    .createConnection(config.MONGO_URL, { dbName: config.TIME_DB })
    .asPromise();
  cleanup.add(() => db.close());
  const published: DomainEvent[] = [];
  const consumer = await events.consume({
    stream: STREAMS.time,
    group: `test-${randomId()}`,
    consumer: 'test',
    handler: async (event) => {
      published.push(event);
    },
  });
  cleanup.add(() => consumer.stop());
  const { gql, ok } = graphqlClient(service.url);
  const publishProject: TimeHarness['publishProject'] = async (project, changes = {}) => {
    const next: ProjectFixture = {
      id: project.id,
      managerId: changes.managerId ?? project.managerId,
      memberIds: changes.memberIds ?? project.memberIds,
      version: project.version + 1,
    };
    const event = await events.publish(STREAMS.projects, projectAccessChanged.type, {
      projectId: next.id,
      managerId: next.managerId,
      memberIds: next.memberIds,
      version: changes.deleted ? Number.MAX_SAFE_INTEGER : next.version,
      deleted: changes.deleted ?? false,
    });
    if (!(await events.handledBy(event, ['time'], 5_000))) {
      throw new Error('the time service did not handle a project snapshot in time');
    }
    return next;
  };
  const harness: TimeHarness = {
    service,
    auth,
    config,
    events,
    db,
    gql,
    ok,
    published,
    publishProject,
    newProject: (projectOptions = {}) =>
      publishProject({
        id: new Types.ObjectId().toHexString(),
        managerId: randomId(),
        memberIds: projectOptions.memberIds ?? [randomId(), randomId()],
        version: 0,
      }),
    publishTask: async (project, { taskId = new Types.ObjectId().toHexString(), deleted } = {}) => {
      const event = await events.publish(STREAMS.tasks, taskChanged.type, {
        taskId,
        projectId: project.id,
        title: 'A task',
        status: 'TODO',
        assigneeId: null,
        previousAssigneeId: null,
        dueDate: null,
        change: deleted ? 'deleted' : 'created',
        version: Date.now(),
        actorId: project.managerId,
      });
      if (!(await events.handledBy(event, ['time'], 5_000))) {
        throw new Error('the time service did not handle a task change in time');
      }
      return taskId;
    },
    deleteUser: async (userId) => {
      const event = await events.publish(STREAMS.users, userDeleted.type, { userId });
      if (!(await events.handledBy(event, ['time'], 5_000))) {
        throw new Error('the time service did not handle a user deletion in time');
      }
    },
    as: (project, who, role = 'MEMBER') =>
      who === 'manager'
        ? auth('MANAGER', project.managerId)
        : auth(role, project.memberIds[who] ?? randomId()),
    log: async (project, input = {}, headers) =>
      (
        await ok<{ logTime: EntryView }>(
          LOG,
          { input: { projectId: project.id, date: mondayOf(1), minutes: 60, ...input } },
          headers ?? harness.as(project, 0),
        )
      ).logTime,
  };
  return harness;
}
