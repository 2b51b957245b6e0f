/**
 * Schema-aware fuzzing of the whole graph in production mode: thousands of random operations
 * (valid and broken), attacks on the parser and limits, raw HTTP requests and random WebSocket
 * sessions. Every answer must be a documented status with a well-formed GraphQL body that leaks
 * nothing; every process stays alive; memory settles back; the databases hold only documents
 * their models accept.
 *
 * ABUSE_SEED replays a run (the seed is in the test name and the log line), ABUSE_CASES and
 * ABUSE_BUDGET_MS size it (default 3,000 HTTP cases within 60 s, 400 WebSocket sessions, and
 * 750 cases replayed).
 */
import { generateKeyPairSync } from 'node:crypto';
import { signingKeyFromPem } from '@psa/shared';
import { bearer, mintAccessToken } from '@psa/shared/testing';
import type { Graph } from '../helpers/graph';
import { loginAdmin, ok, signUp, type Person } from '../helpers/people';
import { subscribe, subscriptionsServed, wsUrl } from '../helpers/subscriptions';
import {
  abuseSeed,
  allAlive,
  answerProblem,
  apiSchema,
  Random,
  rawRequest,
  report,
  settledMemory,
  startProductionGraph,
  type Answer,
} from './abuse-kit';
import { checkDatabases } from './database-check';
import { OperationFuzzer, type FuzzCase, type Sender } from './operation-fuzzer';
import { runSession, sessionProblem, SocketFuzzer } from './socket-fuzzer';

const SEED = abuseSeed();
const CASES = Number(process.env.ABUSE_CASES ?? 3_000);
const SOCKET_SESSIONS = Math.max(50, Math.round(CASES / 7.5));
const BUDGET_MS = Number(process.env.ABUSE_BUDGET_MS ?? 60_000);
/** Cases sent again after the fuzz, to tell a leak from caches filling. */
const REPLAY = Math.round(CASES / 4);
const CONCURRENCY = 8;

let graph: Graph;
let admin: Person;
let manager: Person;
let member: Person;
let client: Person;
let headersOf: Record<Sender, Record<string, string>>;
const ids: string[] = [];
/** A project the fuzzer does not know, for the checks after it ran. */
let quietProjectId: string;

