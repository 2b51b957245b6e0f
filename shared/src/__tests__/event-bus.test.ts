import { Redis } from 'ioredis';
import {
  InProcessEventBus,
  RedisEventBus,
  silentLogger,
  type DomainEvent,
  type EventHandler,
} from '../index';
import { Cleanup, randomId } from '../testing';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

function connect(): Redis {
  const redis = new Redis(process.env.REDIS_URL as string, { maxRetriesPerRequest: 1 });
  cleanup.add(() => redis.disconnect());
  return redis;
}

function bus(options: { claimIdleMs?: number } = {}): RedisEventBus {
  return new RedisEventBus(connect(), connect, {
    logger: silentLogger(),
    prefix: 'test:',
    blockMs: 100,
    retryDelayMs: 50,
    ...options,
  });
}

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

describe('RedisEventBus', () => {
  it('delivers every event once to each group, in order', async () => {
    const events = bus();
    const stream = `test:events:${randomId()}`;
    const a = collector(50);
    const b = collector(50);
    const consumers = await Promise.all([
      events.consume({ stream, group: 'tasks', consumer: 'one', handler: a.handler }),
      events.consume({ stream, group: 'documents', consumer: 'one', handler: b.handler }),
    ]);
    cleanup.add(() => Promise.all(consumers.map((c) => c.stop())));
    const published = [];
    for (let i = 0; i < 50; i++)
      published.push(await events.publish(stream, 'project.member-added', { i }));
    await Promise.all([a.all, b.all]);
    expect(a.events.map((e) => e.id)).toEqual(published.map((e) => e.id));
    expect(b.events.map((e) => e.data.i)).toEqual(published.map((e) => e.data.i));
  });

  it('processes events published while the consumer was down once it comes back', async () => {
    const events = bus();
    const stream = `test:events:${randomId()}`;
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

  it('delivers an event again when its handler failed, and acknowledges it once handled', async () => {
    const events = bus();
    const stream = `test:events:${randomId()}`;
    let failures = 0;
    const received = collector(2, async (event) => {
      if (event.data.n === 1 && failures++ === 0) throw new Error('transient');
    });
    const consumer = await events.consume({
      stream,
      group: 'tasks',
      consumer: 'one',
      handler: received.handler,
    });
    cleanup.add(() => consumer.stop());
    await events.publish(stream, 'task.completed', { n: 1 });
    await events.publish(stream, 'task.completed', { n: 2 });
    await received.all;
    expect(failures).toBe(2);
    expect(received.events.map((e) => e.data.n)).toEqual([1, 2]);
    const pending = (await connect().xpending(`test:${stream}`, 'tasks')) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
  });

  it('takes over events a crashed consumer of the same group left unacknowledged', async () => {
    const events = bus({ claimIdleMs: 200 });
    const stream = `test:events:${randomId()}`;
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
});

describe('handledBy', () => {
  it('resolves once every named group handled the event, and only then', async () => {
    const events = bus();
    const stream = `events:${randomId()}`;
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const consumers = await Promise.all([
      events.consume({ stream, group: 'tasks', consumer: 'one', handler: async () => undefined }),
      events.consume({ stream, group: 'documents', consumer: 'one', handler: () => slow }),
    ]);
    cleanup.add(() => Promise.all(consumers.map((c) => c.stop())));
    const event = await events.publish(stream, 'project.access-changed', {});
    expect(await events.handledBy(event, ['tasks', 'documents'], 300)).toBe(false);
    expect(await events.handledBy(event, ['tasks'], 2_000)).toBe(true);
    release();
    expect(await events.handledBy(event, ['tasks', 'documents'], 2_000)).toBe(true);
  });

  it('does not wait for a group that does not exist yet (it will start from the beginning)', async () => {
    const events = bus();
    const event = await events.publish(`events:${randomId()}`, 'user.deleted', {});
    expect(await events.handledBy(event, ['users'], 1_000)).toBe(true);
  });

  it('works the same inside one process', async () => {
    const events = new InProcessEventBus(silentLogger());
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    await events.consume({ stream: 's', group: 'tasks', consumer: 'one', handler: () => slow });
    const event = await events.publish('s', 'project.access-changed', {});
    expect(await events.handledBy(event, ['tasks'], 100)).toBe(false);
    release();
    expect(await events.handledBy(event, ['tasks'], 1_000)).toBe(true);
  });
});
