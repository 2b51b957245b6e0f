import http from 'node:http';
import { parse } from 'graphql';
import {
  silentLogger,
  startSubgraph,
  type GraphQLServerOptions,
  type RequestContextBase,
  type RunningServer,
} from '../index';
import { graphqlRequest } from '../testing';

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type Query { slow(ms: Int!): String! fail: String requestId: String! }
`);

let ready = true;
/** Called when a `slow` request has reached its resolver (the server is working on it). */
let onSlowStarted: () => void = () => undefined;
/** Called when a `slow` resolver is done. */
let onSlowFinished: () => void = () => undefined;
const resolvers = {
  Query: {
    slow: async (_: unknown, { ms }: { ms: number }) => {
      onSlowStarted();
      await new Promise((resolve) => setTimeout(resolve, ms));
      onSlowFinished();
      return 'done';
    },
    fail: () => {
      throw new Error('database password is hunter2');
    },
    requestId: (_: unknown, __: unknown, ctx: RequestContextBase) => ctx.requestId,
  },
};

async function start(
  readiness: () => Record<string, boolean> = () => ({ dependency: ready }),
  degradedWithout: string[] = [],
  extra: Partial<GraphQLServerOptions<RequestContextBase>> = {},
): Promise<RunningServer> {
  const logger = silentLogger();
  return startSubgraph<RequestContextBase>({
    name: 'test',
    typeDefs,
    resolvers,
    port: 0,
    host: '127.0.0.1',
    logger,
    development: false,
    bodyLimitBytes: 10_000,
    shutdownGraceMs: 5_000,
    readiness,
    degradedWithout,
    context: async ({ requestId, logger: requestLogger }) => ({ requestId, logger: requestLogger }),
    ...extra,
  });
}

describe('the GraphQL HTTP server', () => {
  it('stays ready, reporting degraded, while only a check it can do without fails', async () => {
    let cache = true;
    const server = await start(() => ({ dependency: ready, cache }), ['cache']);
    const readyz = server.url.replace('/graphql', '/readyz');
    try {
      ready = true;
      cache = false;
      const degraded = await fetch(readyz);
      expect(degraded.status).toBe(200);
      expect(await degraded.json()).toMatchObject({ status: 'degraded', failed: ['cache'] });
      ready = false;
      const down = await fetch(readyz);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        status: 'not ready',
        failed: ['dependency', 'cache'],
      });
      ready = true;
      cache = true;
      expect(await (await fetch(readyz)).json()).toMatchObject({ status: 'ready' });
    } finally {
      await server.stop();
    }
  });

  it('reports not ready while a dependency is down, and ready again after', async () => {
    const server = await start();
    const readyz = server.url.replace('/graphql', '/readyz');
    try {
      ready = false;
      const down = await fetch(readyz);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        status: 'not ready',
        checks: { dependency: false },
      });
      ready = true;
      expect((await fetch(readyz)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('finishes an in-flight request on stop, then refuses new connections', async () => {
    const server = await start();
    const started = new Promise<void>((resolve) => (onSlowStarted = resolve));
    const inFlight = graphqlRequest(server.url, '{ slow(ms: 300) }');
    // Stop only once the server is working on the request (a request still in the socket
    // buffer has not been accepted yet, and a load balancer would not send one now).
    await started;
    const stopped = server.stop();
    const result = await inFlight;
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ slow: 'done' });
    await stopped;
    await expect(fetch(server.url.replace('/graphql', '/healthz'))).rejects.toThrow();
  });

  it('masks unexpected errors outside development, uses the caller’s request id, answers no-store, and limits bodies', async () => {
    const server = await start();
    try {
      const failed = await graphqlRequest(server.url, '{ fail }');
      expect(failed.body.errors?.[0]).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(JSON.stringify(failed.body)).not.toContain('hunter2');

      const traced = await graphqlRequest(
        server.url,
        '{ requestId }',
        {},
        { 'x-request-id': 'abc-123' },
      );
      expect(traced.body.data).toEqual({ requestId: 'abc-123' });
      expect(traced.headers.get('x-request-id')).toBe('abc-123');
      // Per-caller answers: never kept by a browser or a proxy.
      expect(traced.headers.get('cache-control')).toBe('no-store');
      const generated = await graphqlRequest(
        server.url,
        '{ requestId }',
        {},
        { 'x-request-id': 'bad id with spaces' },
      );
      expect(generated.body.data?.requestId).toMatch(/^[0-9a-f-]{36}$/);

      const huge = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ requestId } #${'x'.repeat(20_000)}` }),
      });
      expect(huge.status).toBe(413);
      expect(await huge.json()).toMatchObject({
        errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
      });

      // No Subscription type here: a client error, not an internal one.
      const subscription = await graphqlRequest(server.url, 'subscription { requestId }');
      expect(subscription.status).toBe(400);
      expect(subscription.body.errors).toEqual([
        {
          message: 'This service has no subscription operations',
          extensions: { code: 'BAD_REQUEST' },
        },
      ]);
    } finally {
      await server.stop();
    }
  });

  it('serves /graphql in-process as over HTTP (request id, masking, body limit, no-store) and refuses once stopped', async () => {
    const server = await start();
    const inProcess = (body: string, headers: Record<string, string> = {}) =>
      server.handleInProcess({
        method: 'POST',
        url: server.url,
        headers: { 'Content-Type': 'application/json', ...headers },
        body,
      });
    try {
      const traced = await inProcess(JSON.stringify({ query: '{ requestId }' }), {
        'X-Request-Id': 'abc-123',
      });
      expect(traced.status).toBe(200);
      expect(JSON.parse(traced.body)).toEqual({ data: { requestId: 'abc-123' } });
      expect(traced.headers.get('x-request-id')).toBe('abc-123');
      expect(traced.headers.get('cache-control')).toBe('no-store');

      const failed = await inProcess(JSON.stringify({ query: '{ fail }' }));
      const overHttp = await graphqlRequest(server.url, '{ fail }');
      expect(JSON.parse(failed.body)).toEqual(overHttp.body);
      expect(failed.body).not.toContain('hunter2');

      const huge = await inProcess(
        JSON.stringify({ query: `{ requestId } #${'x'.repeat(20_000)}` }),
      );
      expect(huge.status).toBe(413);
      expect(JSON.parse(huge.body)).toMatchObject({
        errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
      });
      expect((await inProcess('{ not json')).status).toBe(400);
    } finally {
      await server.stop();
    }
    await expect(inProcess(JSON.stringify({ query: '{ requestId }' }))).rejects.toThrow(
      /has stopped/,
    );
  });

  it('answers what is wrong with the request itself with the code and status the README lists', async () => {
    const server = await start();
    try {
      const put = await fetch(server.url, { method: 'PUT' });
      expect(put.status).toBe(405);
      expect(await put.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
      const notJson = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":',
      });
      expect(notJson.status).toBe(400);
      expect(await notJson.json()).toMatchObject({
        errors: [{ extensions: { code: 'BAD_REQUEST' } }],
      });
      // Document errors: 200 to an application/json client, 400 to a graphql-response+json one.
      const unparsable = await graphqlRequest(server.url, '{ requestId');
      expect(unparsable.status).toBe(200);
      expect(unparsable.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
      const invalid = await graphqlRequest(server.url, '{ nothing }');
      expect(invalid.status).toBe(200);
      expect(invalid.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const badVariable = await graphqlRequest(server.url, 'query($ms: Int!) { slow(ms: $ms) }', {
        ms: 'soon',
      });
      expect(badVariable.status).toBe(200);
      expect(badVariable.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      for (const query of ['{ requestId', '{ nothing }']) {
        const strict = await graphqlRequest(
          server.url,
          query,
          {},
          { accept: 'application/graphql-response+json' },
        );
        expect(strict.status).toBe(400);
        expect(strict.headers.get('content-type')).toContain('application/graphql-response+json');
      }
      const ambiguous = await graphqlRequest(
        server.url,
        'query A { requestId } query B { requestId }',
      );
      expect(ambiguous.status).toBe(400);
      expect(ambiguous.body.errors?.[0]?.extensions?.code).toBe('OPERATION_RESOLUTION_FAILURE');
      // An automatic persisted query the server has not seen: the client sends the query next.
      const unknownHash = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } },
        }),
      });
      expect(unknownHash.status).toBe(200);
      expect(await unknownHash.json()).toMatchObject({
        errors: [{ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }],
      });
    } finally {
      await server.stop();
    }
  });
});