/** Runs `count` tasks, `concurrency` at a time, until `deadline`; returns how many ran. */
async function pool(
  count: number,
  concurrency: number,
  deadline: number,
  task: (index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return next;
}

beforeAll(async () => {
  graph = await startProductionGraph();
  admin = await loginAdmin(graph);
  manager = await signUp(graph, admin, 'MANAGER');
  member = await signUp(graph, admin, 'MEMBER');
  client = await signUp(graph, admin, 'CLIENT');
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const forged = mintAccessToken(
    signingKeyFromPem(other.export({ format: 'pem', type: 'pkcs8' }).toString()),
    { issuer: 'psa-graph', audience: 'psa-graph-api' },
    'ADMIN',
    admin.id,
  );
  headersOf = {
    admin: admin.headers,
    manager: manager.headers,
    member: member.headers,
    client: client.headers,
    anonymous: {},
    forged: bearer(forged),
  };
  ids.push(admin.id, manager.id, member.id, client.id);
  for (const name of ['Fuzzed A', 'Fuzzed B', 'Quiet']) {
    const { createProject } = await ok<{ createProject: { id: string } }>(
      graph,
      manager,
      'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
      { input: { name, status: 'ACTIVE' } },
    );
    for (const person of [member, client]) {
      await ok(
        graph,
        manager,
        'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
        { input: { projectId: createProject.id, userId: person.id } },
      );
    }
    if (name === 'Quiet') {
      quietProjectId = createProject.id;
      continue;
    }
    ids.push(createProject.id);
    const { createTask } = await ok<{ createTask: { id: string } }>(
      graph,
      manager,
      'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }',
      { input: { projectId: createProject.id, title: 'Wireframes', assigneeId: member.id } },
    );
    const { createDocument } = await ok<{ createDocument: { id: string } }>(
      graph,
      member,
      'mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { id } }',
      {
        input: {
          title: 'SOW',
          fileUrl: 'https://files.example.com/sow.pdf',
          projectId: createProject.id,
        },
      },
    );
    const { postStatusUpdate } = await ok<{ postStatusUpdate: { id: string } }>(
      graph,
      manager,
      'mutation ($input: PostStatusUpdateInput!) { postStatusUpdate(input: $input) { id } }',
      { input: { projectId: createProject.id, message: 'Kick-off' } },
    );
    ids.push(createTask.id, createDocument.id, postStatusUpdate.id);
  }
});

afterAll(async () => {
  await graph?.stop();
});

describe(`abuse: fuzzing the graph (seed ${SEED})`, () => {
  const codes = new Map<string, number>();
  const kinds = new Map<string, number>();
  const failures: string[] = [];
  let before: { rssMb: number; heapMb: number };

  const send = async (fuzzCase: FuzzCase): Promise<void> => {
    const kind = fuzzCase.kind.replace(/:.*/, '');
    const sent = Date.now();
    try {
      await sendCase(fuzzCase);
    } finally {
      const slowest = kinds.get(kind) ?? 0;
      kinds.set(kind, Math.max(slowest, Date.now() - sent));
    }
  };

  const sendCase = async (fuzzCase: FuzzCase): Promise<void> => {
    const request = {
      ...fuzzCase.request,
      headers: { ...fuzzCase.request.headers, ...headersOf[fuzzCase.sender] },
    };
    let answer: Answer;
    try {
      const url =
        fuzzCase.target === 'gateway' ? graph.gatewayUrl : graph.subgraphUrls[fuzzCase.target];
      answer = await rawRequest(url, request);
    } catch (error) {
      // The server may answer 413 and close before a huge body is all sent.
      const code = (error as NodeJS.ErrnoException).code;
      if (
        /^huge-body|content-length-lies/.test(fuzzCase.kind) &&
        /EPIPE|ECONNRESET/.test(String(code))
      )
        return;
      failures.push(
        `${fuzzCase.kind} as ${fuzzCase.sender} to ${fuzzCase.target}: ${String(error)}`,
      );
      return;
    }
    const problem =
      answerProblem(answer, codes) ??
      (answer.text.includes('"INTERNAL_SERVER_ERROR"') ? 'INTERNAL_SERVER_ERROR' : null);
    if (problem) {
      const body = String(request.body ?? '').slice(0, 300);
      failures.push(
        `${fuzzCase.kind} as ${fuzzCase.sender} to ${fuzzCase.target}: ${problem}\n  request: ${body}`,
      );
    }
  };

  it('answers every random operation and request with a documented, well-formed, leak-free answer', async () => {
    const random = new Random(SEED);
    const fuzzer = new OperationFuzzer(apiSchema(), random, { ids });
    // Warm-up (module loading, query plan caches), then the baseline.
    for (let i = 0; i < 100; i++) await send(fuzzer.next());
    before = await settledMemory();
    const started = Date.now();
    const deadline = started + BUDGET_MS;
    let alive: Record<string, boolean> = {};
    // Cases are made as they are sent (the same sequence for a seed), so the client side holds
    // no more than the requests in flight.
    const ran = await pool(CASES, CONCURRENCY, deadline, async (index) => {
      await send(fuzzer.next());
      if (index % 250 === 249) {
        alive = await allAlive(graph);
        if (Object.values(alive).some((up) => !up)) {
          failures.push(`after case ${index}: not alive ${JSON.stringify(alive)}`);
        }
      }
    });
    const seconds = (Date.now() - started) / 1000;
    report(
      `seed ${SEED}: ${ran + 100} HTTP cases in ${seconds.toFixed(1)} s; codes ${JSON.stringify(Object.fromEntries(codes))}`,
    );
    const slowest = [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 5);
    report(`slowest kinds (ms): ${JSON.stringify(Object.fromEntries(slowest))}`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(ran).toBeGreaterThan(Math.min(CASES, 500));
    expect(codes.get('INTERNAL_SERVER_ERROR') ?? 0).toBe(0);
    expect(await allAlive(graph)).toEqual({
      gateway: true,
      users: true,
      projects: true,
      tasks: true,
      documents: true,
      time: true,
      notifications: true,
    });
  });

  it('answers random WebSocket sessions in the protocol and keeps accepting subscribers', async () => {
    const random = new Random(SEED + 1);
    const fuzzer = new SocketFuzzer(random, member.token, ids[4] ?? '');
    const url = wsUrl(graph.gatewayUrl);
    const sessionKinds = new Map<string, number>();
    const problems: string[] = [];
    const started = Date.now();
    const ran = await pool(SOCKET_SESSIONS, CONCURRENCY, started + BUDGET_MS / 3, async () => {
      const plan = fuzzer.plan();
      const session = await runSession(url, plan);
      sessionKinds.set(plan.kind, (sessionKinds.get(plan.kind) ?? 0) + 1);
      const problem = sessionProblem(session);
      if (problem) problems.push(`${plan.kind}: ${problem}`);
    });
    report(
      `seed ${SEED}: ${ran} WebSocket sessions in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    // Errors the subscription server finds itself carry a code too.
    for (const query of [
      '{',
      'subscription { nope }',
      'subscription A { statusUpdated(projectId: "x") { id } } subscription B { taskChanged(projectId: "x") { kind } }',
    ]) {
      const session = await runSession(url, {
        kind: 'errors-with-codes',
        protocol: 'graphql-transport-ws',
        frames: [
          JSON.stringify({
            type: 'connection_init',
            payload: { authorization: `Bearer ${member.token}` },
          }),
          JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }),
        ],
      });
      expect(session.received.some((text) => text.includes('"type":"error"'))).toBe(true);
      const problem = sessionProblem(session);
      if (problem) problems.push(`${query}: ${problem}`);
    }
    expect(problems.slice(0, 10)).toEqual([]);

    // A well-behaved subscriber still gets its events.
    const subscription = subscribe<{ statusUpdated: { message: string } }>(
      graph.gatewayUrl,
      member.token,
      'subscription ($p: ID!) { statusUpdated(projectId: $p) { message author { username } } }',
      { p: quietProjectId },
    );
    try {
      await subscriptionsServed(graph.gatewayUrl, 1);
      await ok(
        graph,
        manager,
        'mutation ($input: PostStatusUpdateInput!) { postStatusUpdate(input: $input) { id } }',
        { input: { projectId: quietProjectId, message: 'still here' } },
      );
      await subscription.received(1);
      expect(subscription.results[0]?.data?.statusUpdated.message).toBe('still here');
    } finally {
      await subscription.dispose();
    }
    expect(await allAlive(graph)).toMatchObject({ gateway: true });
  });

  it('holds memory bounded: caches fill, and replayed traffic adds nothing', async () => {
    const after = await settledMemory(3_000);
    // The same cases again (same seed): every document, query plan and cache entry is known, so
    // whatever grows now would be held per request.
    const replay = new OperationFuzzer(apiSchema(), new Random(SEED), { ids });
    const replayed = await pool(REPLAY, CONCURRENCY, Date.now() + BUDGET_MS / 2, () =>
      send(replay.next()),
    );
    const again = await settledMemory(3_000);
    report(
      `memory: rss ${before.rssMb} → ${after.rssMb} MB after the fuzz → ${again.rssMb} MB after replaying ${replayed}; ` +
        `heap ${before.heapMb} → ${after.heapMb} → ${again.heapMb} MB`,
    );
    expect(failures.slice(0, 10)).toEqual([]);
    // Growth during the fuzz is the LRU caches filling (Apollo Server's parsed-document store in
    // the gateway and each subgraph, the gateway's query plans; ~30 MiB each by their own
    // measure) and the engine (in this process) holding what was written.
    expect(after.heapMb - before.heapMb).toBeLessThan(250);
    expect(again.heapMb - after.heapMb).toBeLessThan(25);
    expect(again.rssMb - after.rssMb).toBeLessThan(100);
  });

  it('leaves only documents the models accept in every database', async () => {
    // Domain events the fuzzed writes caused are handled before the check.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { counts, problems } = await checkDatabases(graph, process.env.MONGO_URL ?? '');
    report(`databases: ${JSON.stringify(counts)}`);
    expect(problems.slice(0, 20)).toEqual([]);
    expect(counts['users.users']).toBeGreaterThanOrEqual(4);
  });
});
