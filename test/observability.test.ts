/**
 * Prometheus metrics on `/metrics` of the gateway and the subgraphs, read over HTTP after real
 * traffic: request latency by operation and outcome, subgraph fetches, WebSockets and
 * subscriptions, domain events, database commands and Node runtime metrics.
 */
import { startGraph, type Graph } from './helpers/graph';
import { loginAdmin, ok, type Person } from './helpers/people';
import { subscribe, subscriptionsServed } from './helpers/subscriptions';

let graph: Graph;
let admin: Person;

const metricsOf = async (graphqlUrl: string): Promise<string> =>
  (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();

/** The value of the first sample of `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? ([0-9.e+-]+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => present.includes(`${k}="${v}"`))) {
      return Number(match[3]);
    }
  }
  return null;
}

beforeAll(async () => {
  graph = await startGraph();
  admin = await loginAdmin(graph);
});

afterAll(() => graph?.stop());

it('counts requests by operation name and outcome, and times subgraph fetches', async () => {
  await ok(graph, admin, 'query WhoAmI { me { id } }');
  await graph.query('query Broken { project(id: "nope") { id } }', {}, admin.headers);
  const gateway = await metricsOf(graph.gatewayUrl);
  expect(
    sample(gateway, 'psa_graphql_request_duration_seconds_count', {
      operation: 'WhoAmI',
      outcome: 'ok',
      service: 'gateway',
    }),
  ).toBe(1);
  expect(
    sample(gateway, 'psa_graphql_request_duration_seconds_count', {
      operation: 'Broken',
      outcome: 'NOT_FOUND',
    }),
  ).toBe(1);
  expect(
    sample(gateway, 'psa_gateway_subgraph_fetch_duration_seconds_count', {
      subgraph: 'users',
      outcome: '200',
    }),
  ).toBeGreaterThanOrEqual(1);
  // Node runtime metrics, with the service label.
  expect(sample(gateway, 'psa_process_cpu_seconds_total', { service: 'gateway' })).not.toBeNull();
  const users = await metricsOf(graph.subgraphUrls.users);
  // The gateway names its subgraph operations after the client's (`WhoAmI__users__0`).
  expect(
    sample(users, 'psa_graphql_request_duration_seconds_count', { operation: 'WhoAmI__users__0' }),
  ).toBe(1);
  expect(
    sample(users, 'psa_mongodb_commands_total', { command: 'find', collection: 'users' }),
  ).toBeGreaterThanOrEqual(1);
});

it('counts domain events published and handled', async () => {
  await ok(
    graph,
    admin,
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: 'Metrics' } },
  );
  const type = 'project.access-changed';
  expect(
    sample(await metricsOf(graph.subgraphUrls.projects), 'psa_events_published_total', { type }),
  ).toBeGreaterThanOrEqual(1);
  for (const service of ['tasks', 'documents', 'users'] as const) {
    expect(
      sample(await metricsOf(graph.subgraphUrls[service]), 'psa_events_handled_total', {
        type,
        outcome: 'ok',
      }),
    ).toBeGreaterThanOrEqual(1);
  }
});

it('shows open WebSockets and subscriptions', async () => {
  const { createProject } = await ok<{ createProject: { id: string } }>(
    graph,
    admin,
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: 'Live metrics' } },
  );
  const feed = subscribe(
    graph.gatewayUrl,
    admin.token,
    'subscription ($id: ID!) { statusUpdated(projectId: $id) { id } }',
    { id: createProject.id },
  );
  try {
    await subscriptionsServed(graph.gatewayUrl, 1);
    const text = await metricsOf(graph.gatewayUrl);
    expect(sample(text, 'psa_gateway_websocket_connections')).toBe(1);
    expect(sample(text, 'psa_gateway_subscriptions')).toBe(1);
  } finally {
    await feed.dispose();
  }
});
