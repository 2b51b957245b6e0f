/**
 * `Idempotency-Key` on mutations through the gateway, with real subgraphs and Redis: a retry is
 * answered from the first request and writes nothing; another operation with the key is refused;
 * requests with one key at the same moment write once; and when the gateway's record is gone (a
 * gateway died mid-request) the subgraphs still write once.
 */
import { MongoClient } from 'mongodb';
import { graphqlRequest, randomId, type GraphQLResponse } from '@psa/shared/testing';
import { startGraph, type Graph } from './helpers/graph';
import { loginAdmin, ok, signUp, type Person } from './helpers/people';

const CREATE_TASK = `mutation ($input: CreateTaskInput!) { createTask(input: $input) { id title } }`;

let graph: Graph;
let manager: Person;
let other: Person;
let projectId: string;
let mongo: MongoClient;

beforeAll(async () => {
  graph = await startGraph();
  const admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER');
  other = await signUp(graph, admin, 'MANAGER', 'other');
  ({
    createProject: { id: projectId },
  } = await ok<{ createProject: { id: string } }>(
    graph,
    manager,
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: 'Retries' } },
  ));
  mongo = await MongoClient.connect(process.env.MONGO_URL as string);
});

afterAll(async () => {
  await mongo?.close();
  await graph?.stop();
});

const tasksTitled = (title: string) =>
  mongo.db(graph.databases.tasks).collection('tasks').countDocuments({ title });

function createTask(
  title: string,
  key: string | null,
  person: Person = manager,
  url = graph.gatewayUrl,
  project = projectId,
): Promise<GraphQLResponse<{ createTask: { id: string; title: string } }>> {
  return graphqlRequest(
    url,
    CREATE_TASK,
    { input: { projectId: project, title } },
    { ...person.headers, ...(key === null ? {} : { 'idempotency-key': key }) },
  );
}

describe('Idempotency-Key', () => {
  it('replays the first answer to a retry with the same operation, and writes once', async () => {
    const title = `Once ${randomId()}`;
    const key = randomId();
    const first = await createTask(title, key);
    const retry = await createTask(title, key);
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await tasksTitled(title)).toBe(1);
    // A new key is a new write.
    await createTask(title, randomId());
    expect(await tasksTitled(title)).toBe(2);
  });

  it('refuses the key with other variables or another operation (422) and runs nothing', async () => {
    const title = `Mismatch ${randomId()}`;
    const key = randomId();
    await createTask(title, key);
    const other = await createTask(`${title} changed`, key);
    expect(other.status).toBe(422);
    expect(other.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'Idempotency-Key',
    });
    const renamed = await graphqlRequest(
      graph.gatewayUrl,
      'mutation Renamed($input: CreateTaskInput!) { createTask(input: $input) { id title } }',
      { input: { projectId, title } },
      { ...manager.headers, 'idempotency-key': key },
    );
    expect(renamed.status).toBe(422);
    expect(await tasksTitled(title)).toBe(1);
    expect(await tasksTitled(`${title} changed`)).toBe(0);
  });

  it('keeps keys per caller: another user with the same key makes their own write', async () => {
    const { createProject } = await ok<{ createProject: { id: string } }>(
      graph,
      other,
      'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
      { input: { name: 'Theirs' } },
    );
    const title = `Per caller ${randomId()}`;
    const key = randomId();
    const mine = await createTask(title, key);
    const theirs = await createTask(title, key, other, graph.gatewayUrl, createProject.id);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.data?.createTask.id).not.toBe(mine.body.data?.createTask.id);
    expect(await tasksTitled(title)).toBe(2);
  });

  it('writes once for requests with one key at the same moment; each gets the one answer', async () => {
    const title = `Together ${randomId()}`;
    const key = randomId();
    const answers = await Promise.all(Array.from({ length: 5 }, () => createTask(title, key)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => answer.body.data?.createTask.id)).size).toBe(1);
    expect(await tasksTitled(title)).toBe(1);
  });

  it('writes once when the retry reaches a gateway that never saw the first request', async () => {
    // Another gateway with its own idempotency records: as if the first died after the write.
    const second = await graph.startGateway({ IDEMPOTENCY_KEY_PREFIX: `psa:test:${randomId()}:` });
    const title = `Lost answer ${randomId()}`;
    const key = randomId();
    const first = await createTask(title, key);
    const retry = await createTask(title, key, manager, second.url);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.body.data?.createTask.id).toBe(first.body.data?.createTask.id);
    expect(await tasksTitled(title)).toBe(1);
  });

  it('refuses a key over 255 characters or with spaces (400); queries ignore the header', async () => {
    for (const key of ['k'.repeat(256), 'has space']) {
      const refused = await createTask(`Bad key ${randomId()}`, key);
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'Idempotency-Key',
      });
    }
    const key = randomId();
    for (let i = 0; i < 2; i++) {
      const read = await graphqlRequest(
        graph.gatewayUrl,
        '{ me { username } }',
        {},
        { ...manager.headers, 'idempotency-key': key },
      );
      expect(read.body.data).toEqual({ me: { username: manager.username } });
      expect(read.headers.get('idempotent-replayed')).toBeNull();
    }
  });
});