describe('transfer routes', () => {
  const TIMEOUT_MS = 500;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** `/transfer/?pieces=&gap=&pauseAt=&pause=`: `pieces` KiB, `gap` ms apart, a longer pause once. */
  const transfer = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const pieces = Number(query.get('pieces'));
    res.writeHead(200, { 'content-length': pieces * 1024 });
    for (let i = 0; i < pieces && !res.destroyed; i++) {
      if (i === Number(query.get('pauseAt') ?? -1)) await sleep(Number(query.get('pause')));
      res.write(Buffer.alloc(1024, 'x'));
      await sleep(Number(query.get('gap')));
    }
    res.end();
  };

  /** GETs `path`: the bytes received and whether the answer arrived whole. */
  const get = (server: RunningServer, path: string, agent?: http.Agent) =>
    new Promise<{ received: number; complete: boolean }>((resolve, reject) => {
      http
        .get(server.url.replace('/graphql', path), { agent }, (response) => {
          let received = 0;
          response.on('data', (chunk: Buffer) => (received += chunk.length));
          response.on('error', () => undefined); // a cut answer: 'aborted'
          response.on('close', () => resolve({ received, complete: response.complete }));
        })
        .on('error', reject);
    });

  let server: RunningServer;
  beforeAll(async () => {
    server = await start(() => ({}), [], {
      transferRoutes: { '/transfer/': transfer },
      transferIdleTimeoutMs: TIMEOUT_MS,
      requestTimeoutMs: TIMEOUT_MS,
    });
  });
  afterAll(() => server.stop());

  it('answers in full an answer that takes several times the timeout but keeps moving', async () => {
    const started = Date.now();
    // 16 KiB 150 ms apart: 2.4 s, never 500 ms without a byte.
    expect(await get(server, '/transfer/?pieces=16&gap=150')).toEqual({
      received: 16 * 1024,
      complete: true,
    });
    expect(Date.now() - started).toBeGreaterThan(4 * TIMEOUT_MS);
  });

  it('cuts an answer that stalls longer than the idle timeout', async () => {
    const cut = await get(server, '/transfer/?pieces=8&gap=10&pauseAt=4&pause=1500');
    expect(cut).toEqual({ received: 4 * 1024, complete: false });
  });

  it('leaves a kept-alive connection to its own timeout once a transfer is done', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await get(server, '/transfer/?pieces=2&gap=10', agent)).complete).toBe(true);
      // Longer than the transfer's idle timeout, shorter than the keep-alive one (5 s): the
      // idle connection is still there for the next request.
      await sleep(3 * TIMEOUT_MS);
      const next = http.get(server.url.replace('/graphql', '/healthz'), { agent });
      const status = await new Promise<number>((resolve, reject) => {
        next.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        next.on('error', reject);
      });
      expect(status).toBe(200);
      expect(next.reusedSocket).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('answers at most maxConcurrentRequests client requests at once, the rest in order', async () => {
    const server = await start(undefined, [], { maxConcurrentRequests: 2 });
    let working = 0;
    let most = 0;
    onSlowStarted = () => {
      working++;
      most = Math.max(most, working);
    };
    onSlowFinished = () => working--;
    const finished: number[] = [];
    try {
      await Promise.all(
        [0, 1, 2, 3, 4].map(async (i) => {
          const { body } = await graphqlRequest(server.url, `{ slow(ms: 100) }`);
          finished.push(i);
          expect(body).toEqual({ data: { slow: 'done' } });
        }),
      );
      expect(most).toBe(2);
      // The first two were let in first; the last waited for a slot freed twice before.
      expect(finished.slice(0, 2).sort()).toEqual([0, 1]);
      expect(finished.at(-1)).toBe(4);
    } finally {
      onSlowStarted = () => undefined;
      onSlowFinished = () => undefined;
      await server.stop();
    }
  });
});
