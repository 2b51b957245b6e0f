import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger';

/** A domain event: something that happened in one service that others react to. */
export interface DomainEvent {
  /** Unique id; consumers use it to stay idempotent under redelivery. */
  id: string;
  type: string;
  /** ISO-8601 time the event was published. */
  occurredAt: string;
  data: Record<string, unknown>;
}

/** Handles one event. Throwing leaves it unacknowledged: it is delivered again. */
export type EventHandler = (event: DomainEvent) => Promise<void>;

export interface ConsumerOptions {
  stream: string;
  /** Consumer group: one per consuming service; each event reaches each group once. */
  group: string;
  /** This process's name within the group (e.g. the pod name). */
  consumer: string;
  handler: EventHandler;
}

/** A running consumer. */
export interface Consumer {
  stop(): Promise<void>;
}

/** An event as stored: `position` orders it within its stream. */
export interface PublishedEvent extends DomainEvent {
  stream: string;
  position: string;
}

/**
 * Durable domain events with at-least-once delivery: an event published while a consumer is
 * down is processed when it comes back, and one whose handler failed is delivered again.
 */
export interface EventBus {
  /** Appends an event to `stream`; resolves once stored. Returns the event. */
  publish(stream: string, type: string, data: Record<string, unknown>): Promise<PublishedEvent>;
  consume(options: ConsumerOptions): Promise<Consumer>;
  /**
   * Resolves true once every group in `groups` that exists has handled `event` (its handler
   * resolved), false when `timeoutMs` passed first. Writers use it to read their own writes
   * through another service's read model.
   */
  handledBy(event: PublishedEvent, groups: readonly string[], timeoutMs: number): Promise<boolean>;
  /** True while events can be published and consumed. */
  isReady(): boolean;
  /** Stops the consumers this bus started and closes its connections. */
  close(): Promise<void>;
}

const newEvent = (type: string, data: Record<string, unknown>): DomainEvent => ({
  id: randomUUID(),
  type,
  occurredAt: new Date().toISOString(),
  data,
});

export interface RedisEventBusOptions {
  logger: Logger;
  /** Prepended to every stream name (deployments, or test runs, sharing one Redis). Default `psa:events:`. */
  prefix?: string;
  /** Approximate number of events kept per stream. Default 100,000. */
  maxLength?: number;
  /** How long a read waits for new events, ms. Default 1,000. */
  blockMs?: number;
  /** Events another consumer took but has not acknowledged for this long are taken over, ms. Default 30,000. */
  claimIdleMs?: number;
  /** Pause after a handler failure before the event is tried again, ms. Default 1,000. */
  retryDelayMs?: number;
}

type StreamEntry = [id: string, fields: string[]];

