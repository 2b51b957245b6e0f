/**
 * The gateway's entity cache (ADR 0015): `_entities` calls that ask only for `@immutable` fields
 * (a user's username) are answered from what the gateway saw before, so the project page's
 * manager and assignees cost no users-subgraph call once seen. Counted on the gateway's
 * `/metrics` (its calls to each subgraph), through real HTTP against the real graph.
 */
import { graphqlRequest } from '@psa/shared/testing';
import { startGraph, type Graph } from './helpers/graph';
import { CREATE_PROJECT, CREATE_TASK, ADD_MEMBER } from './helpers/operations';
import { loginAdmin, ok, signUp, type Person } from './helpers/people';

const READ = `query ($id: ID!) { project(id: $id) { name manager { username }
  tasks(first: 20) { edges { node { title assignee { username } } } } } }`;

/** Sum of the samples of `name` whose labels include all of `labels`. */
function total(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? ([0-9.e+-]+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => present.includes(`${k}="${v}"`))) {
      sum += Number(match[3]);
    }
  }
  return sum;
}

/** How many calls the gateway at `gatewayUrl` has made to the users subgraph so far. */
async function usersCalls(gatewayUrl: string): Promise<number> {
  const text = await (await fetch(gatewayUrl.replace(/\/graphql$/, '/metrics'))).text();
  return total(text, 'psa_gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'users' });
}

async function cacheHits(gatewayUrl: string): Promise<number> {
  const text = await (await fetch(gatewayUrl.replace(/\/graphql$/, '/metrics'))).text();
  return total(text, 'psa_gateway_entity_cache_total', { subgraph: 'users', outcome: 'hit' });
}

/** `query` as `person` through the gateway at `url`; its data (an error fails the test). */
async function read<T = Record<string, unknown>>(
  url: string,
  person: Person,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const { body } = await graphqlRequest<T>(url, query, variables, person.headers);
  if (body.errors || !body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

describe('entity cache of the gateway', () => {
  let graph: Graph;
  let manager: Person;
  let member: Person;
  let projectId: string;

  beforeAll(async () => {
    graph = await startGraph();
    const admin = await loginAdmin(graph);
    manager = await signUp(graph, admin, 'MANAGER');
    member = await signUp(graph, admin, 'MEMBER');
    const { createProject } = await ok<{ createProject: { id: string } }>(
      graph,
      manager,
      CREATE_PROJECT,
      { input: { name: 'Cached page', status: 'ACTIVE' } },
    );
    projectId = createProject.id;
    await ok(graph, manager, ADD_MEMBER, { input: { projectId, userId: member.id } });
    for (const [i, assignee] of [manager, member, manager].entries()) {
      await ok(graph, manager, CREATE_TASK, {
        input: { projectId, title: `Task ${i}`, assigneeId: assignee.id },
      });
    }
  }, 60_000);

  afterAll(() => graph?.stop());

  it('answers a seen manager and assignees without calling the users subgraph', async () => {
    const gateway = await graph.startGateway();
    try {
      const first = await read(gateway.url, manager, READ, { id: projectId });
      const callsAfterFirst = await usersCalls(gateway.url);
      // Cold: the manager and the assignees sit at two depths of the plan, one call each.
      expect(callsAfterFirst).toBe(2);
      const hitsBefore = await cacheHits(gateway.url);

      const second = await read(gateway.url, member, READ, { id: projectId });
      expect(second).toEqual(first);
      expect(await usersCalls(gateway.url)).toBe(callsAfterFirst);
      expect((await cacheHits(gateway.url)) - hitsBefore).toBe(2);
      expect(second).toMatchObject({
        project: {
          manager: { username: manager.username },
          tasks: {
            edges: [
              { node: { assignee: { username: manager.username } } },
              { node: { assignee: { username: member.username } } },
              { node: { assignee: { username: manager.username } } },
            ],
          },
        },
      });
    } finally {
      await gateway.stop();
    }
  });

  it('still calls the users subgraph for a field that is not immutable', async () => {
    const gateway = await graph.startGateway();
    try {
      await read(gateway.url, manager, READ, { id: projectId });
      const before = await usersCalls(gateway.url);
      const answer = await read<{ project: { manager: { displayName: string | null } } }>(
        gateway.url,
        manager,
        'query ($id: ID!) { project(id: $id) { manager { username displayName } } }',
        { id: projectId },
      );
      expect(answer.project.manager).toHaveProperty('displayName');
      expect(await usersCalls(gateway.url)).toBe(before + 1);
    } finally {
      await gateway.stop();
    }
  });

  it('calls the users subgraph every time with ENTITY_CACHE_MS=0', async () => {
    const gateway = await graph.startGateway({ ENTITY_CACHE_MS: '0' });
    try {
      const first = await read(gateway.url, manager, READ, { id: projectId });
      const second = await read(gateway.url, manager, READ, { id: projectId });
      expect(second).toEqual(first);
      expect(await usersCalls(gateway.url)).toBe(4);
      expect(await cacheHits(gateway.url)).toBe(0);
    } finally {
      await gateway.stop();
    }
  });
});
