import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import {
  DEAD_LETTER_SOCKET,
  InProcessEventBus,
  KeySet,
  RedisEventBus,
  runEventsCli,
  serveDeadLetters,
  silentLogger,
  startSubgraphService,
  type DeadLetter,
  type DomainEvent,
  type EventBus,
  type EventHandler,
  type RetryPolicy,
} from '../index';
import { Cleanup, eventually, randomId, startRedisServer } from '../testing';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

/** What the suite's failing handlers go through: three attempts, short pauses. */
const retry: RetryPolicy = { maxAttempts: 3, delayMs: 5, maxDelayMs: 20 };

function connect(): Redis {
  const redis = new Redis(process.env.REDIS_URL as string, { maxRetriesPerRequest: 1 });
  cleanup.add(() => redis.disconnect());
  return redis;
}

/** A Redis bus on streams of its own (a fresh prefix, so dead letters of one test stay apart). */
function redisBus(options: { claimIdleMs?: number; prefix?: string } = {}): RedisEventBus {
  const bus = new RedisEventBus(connect(), connect, {
    logger: silentLogger(),
    blockMs: 100,
    retry,
    ...options,
    prefix: options.prefix ?? `test:${randomId()}:`,
  });
  cleanup.add(() => bus.close());
  return bus;
}

function inProcessBus(): InProcessEventBus {
  const bus = new InProcessEventBus({ logger: silentLogger(), retry });
  cleanup.add(() => bus.close());
  return bus;
}

/** A bus, and the environment under which `npm run events` reaches its dead letters. */
interface BusUnderTest {
  bus: EventBus;
  cliEnv(): Promise<NodeJS.ProcessEnv>;
}

const implementations: [string, () => BusUnderTest][] = [
  [
    'Redis',
    () => {
      const prefix = `test:${randomId()}:`;
      return {
        bus: redisBus({ prefix }),
        cliEnv: async () => ({ REDIS_URL: process.env.REDIS_URL, EVENT_STREAM_PREFIX: prefix }),
      };
    },
  ],
  [
    'in-process',
    () => {
      const bus = inProcessBus();
      return {
        bus,
        // As `npm start` serves it: a socket in the data directory.
        cliEnv: async () => {
          const dataDir = mkdtempSync(path.join(tmpdir(), 'psa-events-'));
          cleanup.add(() => rmSync(dataDir, { recursive: true, force: true }));
          const socket = await serveDeadLetters(
            bus,
            path.join(dataDir, DEAD_LETTER_SOCKET),
            silentLogger(),
          );
          cleanup.add(() => socket.stop());
          return { DATA_DIR: dataDir };
        },
      };
    },
  ],
];

/** Collects events until `count` arrived. */
function collector(count: number, before?: EventHandler) {
  const events: DomainEvent[] = [];
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const handler: EventHandler = async (event) => {
    await before?.(event);
    events.push(event);
    if (events.length === count) done();
  };
  return { events, handler, all };
}

/**
 * Group `tasks` consuming `stream` with a handler that fails on events with `data.poison` until
 * `fix()`; `attempts` and `handled` list the `data.n` of every attempt and every success.
 */
async function poisoned(bus: EventBus, stream: string) {
  let fixed = false;
  const attempts: number[] = [];
  const handled: number[] = [];
  const letters: DeadLetter[] = [];
  const consumer = await bus.consume({
    stream,
    group: 'tasks',
    consumer: 'one',
    handler: async (event) => {
      const n = Number(event.data.n);
      attempts.push(n);
      if (event.data.poison && !fixed) throw new Error(`cannot handle ${n}`);
      handled.push(n);
    },
    onDeadLetter: (letter) => letters.push(letter),
  });
  cleanup.add(() => consumer.stop());
  return { attempts, handled, letters, fix: () => (fixed = true) };
}

/** Group `documents` consuming `stream` and keeping the `data.n` of what it handled. */
async function healthy(bus: EventBus, stream: string): Promise<number[]> {
  const handled: number[] = [];
  const consumer = await bus.consume({
    stream,
    group: 'documents',
    consumer: 'one',
    handler: async (event) => {
      handled.push(Number(event.data.n));
    },
  });
  cleanup.add(() => consumer.stop());
  return handled;
}