/** Compares stream entry ids (`<ms>-<seq>`) numerically. */
function comparePositions(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map(BigInt);
  const [bMs = 0n, bSeq = 0n] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Events in Redis Streams with consumer groups. Each consumer first replays what it took and never
 * acknowledged (it crashed), then takes over events a dead consumer left behind, then reads new
 * ones; an event is acknowledged only after its handler resolved. A handler that keeps failing
 * is retried (pausing between attempts) until it succeeds: the events behind it wait rather than
 * one being lost while, say, the database is away.
 */
export class RedisEventBus implements EventBus {
  private readonly consumers = new Set<Consumer>();

  /**
   * @param redis commands and publishing; closed by `close()`
   * @param createReader a dedicated connection per consumer: blocking reads hold their connection
   */
  constructor(
    private readonly redis: Redis,
    private readonly createReader: () => Redis,
    private readonly options: RedisEventBusOptions,
  ) {}

  private key(stream: string): string {
    return `${this.options.prefix ?? 'psa:events:'}${stream}`;
  }

  async publish(
    stream: string,
    type: string,
    data: Record<string, unknown>,
  ): Promise<PublishedEvent> {
    const event = newEvent(type, data);
    const position = await this.redis.xadd(
      this.key(stream),
      'MAXLEN',
      '~',
      String(this.options.maxLength ?? 100_000),
      '*',
      'event',
      JSON.stringify(event),
    );
    if (position === null) throw new Error(`event not stored in stream ${stream}`);
    return { ...event, stream, position };
  }

  async handledBy(
    event: PublishedEvent,
    groups: readonly string[],
    timeoutMs: number,
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const key = this.key(event.stream);
    let waiting = [...groups];
    for (;;) {
      const infos = (await this.redis.xinfo('GROUPS', key)) as unknown[][];
      const delivered = new Map(
        infos.map((fields) => {
          const get = (name: string) => fields[fields.indexOf(name) + 1];
          return [String(get('name')), String(get('last-delivered-id'))];
        }),
      );
      const behind: string[] = [];
      for (const group of waiting) {
        const last = delivered.get(group);
        // A group that does not exist yet has no read model to be behind: it starts from the beginning.
        if (last === undefined) continue;
        if (comparePositions(last, event.position) < 0) {
          behind.push(group);
          continue;
        }
        const pending = (await this.redis.xpending(
          key,
          group,
          event.position,
          event.position,
          1,
        )) as unknown[];
        if (pending.length > 0) behind.push(group);
      }
      waiting = behind;
      if (waiting.length === 0) return true;
      if (Date.now() >= deadline) return false;
      await sleep(2);
    }
  }

  isReady(): boolean {
    return this.redis.status === 'ready';
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    this.redis.disconnect();
  }

  async consume(options: ConsumerOptions): Promise<Consumer> {
    const reader = this.createReader();
    const stream = this.key(options.stream);
    let grouped = false;
    // Created at the start of the stream, a new group first processes every event kept.
    const ensureGroup = async (): Promise<void> => {
      if (grouped) return;
      try {
        await reader.xgroup('CREATE', stream, options.group, '0', 'MKSTREAM');
      } catch (error) {
        if (!String(error).includes('BUSYGROUP')) throw error;
      }
      grouped = true;
    };
    // Made now when Redis is there, so writers waiting for this group find it; else by the loop.
    await ensureGroup().catch(() => undefined);
    let stopped = false;
    const loop = (async () => {
      // '0' replays this consumer's own unacknowledged events; '>' reads new ones.
      let cursor = '0';
      while (!stopped) {
        try {
          await ensureGroup();
          if (cursor === '>') await this.claimAbandoned(reader, stream, options);
          const reply = (await reader.xreadgroup(
            'GROUP',
            options.group,
            options.consumer,
            'COUNT',
            '100',
            'BLOCK',
            String(this.options.blockMs ?? 1_000),
            'STREAMS',
            stream,
            cursor,
          )) as [string, StreamEntry[]][] | null;
          const entries = reply?.[0]?.[1] ?? [];
          if (cursor === '0' && entries.length === 0) cursor = '>';
          for (const entry of entries) {
            if (stopped) break;
            await this.handle(reader, stream, options, entry);
          }
        } catch (error) {
          if (stopped) break;
          // Redis lost the stream (restarted without persistence): the group is made again.
          if (String(error).includes('NOGROUP')) grouped = false;
          // Redis down or a handler failed: pause, then replay what is still pending.
          this.options.logger.warn(
            { err: error, stream: options.stream, group: options.group },
            'event consumer paused',
          );
          cursor = '0';
          await sleep(this.options.retryDelayMs ?? 1_000);
        }
      }
    })();
    const consumer: Consumer = {
      stop: async () => {
        this.consumers.delete(consumer);
        stopped = true;
        reader.disconnect();
        await loop;
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  private async handle(
    reader: Redis,
    stream: string,
    options: ConsumerOptions,
    [id, fields]: StreamEntry,
  ): Promise<void> {
    const raw = fields[fields.indexOf('event') + 1];
    let event: DomainEvent | null = null;
    try {
      event = raw ? (JSON.parse(raw) as DomainEvent) : null;
    } catch {
      event = null;
    }
    if (event) await options.handler(event);
    else this.options.logger.error({ stream, id }, 'dropping a malformed event');
    await reader.xack(stream, options.group, id);
  }

  private async claimAbandoned(
    reader: Redis,
    stream: string,
    options: ConsumerOptions,
  ): Promise<void> {
    const [, entries] = (await reader.xautoclaim(
      stream,
      options.group,
      options.consumer,
      String(this.options.claimIdleMs ?? 30_000),
      '0',
      'COUNT',
      '100',
    )) as [string, StreamEntry[]];
    for (const entry of entries) if (entry) await this.handle(reader, stream, options, entry);
  }
}

/**
 * Events inside one process, for the single-process dev stack without Redis. Delivery is
 * asynchronous and in order per consumer; a failing handler is logged and the event dropped;
 * nothing survives a restart.
 */
export class InProcessEventBus implements EventBus {
  private readonly consumers = new Map<string, Set<{ group: string; deliver: EventHandler }>>();
  /** What each published event's consumers are still doing, by event id. */
  private readonly inFlight = new Map<string, { group: string; done: Promise<void> }[]>();
  private sequence = 0;

  constructor(private readonly logger: Logger) {}

  async publish(
    stream: string,
    type: string,
    data: Record<string, unknown>,
  ): Promise<PublishedEvent> {
    const event = { ...newEvent(type, data), stream, position: `${Date.now()}-${this.sequence++}` };
    const deliveries = [...(this.consumers.get(stream) ?? [])].map(({ group, deliver }) => ({
      group,
      done: deliver(event),
    }));
    this.inFlight.set(event.id, deliveries);
    void Promise.all(deliveries.map((d) => d.done)).then(() => this.inFlight.delete(event.id));
    return event;
  }

  async consume(options: ConsumerOptions): Promise<Consumer> {
    let chain = Promise.resolve();
    const consumer = {
      group: options.group,
      deliver: (event: DomainEvent): Promise<void> => {
        chain = chain
          .then(() => options.handler(event))
          .catch((error: unknown) =>
            this.logger.error(
              { err: error, stream: options.stream, type: event.type },
              'event handler failed',
            ),
          );
        return chain;
      },
    };
    let consumers = this.consumers.get(options.stream);
    if (!consumers) this.consumers.set(options.stream, (consumers = new Set()));
    const own = consumers;
    own.add(consumer);
    return {
      stop: async () => {
        own.delete(consumer);
        await chain;
      },
    };
  }

  async handledBy(
    event: PublishedEvent,
    groups: readonly string[],
    timeoutMs: number,
  ): Promise<boolean> {
    const pending = (this.inFlight.get(event.id) ?? []).filter((d) => groups.includes(d.group));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([
        Promise.all(pending.map((d) => d.done)).then(() => true),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  isReady(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.consumers.clear();
  }
}
