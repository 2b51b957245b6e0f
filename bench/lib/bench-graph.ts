/**
 * The graph the HTTP benchmarks load: the embedded engine, a redis-server (or REDIS_URL), the four
 * subgraphs and the gateway in this process, with a manager, a member and helpers to seed projects
 * and tasks through the gateway.
 */
import { startEmbeddedMongo, type EmbeddedMongo } from '@psa/embedded-mongo';
import { startRedisServer, type RedisServer } from '@psa/shared/testing';
import { startGraph, type Graph } from '../../test/helpers/graph';
import { loginAdmin, ok, signUp, type Person } from '../../test/helpers/people';
import { graphqlBody, type LoadRequest } from './load';

export interface BenchGraph {
  graph: Graph;
  mongoUri: string;
  admin: Person;
  manager: Person;
  member: Person;
  stop(): Promise<void>;
}

/** Rate limits no benchmark reaches (sign-up and login are measured at full speed). */
export const UNLIMITED = {
  LOGIN_RATE_PER_IP: '1000000/min',
  PASSWORD_FAILURES_PER_ACCOUNT: '1000000/min',
  SIGNUP_RATE_PER_IP: '1000000/min',
};

const GATEWAY_TUNING = ['ENTITY_CACHE_MS', 'MAX_CONCURRENT_REQUESTS'];

/** Boots everything; `stop()` tears it down in reverse. */
export async function startBenchGraph(gatewayEnv: NodeJS.ProcessEnv = {}): Promise<BenchGraph> {
  const mongo: EmbeddedMongo = await startEmbeddedMongo({ port: 0 });
  let redis: RedisServer | null = null;
  if (!process.env.REDIS_URL) redis = await startRedisServer();
  process.env.MONGO_URL = mongo.uri;
  // The gateway's own tuning, when set for the run (e.g. ENTITY_CACHE_MS=0 to compare without it).
  const tuning = Object.fromEntries(
    GATEWAY_TUNING.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])),
  );
  const graph = await startGraph({
    redisUrl: process.env.REDIS_URL ?? redis?.url,
    gatewayEnv: { ...tuning, ...gatewayEnv },
  });
  const admin = await loginAdmin(graph);
  const manager = await signUp(graph, admin, 'MANAGER');
  const member = await signUp(graph, admin, 'MEMBER');
  return {
    graph,
    mongoUri: mongo.uri,
    admin,
    manager,
    member,
    stop: async () => {
      await graph.stop();
      await redis?.stop();
      await mongo.stop();
    },
  };
}

/** A project of `bench.manager` with `bench.member` in it. */
export async function createProject(bench: BenchGraph, name: string): Promise<string> {
  const { graph, manager, member } = bench;
  const { createProject } = await ok<{ createProject: { id: string } }>(
    graph,
    manager,
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name, status: 'ACTIVE' } },
  );
  await ok(
    graph,
    manager,
    'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
    { input: { projectId: createProject.id, userId: member.id } },
  );
  return createProject.id;
}

export const CREATE_TASK =
  'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }';

/** `count` tasks through the gateway, assigned in turn to the manager and the member. */
export async function createTasks(
  bench: BenchGraph,
  projectId: string,
  count: number,
): Promise<string[]> {
  const assignees = [bench.manager.id, bench.member.id];
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { createTask } = await ok<{ createTask: { id: string } }>(
      bench.graph,
      bench.manager,
      CREATE_TASK,
      { input: { projectId, title: `Task ${i}`, assigneeId: assignees[i % 2] } },
    );
    ids.push(createTask.id);
  }
  return ids;
}

/** A load request for `url` as `person`, after checking one such request answers data. */
export async function checkedRequest(
  url: string,
  person: Pick<Person, 'headers'>,
  bodies: string[],
): Promise<LoadRequest> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...person.headers },
    body: bodies[0],
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  if (!response.ok || body.errors || !body.data) {
    throw new Error(`${url} answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return { url, headers: person.headers, bodies };
}

export { graphqlBody };
