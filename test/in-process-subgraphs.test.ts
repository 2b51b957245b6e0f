import type { InProcessResponse } from '@psa/shared';
import { freePort, graphqlRequest, type SubgraphName } from '@psa/shared/testing';
import { startGraph, type Graph } from './helpers/graph';
import { loginAdmin, ok, signUp, type Person } from './helpers/people';

/** `body` without stack traces (development answers carry them, and the call stacks differ). */
function withoutStacks(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body), (key, value: unknown) =>
    key === 'stacktrace' ? undefined : value,
  );
}

/**
 * `npm start` hands its gateway every subgraph's in-process handler (GatewayDeps.inProcess): the
 * calls skip the loopback socket but must answer exactly as over HTTP, with the same rules.
 */
describe('subgraphs called in-process (npm start)', () => {
  let graph: Graph;
  let admin: Person;
  let manager: Person;
  let outsider: Person;
  let projectId: string;
  /** A gateway whose subgraph URLs all point at a closed port: only in-process calls can work. */
  let inProcessUrl: string;

  beforeAll(async () => {
    graph = await startGraph();
    admin = await loginAdmin(graph);
    manager = await signUp(graph, admin, 'MANAGER');
    outsider = await signUp(graph, admin, 'MEMBER');
    const { createProject } = await ok<{ createProject: { id: string } }>(
      graph,
      manager,
      'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
      { input: { name: 'In-process', status: 'ACTIVE' } },
    );
    projectId = createProject.id;
    for (const title of ['One', 'Two']) {
      await ok(
        graph,
        manager,
        'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }',
        { input: { projectId, title, assigneeId: manager.id } },
      );
    }
    const closed = `http://127.0.0.1:${await freePort()}/graphql`;
    const nowhere = Object.fromEntries(
      Object.keys(graph.subgraphUrls).map((name) => [`${name.toUpperCase()}_URL`, closed]),
    );
    inProcessUrl = (await graph.startGateway(nowhere, { inProcess: graph.inProcess })).url;
  }, 60_000);

  afterAll(() => graph?.stop());

  const READ = `query ($id: ID!) { project(id: $id) { name manager { username }
    tasks(first: 20) { edges { node { title status assignee { username } } } } } }`;

  it.each<[string, string, () => Record<string, unknown>, () => Record<string, string>]>([
    ['the federated read, as its manager', READ, () => ({ id: projectId }), () => manager.headers],
    [
      'the same read by someone not on the project',
      READ,
      () => ({ id: projectId }),
      () => outsider.headers,
    ],
    [
      'a public mutation without a token',
      'mutation { login(input: {login: "nobody", password: "wrong password here"}) { accessToken } }',
      () => ({}),
      () => ({}),
    ],
    [
      '`me` with forged identity headers and no token',
      '{ me { id } }',
      () => ({}),
      () => ({ 'x-user-id': admin.id, 'x-user-role': 'ADMIN' }),
    ],
  ])('answers %s exactly as over HTTP', async (_, query, variables, headers) => {
    const overHttp = await graphqlRequest(graph.gatewayUrl, query, variables(), headers());
    const inProcess = await graphqlRequest(inProcessUrl, query, variables(), headers());
    expect(inProcess.status).toBe(overHttp.status);
    expect(withoutStacks(inProcess.body)).toEqual(withoutStacks(overHttp.body));
  });

  it('serves the federated read through the in-process calls', async () => {
    const { body } = await graphqlRequest<{
      project: { manager: { username: string }; tasks: { edges: unknown[] } };
    }>(inProcessUrl, READ, { id: projectId }, manager.headers);
    expect(body.errors).toBeUndefined();
    expect(body.data?.project.manager.username).toBe(manager.username);
    expect(body.data?.project.tasks.edges).toHaveLength(2);
  });

  /** The same request to a subgraph over HTTP and in-process. */
  async function bothWays(
    name: SubgraphName,
    query: string,
    headers: Record<string, string>,
  ): Promise<[{ status: number; body: unknown }, InProcessResponse]> {
    const url = graph.subgraphUrls[name];
    const overHttp = await graphqlRequest(url, query, {}, headers);
    const inProcess = await graph.inProcess[name]({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables: {} }),
    });
    return [overHttp, inProcess];
  }

  it.each<[string, () => Record<string, string>, number]>([
    [
      'forged identity headers without a token',
      () => ({ 'x-user-id': admin.id, 'x-user-role': 'ADMIN' }),
      401,
    ],
    ['a token that does not verify', () => ({ authorization: 'Bearer not.a.token' }), 401],
    ['a token of its own', () => manager.headers, 200],
  ])('a subgraph in-process trusts the forwarded token only: %s', async (_, headers, status) => {
    const [overHttp, inProcess] = await bothWays('users', '{ me { id username } }', headers());
    expect(inProcess.status).toBe(status);
    expect(overHttp.status).toBe(status);
    expect(withoutStacks(JSON.parse(inProcess.body))).toEqual(withoutStacks(overHttp.body));
    expect(inProcess.headers.get('cache-control')).toBe('no-store');
  });

  it('names a co-located subgraph that cannot answer as unavailable, and serves the others', async () => {
    const gateway = await graph.startGateway(
      {},
      {
        inProcess: {
          ...graph.inProcess,
          // What a stopped subgraph's handler does: it refuses the call.
          tasks: () => Promise.reject(new Error('tasks has stopped (in-process call refused)')),
        },
      },
    );
    const failed = await graphqlRequest(gateway.url, READ, { id: projectId }, manager.headers);
    expect(failed.body.errors?.[0]?.extensions).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      serviceName: 'tasks',
    });
    const others = await graphqlRequest(
      gateway.url,
      'query ($id: ID!) { project(id: $id) { name manager { username } } }',
      { id: projectId },
      manager.headers,
    );
    expect(others.body).toEqual({
      data: { project: { name: 'In-process', manager: { username: manager.username } } },
    });
  });
});
