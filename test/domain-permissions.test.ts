/**
 * ARCHITECTURE §2 "Who may do what", row by row, through the gateway: every kind of caller tries
 * every action on a project they are (or are not) part of, with real users, real tokens and the
 * four subgraphs. An action "passes" when it returns data without an error; otherwise the outcome
 * is the error's code.
 */
import { startGraph, type Graph } from './helpers/graph';
import { loginAdmin, ok, signUp, type Person } from './helpers/people';
import { ADD_MEMBER, CREATE_DOCUMENT, CREATE_PROJECT, CREATE_TASK } from './helpers/operations';

type Caller = 'ADMIN' | 'manager' | 'assignee' | 'member' | 'client' | 'outsider';
const CALLERS: Caller[] = ['ADMIN', 'manager', 'assignee', 'member', 'client', 'outsider'];
type Outcome = 'pass' | 'FORBIDDEN' | 'NOT_FOUND';

let graph: Graph;
const people = {} as Record<Caller, Person>;

/** The project everyone but the outsider is on; built by the manager. */
interface Fixture {
  projectId: string;
  taskId: string;
  /** A document of the project, owned by the (plain) member. */
  documentId: string;
}

const SET_STATUS =
  'mutation ($input: SetTaskStatusInput!) { setTaskStatus(input: $input) { id status } }';

let shared: Fixture;

async function newFixture(): Promise<Fixture> {
  const { manager, assignee, member, client } = people;
  const { createProject } = await ok<{ createProject: { id: string } }>(
    graph,
    manager,
    CREATE_PROJECT,
    { input: { name: 'Website relaunch', status: 'ACTIVE' } },
  );
  const projectId = createProject.id;
  for (const person of [assignee, member, client]) {
    await ok(graph, manager, ADD_MEMBER, { input: { projectId, userId: person.id } });
  }
  const { createTask } = await ok<{ createTask: { id: string } }>(graph, manager, CREATE_TASK, {
    input: { projectId, title: 'Wireframes', assigneeId: assignee.id },
  });
  const { createDocument } = await ok<{ createDocument: { id: string } }>(
    graph,
    member,
    CREATE_DOCUMENT,
    { input: { title: 'SOW', fileUrl: 'https://files.example.com/sow.pdf', projectId } },
  );
  return { projectId, taskId: createTask.id, documentId: createDocument.id };
}

/** One row of the table: how to try it, and who may. */
interface Action {
  name: string;
  /** True when trying it changes the fixture (each caller then gets a fresh one). */
  destructive?: boolean;
  /** Makes the fixture ready for the attempt (as someone allowed), e.g. moves the task to DONE. */
  prepare?: (fixture: Fixture) => Promise<void>;
  query: string;
  variables: (fixture: Fixture) => Record<string, unknown>;
  allowed: readonly Caller[];
  /** What a caller on the project who may not do it gets (an outsider always gets NOT_FOUND). */
  denied?: Outcome;
}

const EVERYONE_ON_THE_PROJECT: Caller[] = ['ADMIN', 'manager', 'assignee', 'member', 'client'];
const MANAGERS: Caller[] = ['ADMIN', 'manager'];

