/**
 * People and things the fault and load suites work with, made through a gateway over HTTP as a
 * client would.
 */
import { appendFileSync } from 'node:fs';
import type { Role } from '@psa/shared';
import { bearer, graphqlRequest, randomId, type GraphQLBody } from '@psa/shared/testing';
import { ADMIN } from './launcher';

/** A signed-in user. */
export interface Actor {
  id: string;
  username: string;
  password: string;
  token: string;
  headers: Record<string, string>;
}

/** Runs an operation; resolves with its data, or throws with the errors. */
export async function ok<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const { status, body } = await graphqlRequest<T>(url, query, variables, headers);
  if (status !== 200 || body.errors || !body.data) {
    throw new Error(`${status} ${JSON.stringify(body.errors)}`);
  }
  return body.data;
}

/** Runs an operation and resolves with the HTTP status and body, whatever they are. */
export async function send<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; body: GraphQLBody<T> }> {
  const { status, body } = await graphqlRequest<T>(url, query, variables, headers);
  return { status, body };
}

const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken user { id } } }';

export async function login(url: string, username: string, password: string): Promise<Actor> {
  const data = await ok<{ login: { accessToken: string; user: { id: string } } }>(url, LOGIN, {
    input: { login: username, password },
  });
  const token = data.login.accessToken;
  return { id: data.login.user.id, username, password, token, headers: bearer(token) };
}

export const loginAdmin = (url: string): Promise<Actor> =>
  login(url, ADMIN.username, ADMIN.password);

/** Signs up a user, has `admin` give them `role`, and signs them in with it. */
export async function signUp(url: string, admin: Actor, role: Role, name: string): Promise<Actor> {
  const username = `${name}-${randomId().slice(0, 8)}`;
  const password = `${username} password 1`;
  const { signUp: created } = await ok<{ signUp: { user: { id: string } } }>(
    url,
    'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } } }',
    { input: { username, email: `${username}@example.com`, password } },
  );
  if (role !== 'MEMBER') {
    await ok(
      url,
      'mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) { id } }',
      { input: { userId: created.user.id, role } },
      admin.headers,
    );
  }
  return login(url, username, password);
}

/** Creates an ACTIVE project managed by `manager`, with `members`; resolves with its id. */
export async function createProject(
  url: string,
  manager: Actor,
  members: readonly Actor[] = [],
): Promise<string> {
  const { createProject: project } = await ok<{ createProject: { id: string } }>(
    url,
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: `Project ${randomId().slice(0, 6)}`, status: 'ACTIVE' } },
    manager.headers,
  );
  for (const member of members) {
    await ok(
      url,
      'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
      { input: { projectId: project.id, userId: member.id } },
      manager.headers,
    );
  }
  return project.id;
}

export const CREATE_TASK =
  'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id title } }';

export async function createTask(
  url: string,
  manager: Actor,
  projectId: string,
  title: string,
): Promise<string> {
  const data = await ok<{ createTask: { id: string } }>(
    url,
    CREATE_TASK,
    { input: { projectId, title } },
    manager.headers,
  );
  return data.createTask.id;
}

export const POST_STATUS_UPDATE =
  'mutation ($input: PostStatusUpdateInput!) { postStatusUpdate(input: $input) { id message } }';

export async function postStatusUpdate(
  url: string,
  manager: Actor,
  projectId: string,
  message: string,
): Promise<string> {
  const data = await ok<{ postStatusUpdate: { id: string } }>(
    url,
    POST_STATUS_UPDATE,
    { input: { projectId, message } },
    manager.headers,
  );
  return data.postStatusUpdate.id;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** A project's connection whose node ids {@link projectItemIds} reads. */
export type ProjectConnection = 'tasks' | 'statusUpdates' | 'documents' | 'timeEntries';

/** Every id in one of a project's connections, page by page (100 a page), with its totalCount. */
export async function projectItemIds(
  url: string,
  reader: Actor,
  projectId: string,
  connection: ProjectConnection,
): Promise<{ ids: string[]; totalCount: number }> {
  const ids: string[] = [];
  let after: string | null = null;
  let totalCount = 0;
  for (;;) {
    const data: {
      project: {
        items: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          edges: { node: { id: string } }[];
        };
      };
    } = await ok(
      url,
      `query ($p: ID!, $after: String) { project(id: $p) {
        items: ${connection}(first: 100, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }`,
      { p: projectId, after },
      reader.headers,
    );
    const page = data.project.items;
    totalCount = page.totalCount;
    ids.push(...page.edges.map((edge) => edge.node.id));
    if (!page.pageInfo.hasNextPage) return { ids, totalCount };
    after = page.pageInfo.endCursor;
  }
}

export const CREATE_DOCUMENT =
  'mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { id } }';

/**
 * Records a figure a fault test measured (e.g. a recovery time) for `npm run test:faults` to
 * print: appended as a JSON line to the file FAULTS_FIGURES names; nothing when it is unset.
 */
export function recordFigure(name: string, value: number, unit: string): void {
  const file = process.env.FAULTS_FIGURES;
  if (file) appendFileSync(file, `${JSON.stringify({ name, value, unit })}\n`);
}
