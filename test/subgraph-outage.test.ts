/**
 * A subgraph the gateway cannot reach: the fields it owns fail with a SERVICE_UNAVAILABLE error
 * naming it, and what the other subgraphs resolved is still returned (test:faults kills a real one).
 */
import { freePort } from '@psa/shared/testing';
import { startGraph, type Graph } from './helpers/graph';
import { loginAdmin, type Person } from './helpers/people';

let graph: Graph;
let admin: Person;
let tasksUrl: string;

beforeAll(async () => {
  graph = await startGraph();
  admin = await loginAdmin(graph);
  // A second gateway whose tasks subgraph is a port nobody listens on.
  tasksUrl = (
    await graph.startGateway({ TASKS_URL: `http://127.0.0.1:${await freePort()}/graphql` })
  ).url;
});

afterAll(() => graph?.stop());

it('names the unreachable subgraph and keeps the data of the others', async () => {
  const response = await fetch(tasksUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...admin.headers },
    body: JSON.stringify({
      query: 'query ($id: ID!) { me { id } task(id: $id) { id } }',
      variables: { id: '0123456789abcdef01234567' },
    }),
  });
  const body = (await response.json()) as {
    data: { me: { id: string } | null; task: unknown };
    errors: { message: string; extensions: Record<string, unknown> }[];
  };
  expect(response.status).toBe(200);
  expect(body.data).toEqual({ me: { id: admin.id }, task: null });
  expect(body.errors).toEqual([
    {
      message: 'The tasks service is unavailable right now; try again',
      extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', serviceName: 'tasks' }),
    },
  ]);
});
