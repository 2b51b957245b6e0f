/**
 * NoSQL injection through every String and ID input of the API: operator objects in variables are
 * refused by GraphQL's own coercion (BAD_USER_INPUT, 400 as `application/graphql-response+json`,
 * nothing runs); operator-looking and regex
 * strings are inert (stored literally, searched as words of a text index, no data the caller may
 * not read, a regex bomb answered at once as words, never a pattern).
 */
import {
  getNamedType,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  isLeafType,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import type { Graph } from '../helpers/graph';
import { loginAdmin, ok, signUp, type Person } from '../helpers/people';
import {
  answerProblem,
  apiSchema,
  rawRequest,
  report,
  startProductionGraph,
  type Answer,
} from './abuse-kit';
import { checkDatabases } from './database-check';
import { rootFields } from './operation-fuzzer';

const OPERATOR_OBJECTS: unknown[] = [
  { $gt: '' },
  { $ne: null },
  { $where: 'sleep(1000)' },
  { $regex: '(a+)+$' },
];
const SUSPICIOUS_STRINGS = ['$where', '.*', '(a+)+$', '{"$gt": ""}', `${'a'.repeat(99)}!`];
/** Mutations that would end the sender's session if a string got through: sent anonymously. */
const SESSION_ENDING = new Set(['logout', 'logoutAll', 'deleteAccount', 'changePassword']);

let graph: Graph;
let schema: GraphQLSchema;
let admin: Person;
let manager: Person;
let member: Person;
let readableId: string;

/** A String/ID input position: the root field, and the path to it inside the arguments. */
interface StringInput {
  operation: 'query' | 'mutation';
  field: string;
  path: string[];
}

/** A value of `type` the API would accept in shape (ids are a readable project's). */
function plainValue(type: GraphQLInputType): unknown {
  if (type instanceof GraphQLNonNull) return plainValue(type.ofType);
  if (type instanceof GraphQLList) return [plainValue(type.ofType)];
  if (type instanceof GraphQLEnumType) return type.getValues()[0]?.name;
  if (type instanceof GraphQLInputObjectType) {
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((field) => field.type instanceof GraphQLNonNull)
        .map((field) => [field.name, plainValue(field.type)]),
    );
  }
  switch (getNamedType(type).name) {
    case 'ID':
      return readableId;
    case 'Int':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return '2026-12-01T00:00:00Z';
    default:
      return 'x';
  }
}

/** Every String/ID position in the arguments of every root field (input objects walked). */
function stringInputs(): StringInput[] {
  const found: StringInput[] = [];
  const walk = (base: Omit<StringInput, 'path'>, type: GraphQLInputType, path: string[]) => {
    const named = getNamedType(type);
    if (named instanceof GraphQLInputObjectType) {
      if (path.length > 4) return;
      for (const field of Object.values(named.getFields())) {
        walk(base, field.type, [...path, field.name]);
      }
      return;
    }
    if (named.name === 'String' || named.name === 'ID') found.push({ ...base, path });
  };
  const mutationType = schema.getMutationType();
  for (const field of rootFields(schema)) {
    // The supergraph's @inaccessible fields are not in the API: the gateway refuses them as unknown.
    if (field.astNode?.directives?.some((d) => d.name.value === 'inaccessible')) continue;
    const operation = mutationType?.getFields()[field.name] === field ? 'mutation' : 'query';
    for (const arg of field.args) walk({ operation, field: field.name }, arg.type, [arg.name]);
  }
  return found;
}