const ACTIONS: Action[] = [
  {
    name: 'read the project',
    query: 'query ($id: ID!) { project(id: $id) { id name manager { id } members { id } } }',
    variables: (f) => ({ id: f.projectId }),
    allowed: EVERYONE_ON_THE_PROJECT,
  },
  {
    name: "read the project's tasks and summary",
    query: `query ($id: ID!) { project(id: $id) {
      tasks(first: 10) { totalCount edges { node { id title } } } taskSummary { total } } }`,
    variables: (f) => ({ id: f.projectId }),
    allowed: EVERYONE_ON_THE_PROJECT,
  },
  {
    name: 'read a task',
    query: 'query ($id: ID!) { task(id: $id) { id title project { id } } }',
    variables: (f) => ({ id: f.taskId }),
    allowed: EVERYONE_ON_THE_PROJECT,
  },
  {
    name: "read the project's status updates",
    query: 'query ($id: ID!) { project(id: $id) { statusUpdates(first: 5) { totalCount } } }',
    variables: (f) => ({ id: f.projectId }),
    allowed: EVERYONE_ON_THE_PROJECT,
  },
  {
    name: 'update the project',
    query: 'mutation ($input: UpdateProjectInput!) { updateProject(input: $input) { id } }',
    variables: (f) => ({ input: { id: f.projectId, description: 'Phase 2' } }),
    allowed: MANAGERS,
    denied: 'FORBIDDEN',
  },
  {
    name: 'delete the project',
    destructive: true,
    query: 'mutation ($id: ID!) { deleteProject(id: $id) }',
    variables: (f) => ({ id: f.projectId }),
    allowed: MANAGERS,
    denied: 'FORBIDDEN',
  },
  {
    name: 'add a member',
    destructive: true,
    query: ADD_MEMBER,
    variables: (f) => ({ input: { projectId: f.projectId, userId: people.outsider.id } }),
    allowed: MANAGERS,
    denied: 'FORBIDDEN',
  },
  {
    name: 'remove a member',
    destructive: true,
    query:
      'mutation ($input: RemoveProjectMemberInput!) { removeProjectMember(input: $input) { id } }',
    variables: (f) => ({ input: { projectId: f.projectId, userId: people.client.id } }),
    allowed: MANAGERS,
    denied: 'FORBIDDEN',
  },
  {
    name: 'create a task',
    query: CREATE_TASK,
    variables: (f) => ({ input: { projectId: f.projectId, title: 'Copy' } }),
    allowed: MANAGERS,
    denied: 'FORBIDDEN',
  },
  {
    name: 'delete a task',
    destructive: true,
    query: 'mutation ($id: ID!) { deleteTask(id: $id) }',
    variables: (f) => ({ id: f.taskId }),
    allowed: MANAGERS,
    denied: 'FORBIDDEN',
  },
  {
    name: 'reopen a DONE task',
    destructive: true,
    prepare: async (f) => {
      for (const status of ['IN_PROGRESS', 'DONE']) {
        await ok(graph, people.manager, SET_STATUS, { input: { taskId: f.taskId, status } });
      }
    },
    query: SET_STATUS,
    variables: (f) => ({ input: { taskId: f.taskId, status: 'TODO' } }),
    allowed: MANAGERS,
    denied: 'FORBIDDEN',
  },
  {
    name: "change a task's status",
    destructive: true,
    query: SET_STATUS,
    variables: (f) => ({ input: { taskId: f.taskId, status: 'IN_PROGRESS' } }),
    allowed: ['ADMIN', 'manager', 'assignee'],
    denied: 'FORBIDDEN',
  },
  {
    name: "change a task's fields",
    destructive: true,
    query: 'mutation ($input: UpdateTaskInput!) { updateTask(input: $input) { id } }',
    variables: (f) => ({ input: { id: f.taskId, title: 'Wireframes v2', priority: 'HIGH' } }),
    allowed: ['ADMIN', 'manager', 'assignee'],
    denied: 'FORBIDDEN',
  },
  {
    name: 'assign a task',
    destructive: true,
    query: 'mutation ($input: AssignTaskInput!) { assignTask(input: $input) { id } }',
    variables: (f) => ({ input: { taskId: f.taskId, assigneeId: people.member.id } }),
    allowed: MANAGERS,
    denied: 'FORBIDDEN',
  },
  {
    name: 'post a status update',
    query: 'mutation ($input: PostStatusUpdateInput!) { postStatusUpdate(input: $input) { id } }',
    variables: (f) => ({ input: { projectId: f.projectId, message: 'On track' } }),
    allowed: MANAGERS,
    denied: 'FORBIDDEN',
  },
  {
    name: 'read a project document',
    query: 'query ($id: ID!) { document(id: $id) { id title fileUrl owner { id } } }',
    variables: (f) => ({ id: f.documentId }),
    allowed: EVERYONE_ON_THE_PROJECT,
  },
  {
    name: "list the project's documents",
    query: 'query ($id: ID!) { documents(first: 10, filter: { projectId: $id }) { totalCount } }',
    variables: (f) => ({ id: f.projectId }),
    // A list shows what the caller may read: for an outsider, nothing (not an error).
    allowed: CALLERS,
  },
  {
    name: 'update a document (its owner is the member)',
    destructive: true,
    query: 'mutation ($input: UpdateDocumentInput!) { updateDocument(input: $input) { id } }',
    variables: (f) => ({ input: { id: f.documentId, title: 'SOW v2' } }),
    allowed: ['ADMIN', 'member'],
    denied: 'FORBIDDEN',
  },
  {
    name: 'share a document',
    destructive: true,
    query: 'mutation ($input: ShareDocumentInput!) { shareDocument(input: $input) { id } }',
    variables: (f) => ({ input: { documentId: f.documentId, userId: people.outsider.id } }),
    allowed: ['ADMIN', 'member'],
    denied: 'FORBIDDEN',
  },
  {
    name: 'delete a document',
    destructive: true,
    query: 'mutation ($id: ID!) { deleteDocument(id: $id) }',
    variables: (f) => ({ id: f.documentId }),
    allowed: ['ADMIN', 'member'],
    denied: 'FORBIDDEN',
  },
  {
    name: "read a document's access log",
    query: 'query ($id: ID!) { document(id: $id) { accessLog(first: 5) { totalCount } } }',
    variables: (f) => ({ id: f.documentId }),
    allowed: ['ADMIN', 'member'],
    denied: 'FORBIDDEN',
  },
];