describe.each(implementations)('the %s event bus', (_name, create) => {
  it('delivers every event once to each group, in order', async () => {
    const { bus } = create();
    const stream = `events:${randomId()}`;
    const a = collector(50);
    const b = collector(50);
    const consumers = await Promise.all([
      bus.consume({ stream, group: 'tasks', consumer: 'one', handler: a.handler }),
      bus.consume({ stream, group: 'documents', consumer: 'one', handler: b.handler }),
    ]);
    cleanup.add(() => Promise.all(consumers.map((c) => c.stop())));
    const published = [];
    for (let i = 0; i < 50; i++) published.push(await bus.publish(stream, 'project.x', { i }));
    await Promise.all([a.all, b.all]);
    expect(a.events.map((e) => e.id)).toEqual(published.map((e) => e.id));
    expect(b.events.map((e) => e.data.i)).toEqual(published.map((e) => e.data.i));
  });

  it('tries a failing handler again, the events behind it waiting, and keeps no dead letter once it succeeds', async () => {
    const { bus } = create();
    const stream = `events:${randomId()}`;
    let failures = 0;
    const attempts: number[] = [];
    const letters: DeadLetter[] = [];
    const received = collector(2, async (event) => {
      attempts.push(Number(event.data.n));
      // Fails twice, succeeds on the third and last attempt the policy allows.
      if (event.data.n === 1 && failures < 2) {
        failures++;
        throw new Error('transient');
      }
    });
    const consumer = await bus.consume({
      stream,
      group: 'tasks',
      consumer: 'one',
      handler: received.handler,
      onDeadLetter: (letter) => letters.push(letter),
    });
    cleanup.add(() => consumer.stop());
    await bus.publish(stream, 'task.completed', { n: 1 });
    await bus.publish(stream, 'task.completed', { n: 2 });
    await received.all;
    expect(attempts).toEqual([1, 1, 1, 2]);
    expect(received.events.map((e) => e.data.n)).toEqual([1, 2]);
    expect(letters).toEqual([]);
    expect(await bus.deadLetters('tasks')).toEqual([]);
  });

  it('sets an event aside as a dead letter after the last attempt failed, and goes on with the next', async () => {
    const { bus } = create();
    const stream = `events:${randomId()}`;
    const tasks = await poisoned(bus, stream);
    const documents = await healthy(bus, stream);
    const poison = await bus.publish(stream, 'project.x', { n: 1, poison: true });
    await bus.publish(stream, 'project.x', { n: 2 });
    await eventually(() => tasks.handled.includes(2) && documents.length === 2);
    expect(tasks.attempts).toEqual([1, 1, 1, 2]);
    expect(tasks.handled).toEqual([2]);
    // Another group's handler is not held up, and handles it once.
    expect(documents).toEqual([1, 2]);
    expect(tasks.letters).toEqual([
      {
        id: expect.stringMatching(/^\d+-\d+$/),
        group: 'tasks',
        stream,
        position: poison.position,
        event: {
          id: poison.id,
          type: 'project.x',
          occurredAt: poison.occurredAt,
          data: { n: 1, poison: true },
        },
        attempts: 3,
        error: 'cannot handle 1',
        deadAt: expect.any(String),
      },
    ]);
    expect(await bus.deadLetters('tasks')).toEqual(tasks.letters);
    expect(await bus.deadLetters('documents')).toEqual([]);
  });

  it('replays a dead letter to its group only, exactly once, and then forgets it', async () => {
    const { bus } = create();
    const stream = `events:${randomId()}`;
    const tasks = await poisoned(bus, stream);
    const documents = await healthy(bus, stream);
    await bus.publish(stream, 'project.x', { n: 1, poison: true });
    await bus.publish(stream, 'project.x', { n: 2 });
    await eventually(() => tasks.letters.length === 1 && documents.length === 2);
    const [letter] = await bus.deadLetters('tasks');
    tasks.fix();
    expect(await bus.replayDeadLetter('tasks', letter?.id ?? '')).toBe(true);
    await eventually(() => tasks.handled.includes(1));
    // Once a later event is handled too, nothing of the replay can still be on its way.
    await bus.publish(stream, 'project.x', { n: 3 });
    await eventually(() => tasks.handled.includes(3) && documents.length === 3);
    expect(tasks.handled).toEqual([2, 1, 3]);
    expect(documents).toEqual([1, 2, 3]);
    expect(await bus.deadLetters('tasks')).toEqual([]);
    expect(await bus.replayDeadLetter('tasks', letter?.id ?? '')).toBe(false);
  });

  it('gives a replayed event fresh attempts, and sets it aside again when it still fails', async () => {
    const { bus } = create();
    const stream = `events:${randomId()}`;
    const tasks = await poisoned(bus, stream);
    await bus.publish(stream, 'project.x', { n: 1, poison: true });
    await eventually(() => tasks.letters.length === 1);
    expect(await bus.replayDeadLetter('tasks', tasks.letters[0]?.id ?? '')).toBe(true);
    await eventually(() => tasks.letters.length === 2);
    expect(tasks.attempts).toEqual([1, 1, 1, 1, 1, 1]);
    const [again] = await bus.deadLetters('tasks');
    expect(again?.id).not.toBe(tasks.letters[0]?.id);
    expect(again?.event).toEqual(tasks.letters[0]?.event);
    expect(again?.position).toBe(tasks.letters[0]?.position);
  });

  it('lists dead letters a page at a time', async () => {
    const { bus } = create();
    const stream = `events:${randomId()}`;
    const tasks = await poisoned(bus, stream);
    for (let n = 1; n <= 3; n++) await bus.publish(stream, 'project.x', { n, poison: true });
    await eventually(() => tasks.letters.length === 3);
    const first = await bus.deadLetters('tasks', { limit: 2 });
    const rest = await bus.deadLetters('tasks', { after: first.at(-1)?.id, limit: 2 });
    expect([...first, ...rest].map((letter) => letter.event.data.n)).toEqual([1, 2, 3]);
  });

  it('handledBy resolves once every named group handled the event, and only then', async () => {
    const { bus } = create();
    const stream = `events:${randomId()}`;
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const consumers = await Promise.all([
      bus.consume({ stream, group: 'tasks', consumer: 'one', handler: async () => undefined }),
      bus.consume({ stream, group: 'documents', consumer: 'one', handler: () => slow }),
    ]);
    cleanup.add(() => Promise.all(consumers.map((c) => c.stop())));
    const event = await bus.publish(stream, 'project.access-changed', {});
    expect(await bus.handledBy(event, ['tasks', 'documents'], 300)).toBe(false);
    expect(await bus.handledBy(event, ['tasks'], 10_000)).toBe(true);
    const both = bus.handledBy(event, ['tasks', 'documents'], 10_000);
    release();
    expect(await both).toBe(true);
    // Already handled: it resolves from what the bus knows, without a notification to wait for.
    expect(await bus.handledBy(event, ['tasks', 'documents'], 10_000)).toBe(true);
  });

  it('handledBy stops waiting once a group set the event aside', async () => {
    const { bus } = create();
    const stream = `events:${randomId()}`;
    const tasks = await poisoned(bus, stream);
    const event = await bus.publish(stream, 'project.x', { n: 1, poison: true });
    expect(await bus.handledBy(event, ['tasks'], 10_000)).toBe(true);
    expect(tasks.handled).toEqual([]);
    await eventually(() => tasks.letters.length === 1);
  });

  it('handledBy does not wait for a group that does not exist yet (it will start from the beginning)', async () => {
    const { bus } = create();
    const stream = `events:${randomId()}`;
    await healthy(bus, stream);
    const event = await bus.publish(stream, 'user.deleted', {});
    expect(await bus.handledBy(event, ['users'], 10_000)).toBe(true);
  });

  it('counts dead letters in the consuming service’s /metrics', async () => {
    const { bus } = create();
    const root = mkdtempSync(path.join(tmpdir(), 'psa-poison-service-'));
    cleanup.add(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src', 'schema.graphql'), 'type Query { ping: String }\n');
    const stream = `events:${randomId()}`;
    const service = await startSubgraphService({
      name: 'poison',
      serviceRoot: root,
      resolvers: { Query: { ping: () => 'pong' } },
      config: {
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        MONGO_URL: process.env.MONGO_URL as string,
        BODY_LIMIT_BYTES: 1_048_576,
        SHUTDOWN_GRACE_MS: 1_000,
        SHUTDOWN_DELAY_MS: 0,
        REQUEST_TIMEOUT_MS: 30_000,
        FILES_IDLE_TIMEOUT_MS: 60_000,
        JWT_ISSUER: 'psa-graph',
        JWT_AUDIENCE: 'psa-graph-api',
      },
      port: 0,
      dbName: `psa_poison_${randomId()}`,
      keySet: new KeySet({ logger: silentLogger() }),
      events: bus,
      logger: silentLogger(),
      setup: () => ({
        models: [],
        context: (base) => base,
        consumers: {
          [stream]: async () => {
            throw new Error('poison');
          },
        },
      }),
    });
    cleanup.add(() => service.stop());
    await service.whenReady();
    const event = await bus.publish(stream, 'project.poison', {});
    expect(await bus.handledBy(event, ['poison'], 10_000)).toBe(true);
    const metrics = async () => (await fetch(service.url.replace(/\/graphql$/, '/metrics'))).text();
    const deadLettered = 'psa_events_dead_lettered_total{type="project.poison",service="poison"}';
    // The consumer counts it once it has stored it, which may be just after handledBy heard.
    await eventually(async () => (await metrics()).includes(deadLettered));
    const text = await metrics();
    expect(text).toContain(`${deadLettered} 1`);
    expect(text).toContain(
      'psa_events_handled_total{type="project.poison",outcome="failed",service="poison"} 3',
    );
  });

  describe('npm run events -- dead-letters', () => {
    const run = async (argv: string[], env: NodeJS.ProcessEnv) => {
      const out: string[] = [];
      const err: string[] = [];
      const status = await runEventsCli(argv, env, {
        out: (line) => out.push(line),
        err: (line) => err.push(line),
      });
      return { status, out: out.join('\n'), err: err.join('\n') };
    };

    it('lists a service’s dead letters, and replays one to the fixed handler', async () => {
      const { bus, cliEnv } = create();
      const env = await cliEnv();
      const stream = `events:${randomId()}`;
      const tasks = await poisoned(bus, stream);
      const poison = await bus.publish(stream, 'project.x', { n: 1, poison: true });
      await eventually(() => tasks.letters.length === 1);
      const id = tasks.letters[0]?.id ?? '';

      const listed = await run(['dead-letters', 'list', '--service', 'tasks'], env);
      expect(listed).toEqual({
        status: 0,
        out: expect.stringContaining(`${id}  ${stream}  project.x  event ${poison.id}  3 attempts`),
        err: '',
      });
      expect(listed.out).toContain('cannot handle 1');
      const json = await run(['dead-letters', 'list', '--service', 'tasks', '--json'], env);
      expect(JSON.parse(json.out)).toEqual(tasks.letters);
      expect((await run(['dead-letters', 'list', '--service', 'documents'], env)).out).toBe(
        'documents has no dead letters.',
      );

      tasks.fix();
      expect(await run(['dead-letters', 'replay', id, '--service', 'tasks'], env)).toEqual({
        status: 0,
        out: `Replayed ${id} to tasks.`,
        err: '',
      });
      await eventually(() => tasks.handled.includes(1));
      expect((await run(['dead-letters', 'list', '--service', 'tasks'], env)).out).toBe(
        'tasks has no dead letters.',
      );
      expect(await run(['dead-letters', 'replay', id, '--service', 'tasks'], env)).toEqual({
        status: 1,
        out: '',
        err: `tasks has no dead letter ${id}.`,
      });
    });

    it('replays every dead letter of a service with --all, each once', async () => {
      const { bus, cliEnv } = create();
      const env = await cliEnv();
      const stream = `events:${randomId()}`;
      const tasks = await poisoned(bus, stream);
      for (let n = 1; n <= 3; n++) await bus.publish(stream, 'project.x', { n, poison: true });
      await eventually(() => tasks.letters.length === 3);
      tasks.fix();
      expect(await run(['dead-letters', 'replay', '--all', '--service', 'tasks'], env)).toEqual({
        status: 0,
        out: 'Replayed 3 dead letters to tasks.',
        err: '',
      });
      await eventually(() => tasks.handled.length === 3);
      await bus.publish(stream, 'project.x', { n: 4 });
      await eventually(() => tasks.handled.includes(4));
      expect(tasks.handled).toEqual([1, 2, 3, 4]);
      expect(await bus.deadLetters('tasks')).toEqual([]);
    });

    it('refuses a malformed command with its usage, and touches nothing', async () => {
      const { cliEnv } = create();
      const env = await cliEnv();
      for (const argv of [
        ['dead-letters', 'list', '--service', 'billing'],
        ['dead-letters', 'replay', '--service', 'tasks'],
        ['dead-letters', 'replay', 'nope', '--service', 'tasks'],
        ['dead-letters', 'list', '--service', 'tasks', '--limit', '0'],
        ['dead-letters', 'purge', '--service', 'tasks'],
        ['dead-letters', 'list', '--service', 'tasks', '--force'],
      ]) {
        const refused = await run(argv, env);
        expect(refused.status).toBe(2);
        expect(refused.err).toContain('Usage:');
      }
    });
  });
});

describe('the Redis event bus', () => {
  it('processes events published while the consumer was down once it comes back', async () => {
    const events = redisBus();
    const stream = `events:${randomId()}`;
    const first = await events.consume({
      stream,
      group: 'tasks',
      consumer: 'one',
      handler: async () => undefined,
    });
    await first.stop();
    for (let i = 0; i < 5; i++) await events.publish(stream, 'project.deleted', { i });
    const later = collector(5);
    const consumer = await events.consume({
      stream,
      group: 'tasks',
      consumer: 'one',
      handler: later.handler,
    });
    cleanup.add(() => consumer.stop());
    await later.all;
    expect(later.events.map((e) => e.data.i)).toEqual([0, 1, 2, 3, 4]);
  });

  it('leaves nothing pending once events are handled or dead-lettered', async () => {
    const prefix = `test:${randomId()}:`;
    const bus = redisBus({ prefix });
    const stream = `events:${randomId()}`;
    const tasks = await poisoned(bus, stream);
    await bus.publish(stream, 'project.x', { n: 1, poison: true });
    await bus.publish(stream, 'project.x', { n: 2 });
    await eventually(() => tasks.handled.includes(2));
    const pending = (await connect().xpending(`${prefix}${stream}`, 'tasks')) as [number];
    expect(pending[0]).toBe(0);
  });

  it('takes over events a crashed consumer of the same group left unacknowledged', async () => {
    const events = redisBus({ claimIdleMs: 200 });
    const stream = `events:${randomId()}`;
    // The first consumer takes the event and never finishes it (as if its process died).
    const stuck = await events.consume({
      stream,
      group: 'tasks',
      consumer: 'crashed',
      handler: () => new Promise(() => undefined),
    });
    await events.publish(stream, 'user.deleted', { userId: 'u1' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    void stuck.stop();
    const rescued = collector(1);
    const consumer = await events.consume({
      stream,
      group: 'tasks',
      consumer: 'healthy',
      handler: rescued.handler,
    });
    cleanup.add(() => consumer.stop());
    await rescued.all;
    expect(rescued.events[0]?.data).toEqual({ userId: 'u1' });
  });

  it('keeps dead letters in Redis: another process lists and replays them', async () => {
    const prefix = `test:${randomId()}:`;
    const bus = redisBus({ prefix });
    const stream = `events:${randomId()}`;
    const tasks = await poisoned(bus, stream);
    await bus.publish(stream, 'project.x', { n: 1, poison: true });
    await eventually(() => tasks.letters.length === 1);
    const elsewhere = redisBus({ prefix });
    expect(await elsewhere.deadLetters('tasks')).toEqual(tasks.letters);
    tasks.fix();
    expect(await elsewhere.replayDeadLetter('tasks', tasks.letters[0]?.id ?? '')).toBe(true);
    await eventually(() => tasks.handled.includes(1));
  });

  it('handledBy waits on the consumers’ notification instead of asking Redis over and over', async () => {
    // A Redis of its own, so that its command counts are this test's alone.
    const server = await startRedisServer();
    cleanup.add(() => server.stop());
    const own = (): Redis => {
      const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
      cleanup.add(() => redis.disconnect());
      return redis;
    };
    const bus = new RedisEventBus(own(), own, { logger: silentLogger(), blockMs: 100, retry });
    cleanup.add(() => bus.close());
    const groupChecks = async (): Promise<number> => {
      const stats = await own().info('commandstats');
      return [...stats.matchAll(/^cmdstat_xinfo[^:]*:calls=(\d+)/gm)].reduce(
        (sum, match) => sum + Number(match[1]),
        0,
      );
    };
    const stream = `events:${randomId()}`;
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const consumer = await bus.consume({
      stream,
      group: 'documents',
      consumer: 'one',
      handler: () => slow,
    });
    cleanup.add(() => consumer.stop());
    const event = await bus.publish(stream, 'project.access-changed', {});
    const before = await groupChecks();
    const handled = bus.handledBy(event, ['documents'], 20_000);
    // Long enough for a poller to have asked many times.
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    expect(await handled).toBe(true);
    expect((await groupChecks()) - before).toBe(1);
  });
});