/** The operation for `input` with every argument a variable, `value` at the input's path. */
function operationFor(input: StringInput, value: unknown): { query: string; variables: object } {
  const root = input.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  const field = root?.getFields()[input.field];
  if (!field) throw new Error(`no field ${input.field}`);
  const variables: Record<string, unknown> = {};
  for (const arg of field.args) {
    if (arg.type instanceof GraphQLNonNull || arg.name === input.path[0]) {
      variables[arg.name] = plainValue(arg.type);
    }
  }
  // Set `value` at the path, creating the objects on the way.
  let target: Record<string, unknown> = variables;
  input.path.slice(0, -1).forEach((key) => {
    const next = target[key];
    const child =
      typeof next === 'object' && next !== null && !Array.isArray(next)
        ? (next as Record<string, unknown>)
        : {};
    target[key] = child;
    target = child;
  });
  target[input.path[input.path.length - 1] ?? ''] = value;
  const declared = field.args.filter((arg) => arg.name in variables);
  const header = declared.length
    ? `(${declared.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ')})`
    : '';
  const args = declared.length
    ? `(${declared.map((arg) => `${arg.name}: $${arg.name}`).join(', ')})`
    : '';
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  return {
    query: `${input.operation} Injection${header} { ${field.name}${args}${selection} }`,
    variables,
  };
}

/**
 * Sends as a client that accepts `application/graphql-response+json`, which sees a request refused
 * as a whole as a 4xx (an `application/json` client gets 200 with the same errors).
 */