function outcomeOf(body: { data?: unknown; errors?: { extensions?: { code?: unknown } }[] }) {
  const code = body.errors?.[0]?.extensions?.code;
  return code ? String(code) : 'pass';
}

function expected(action: Action, caller: Caller): string {
  if (action.allowed.includes(caller)) return 'pass';
  return caller === 'outsider' ? 'NOT_FOUND' : (action.denied ?? 'NOT_FOUND');
}

beforeAll(async () => {
  graph = await startGraph();
  const admin = await loginAdmin(graph);
  people.ADMIN = admin;
  people.manager = await signUp(graph, admin, 'MANAGER', 'manager');
  people.assignee = await signUp(graph, admin, 'MEMBER', 'assignee');
  people.member = await signUp(graph, admin, 'MEMBER', 'member');
  people.client = await signUp(graph, admin, 'CLIENT', 'client');
  people.outsider = await signUp(graph, admin, 'MANAGER', 'outsider');
  shared = await newFixture();
});

afterAll(() => graph?.stop());

describe('who may do what (ARCHITECTURE §2), through the gateway', () => {
  it.each(CALLERS)('as %s', async (caller) => {
    const outcomes: Record<string, string> = {};
    const wanted: Record<string, string> = {};
    for (const action of ACTIONS) {
      const fixture = action.destructive || action.prepare ? await newFixture() : shared;
      await action.prepare?.(fixture);
      const { body } = await graph.query(
        action.query,
        action.variables(fixture),
        people[caller].headers,
      );
      outcomes[action.name] = outcomeOf(body);
      wanted[action.name] = expected(action, caller);
    }
    expect(outcomes).toEqual(wanted);
  });

  it('lets nobody who is signed out do anything', async () => {
    for (const action of ACTIONS) {
      const { body } = await graph.query(action.query, action.variables(shared));
      expect([action.name, outcomeOf(body)]).toEqual([action.name, 'UNAUTHENTICATED']);
    }
  });
});
