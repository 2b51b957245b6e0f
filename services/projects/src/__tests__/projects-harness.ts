/** What the projects service's test files share: a service to start, operations, helpers. */
import {
  randomId,
  startServiceUnderTest,
  type AuthHeaders,
  type Cleanup,
  type GraphQLBody,
  type ServiceUnderTest,
  eventually,
  listenTo,
  graphqlClient,
  type ChannelListener,
} from '@psa/shared/testing';
import {
  createPubSub,
  realtimeChannel,
  silentLogger,
  type EventBus,
  type RealtimeKind,
} from '@psa/shared';
import { loadProjectsConfig, startProjectsService } from '../projects-service';

export interface ProjectView {
  id: string;
  name: string;
  description: string | null;
  status: string;
  manager: { id: string };
  members: { id: string }[];
  createdAt: string;
  updatedAt: string;
}

export interface PageView<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: T }[];
}

export interface StatusUpdateView {
  id: string;
  message: string;
  status: string | null;
  automatic: boolean;
  timestamp: string;
  author: { id: string };
  project: { id: string; status: string };
}

export const PROJECT_FIELDS =
  'id name description status manager { id } members { id } createdAt updatedAt';
export const STATUS_UPDATE_FIELDS =
  'id message status automatic timestamp author { id } project { id status }';
const page = (fields: string) =>
  `totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${fields} } }`;
export const PROJECT_PAGE = page('id name');
export const STATUS_UPDATE_PAGE = page('id message');

export const CREATE = `mutation ($input: CreateProjectInput!) { createProject(input: $input) { ${PROJECT_FIELDS} } }`;
export const READ = `query ($id: ID!) { project(id: $id) { ${PROJECT_FIELDS} } }`;
export const LIST = `query ($first: Int, $after: String, $filter: ProjectFilter) {
  projects(first: $first, after: $after, filter: $filter) { ${PROJECT_PAGE} } }`;
export const UPDATE = `mutation ($input: UpdateProjectInput!) { updateProject(input: $input) { ${PROJECT_FIELDS} } }`;
export const DELETE = 'mutation ($id: ID!) { deleteProject(id: $id) }';
export const ADD_MEMBER = `mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { ${PROJECT_FIELDS} } }`;
export const REMOVE_MEMBER = `mutation ($input: RemoveProjectMemberInput!) { removeProjectMember(input: $input) { ${PROJECT_FIELDS} } }`;
export const POST_UPDATE = `mutation ($input: PostStatusUpdateInput!) { postStatusUpdate(input: $input) { ${STATUS_UPDATE_FIELDS} } }`;
export const STATUS_UPDATES = `query ($id: ID!, $first: Int, $after: String) {
  project(id: $id) { statusUpdates(first: $first, after: $after) { ${STATUS_UPDATE_PAGE} } } }`;

export { eventually, listenTo, type ChannelListener };

/** The first error's extensions (`{}` when there is none). */
export const errorOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions ?? {};

/** A name no other test uses, so a `search` finds only what one test made. */
export const uniqueName = (prefix: string): string => `${prefix} ${randomId().slice(0, 10)}`;

/** A projects service under test, and shorthand to talk to it. */
export interface ProjectsHarness {
  auth: AuthHeaders;
  /** The service's domain event streams: what other services would publish, and what it publishes. */
  events: EventBus;
  /** The service as started (its `env` names its database). */
  started: ServiceUnderTest;
  /** Runs an operation; the body. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<GraphQLBody<T>>;
  /** Creates a project (its data, or throws with the errors). */
  createProject(
    input: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<ProjectView>;
  /** Adds a member as `headers` (the manager or an admin), or throws with the errors. */
  addMember(projectId: string, userId: string, headers: Record<string, string>): Promise<void>;
  /** Listens on a project's realtime channel (the service's own prefix), as the gateway does. */
  listen<M, R>(
    projectId: string,
    kind: RealtimeKind,
    read: (message: M) => Promise<R>,
  ): Promise<ChannelListener<R>>;
}

/** Starts a projects service for one test file; stopping it is added to `cleanup`. */
export async function startProjects(cleanup: Cleanup): Promise<ProjectsHarness> {
  const started = await startServiceUnderTest({
    name: 'projects',
    load: loadProjectsConfig,
    start: startProjectsService,
    cleanup,
  });
  const { service, auth, events, config } = started;
  const pubsub = createPubSub({ REDIS_URL: started.env.REDIS_URL }, silentLogger(), 'test');
  cleanup.add(() => pubsub.close());
  const { gql } = graphqlClient(service.url);
  const ok = <T>(body: GraphQLBody<T>): T => {
    if (body.errors || !body.data) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  return {
    auth,
    events,
    started,
    gql,
    createProject: async (input, headers) =>
      ok(await gql<{ createProject: ProjectView }>(CREATE, { input }, headers)).createProject,
    addMember: async (projectId, userId, headers) => {
      ok(await gql(ADD_MEMBER, { input: { projectId, userId } }, headers));
    },
    listen: (projectId, kind, read) =>
      listenTo(pubsub, realtimeChannel(config.EVENT_STREAM_PREFIX, projectId, kind), read),
  };
}
