/** What the tasks service's test files share: a service to start, operations, helpers. */
import {
  createPubSub,
  projectAccessChanged,
  realtimeChannel,
  silentLogger,
  STREAMS,
  type EventBus,
  type Role,
} from '@psa/shared';
import {
  eventually,
  graphqlClient,
  listenTo,
  randomId,
  startServiceUnderTest,
  type AuthHeaders,
  type ChannelListener,
  type Cleanup,
  type GraphQLBody,
  type GraphQLClient,
} from '@psa/shared/testing';
import mongoose from 'mongoose';
import {
  loadTasksConfig,
  startTasksService,
  type SubgraphService,
  type TasksConfig,
} from '../tasks-service';

export interface TaskView {
  id: string;
  project: { id: string };
  title: string;
  description: string | null;
  status: string;
  priority: string;
  dueDate: string | null;
  assignee: { id: string } | null;
  createdBy: { id: string };
  completedAt: string | null;
  overdue: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PageView<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: T }[];
}

export const TASK_FIELDS = `id project { id } title description status priority dueDate assignee { id }
  createdBy { id } completedAt overdue createdAt updatedAt`;
export const TASK_PAGE = `totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id title status assignee { id } } }`;

export const CREATE = `mutation ($input: CreateTaskInput!) { createTask(input: $input) { ${TASK_FIELDS} } }`;
export const READ = `query ($id: ID!) { task(id: $id) { ${TASK_FIELDS} } }`;
export const UPDATE = `mutation ($input: UpdateTaskInput!) { updateTask(input: $input) { ${TASK_FIELDS} } }`;
export const ASSIGN = `mutation ($input: AssignTaskInput!) { assignTask(input: $input) { ${TASK_FIELDS} } }`;
export const SET_STATUS = `mutation ($input: SetTaskStatusInput!) { setTaskStatus(input: $input) { ${TASK_FIELDS} } }`;
export const DELETE = 'mutation ($id: ID!) { deleteTask(id: $id) }';
export const PROJECT_TASKS = `query ($representations: [_Any!]!, $first: Int, $after: String, $filter: TaskFilter) {
  _entities(representations: $representations) {
    ... on Project { id tasks(first: $first, after: $after, filter: $filter) { ${TASK_PAGE} } } } }`;
export const TASK_SUMMARY = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Project { id taskSummary { total todo inProgress blocked done overdue percentComplete } } } }`;
export const ASSIGNED_TASKS = `query ($representations: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $representations) {
    ... on User { id assignedTasks(first: $first, after: $after) { ${TASK_PAGE} } } } }`;

/** The first error's extensions (`{}` when there is none). */
export const errorOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions ?? {};

export const DAY = 86_400_000;

/** A project as the tasks service learns it from the projects service's events. */
export interface ProjectFixture {
  id: string;
  managerId: string;
  memberIds: string[];
  /** The version of the last snapshot published. */
  version: number;
}

/** Options of a project fixture; ids default to fresh random ones (one manager, two members). */
export interface ProjectOptions {
  managerId?: string;
  memberIds?: string[];
}

export { eventually, listenTo, type ChannelListener };

/** A tasks service under test, and shorthand to talk to it. */
export interface TasksHarness extends GraphQLClient {
  service: SubgraphService;
  auth: AuthHeaders;
  config: TasksConfig;
  /** The environment the service started from: restart with it on the same database and streams. */
  env: NodeJS.ProcessEnv;
  /** The service's event streams: publish what other services would. */
  events: EventBus;
  /** The service's database, to look at what it stored. */
  db: mongoose.Connection;
  /** Publishes a project snapshot and waits until the service handled it. */
  publishProject(
    project: ProjectFixture,
    changes?: Partial<Pick<ProjectFixture, 'managerId' | 'memberIds'>> & {
      deleted?: boolean;
      version?: number;
    },
  ): Promise<ProjectFixture>;
  /** A new project the service knows of (published and handled). */
  newProject(options?: ProjectOptions): Promise<ProjectFixture>;
  /** Creates a task as the project's manager (unless `headers` say otherwise). */
  createTask(
    project: ProjectFixture,
    input?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<TaskView>;
  /** Headers of the project's manager (role MANAGER), or of one of its members with `role`. */
  as(project: ProjectFixture, who: 'manager' | number, role?: Role): Record<string, string>;
  /** Listens on a project's `tasks` channel (the service's own prefix), as the gateway does. */
  listen<M, R>(projectId: string, read: (message: M) => Promise<R>): Promise<ChannelListener<R>>;
}

/** Starts a tasks service for one test file (on `env` when given); stopping it is added to `cleanup`. */
export async function startTasks(
  cleanup: Cleanup,
  options: { env?: NodeJS.ProcessEnv; keysDir?: string } = {},
): Promise<TasksHarness> {
  const { service, auth, config, env, events } = await startServiceUnderTest({
    name: 'tasks',
    load: loadTasksConfig,
    start: startTasksService,
    cleanup,
    ...options,
  });
  const db = await mongoose
    .createConnection(config.MONGO_URL, { dbName: config.TASKS_DB })
    .asPromise();
  cleanup.add(() => db.close());
  const pubsub = createPubSub({ REDIS_URL: env.REDIS_URL }, silentLogger(), 'test');
  cleanup.add(() => pubsub.close());
  const { gql, ok } = graphqlClient(service.url);
  const publishProject: TasksHarness['publishProject'] = async (project, changes = {}) => {
    const next: ProjectFixture = {
      id: project.id,
      managerId: changes.managerId ?? project.managerId,
      memberIds: changes.memberIds ?? project.memberIds,
      version: changes.version ?? project.version + 1,
    };
    const published = await events.publish(STREAMS.projects, projectAccessChanged.type, {
      projectId: next.id,
      managerId: next.managerId,
      memberIds: next.memberIds,
      version: next.version,
      deleted: changes.deleted ?? false,
    });
    if (!(await events.handledBy(published, ['tasks'], 5_000))) {
      throw new Error('the tasks service did not handle a project snapshot in time');
    }
    return next;
  };
  const harness: TasksHarness = {
    service,
    auth,
    config,
    env,
    events,
    db,
    gql,
    ok,
    publishProject,
    newProject: (projectOptions = {}) =>
      publishProject(
        {
          id: randomId(),
          managerId: projectOptions.managerId ?? randomId(),
          memberIds: projectOptions.memberIds ?? [randomId(), randomId()],
          version: 0,
        },
        {},
      ),
    createTask: async (project, input = {}, headers) =>
      (
        await ok<{ createTask: TaskView }>(
          CREATE,
          { input: { projectId: project.id, title: 'Wireframes', ...input } },
          headers ?? harness.as(project, 'manager'),
        )
      ).createTask,
    listen: (projectId, read) =>
      listenTo(pubsub, realtimeChannel(config.EVENT_STREAM_PREFIX, projectId, 'tasks'), read),
    as: (project, who, role = 'MEMBER') =>
      who === 'manager'
        ? auth('MANAGER', project.managerId)
        : auth(role, project.memberIds[who] ?? randomId()),
  };
  return harness;
}

/** The entity representation of a project or user, for `_entities`. */
export const ref = (typename: 'Project' | 'User', id: string) => [{ __typename: typename, id }];