async function send(body: object, headers: Record<string, string>): Promise<Answer> {
  return rawRequest(graph.gatewayUrl, {
    method: 'POST',
    path: '/graphql',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  schema = apiSchema();
  graph = await startProductionGraph();
  admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER');
  member = await signUp(graph, admin, 'MEMBER');
  const create = async (name: string, withMember: boolean): Promise<string> => {
    const { createProject } = await ok<{ createProject: { id: string } }>(
      graph,
      manager,
      'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
      { input: { name } },
    );
    if (withMember) {
      await ok(
        graph,
        manager,
        'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
        { input: { projectId: createProject.id, userId: member.id } },
      );
    }
    return createProject.id;
  };
  readableId = await create('Alpha', true);
  await create('Secret', false);
  await create('Literal a.*b', true);
  await create(`${'a'.repeat(40)}!`, true);
  await create('$where', true);
  for (const [title, projectId] of [
    ['Alpha SOW', readableId],
    ['Secret SOW', await create('Secret two', false)],
  ] as const) {
    await ok(
      graph,
      manager,
      'mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { id } }',
      { input: { title, fileUrl: 'https://files.example.com/sow.pdf', projectId } },
    );
  }
});

afterAll(async () => {
  await graph?.stop();
});

describe('abuse: NoSQL injection through every string input', () => {
  it('refuses operator objects in every String and ID variable with BAD_USER_INPUT', async () => {
    const inputs = stringInputs();
    expect(inputs.length).toBeGreaterThan(40);
    const problems: string[] = [];
    for (const input of inputs) {
      for (const payload of OPERATOR_OBJECTS) {
        const body = operationFor(input, payload);
        const answer = await send(body, member.headers);
        const where = `${input.field}(${input.path.join('.')}) = ${JSON.stringify(payload)}`;
        const problem = answerProblem(answer);
        if (problem) problems.push(`${where}: ${problem}`);
        const parsed = JSON.parse(answer.text) as {
          data?: unknown;
          errors?: { extensions: { code: string } }[];
        };
        const codes = (parsed.errors ?? []).map((e) => e.extensions.code);
        if (
          answer.status !== 400 ||
          codes.length === 0 ||
          codes.some((c) => c !== 'BAD_USER_INPUT')
        )
          problems.push(`${where}: ${answer.status} ${answer.text.slice(0, 200)}`);
        if (parsed.data !== undefined && parsed.data !== null) problems.push(`${where}: data`);
      }
    }
    report(
      `injection: ${inputs.length} String/ID inputs × ${OPERATOR_OBJECTS.length} objects refused`,
    );
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it('treats operator-looking and regex strings in every String and ID input as inert text', async () => {
    const problems: string[] = [];
    let cases = 0;
    for (const input of stringInputs()) {
      for (const payload of SUSPICIOUS_STRINGS) {
        cases++;
        const headers = SESSION_ENDING.has(input.field) ? {} : member.headers;
        const answer = await send(operationFor(input, payload), headers);
        const problem =
          answerProblem(answer) ??
          (answer.text.includes('INTERNAL_SERVER_ERROR') ? 'INTERNAL_SERVER_ERROR' : null);
        if (problem)
          problems.push(`${input.field}(${input.path.join('.')}) = ${payload}: ${problem}`);
      }
    }
    report(`injection: ${cases} suspicious strings answered`);
    expect(problems.slice(0, 10)).toEqual([]);
    // The member's session survived all of it.
    expect((await graph.query('{ me { id } }', {}, member.headers)).body.data).toEqual({
      me: { id: member.id },
    });
  });

  it('searches projects, documents and users literally, within what the caller may read', async () => {
    const names = async (search: string, person = member): Promise<string[]> => {
      const data = await ok<{ projects: { edges: { node: { name: string } }[] } }>(
        graph,
        person,
        'query ($search: String) { projects(first: 100, filter: {search: $search}) { edges { node { name } } } }',
        { search },
      );
      return data.projects.edges.map((edge) => edge.node.name).sort();
    };
    // A text search: punctuation separates words, operators are words (`where` a stop word), and
    // a phrase is matched literally.
    expect(await names('.*')).toEqual([]);
    expect(await names('literal')).toEqual(['Literal a.*b']);
    expect(await names('"a.*b"')).toEqual(['Literal a.*b']);
    expect(await names('$where')).toEqual([]);
    expect(await names('Secret')).toEqual([]);
    expect(await names('Secret', manager)).toEqual(['Secret', 'Secret two']);
    expect(await names('a'.repeat(30))).toEqual([]);
    expect(await names('nul\u0000byte')).toEqual([]);

    // A catastrophic-backtracking pattern against a name built to trigger it: words, no pattern.
    const started = Date.now();
    expect(await names('(a+)+$')).toEqual([]);
    expect(await names(`${'a'.repeat(99)}!`)).toEqual([]);
    const elapsed = Date.now() - started;
    report(`regex bomb searches answered in ${elapsed} ms`);
    expect(elapsed).toBeLessThan(5_000);

    const documents = await ok<{ documents: { edges: { node: { title: string } }[] } }>(
      graph,
      member,
      'query { documents(first: 100, filter: {search: "SOW"}) { edges { node { title } } } }',
    );
    expect(documents.documents.edges.map((edge) => edge.node.title)).toEqual(['Alpha SOW']);
    const dotStar = await ok<{ documents: { totalCount: number } }>(
      graph,
      member,
      'query { documents(first: 100, filter: {search: ".*"}) { totalCount } }',
    );
    expect(dotStar.documents.totalCount).toBe(0);

    const users = await ok<{ users: { totalCount: number } }>(
      graph,
      admin,
      'query ($s: String) { users(first: 100, filter: {search: $s}) { totalCount } }',
      { s: '.*' },
    );
    expect(users.users.totalCount).toBe(0);
  });

  it('logs nobody in with operator objects or patterns as credentials', async () => {
    const login = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';
    for (const input of [
      { login: admin.username, password: { $ne: null } },
      { login: { $gt: '' }, password: 'x' },
    ]) {
      const answer = await send({ query: login, variables: { input } }, {});
      expect(answer.status).toBe(400);
      expect(answer.text).toContain('BAD_USER_INPUT');
      expect(answer.text).not.toContain('accessToken');
    }
    for (const input of [
      { login: '.*', password: '.*' },
      { login: 'admin', password: '.*' },
      { login: '^admin', password: '$where' },
    ]) {
      const { body } = await graph.query(login, { input });
      expect(body.data?.login ?? null).toBeNull();
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('leaves only documents the models accept', async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { problems } = await checkDatabases(graph, process.env.MONGO_URL ?? '');
    expect(problems).toEqual([]);
  });
});
