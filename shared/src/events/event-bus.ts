import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
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

/**
 * Durable domain events with at-least-once delivery: an event published while a consumer is
 * down is processed when it comes back, and one whose handler failed is delivered again.
 */
export interface EventBus {
  /** Appends an event to `stream`; resolves once stored. Returns the event. */
  publish(stream: string, type: string, data: Record<string, unknown>): Promise<DomainEvent>;
  consume(options: ConsumerOptions): Promise<Consumer>;
}

const newEvent = (type: string, data: Record<string, unknown>): DomainEvent => ({
  id: randomUUID(),
  type,
  occurredAt: new Date().toISOString(),
  data,
});

export interface RedisEventBusOptions {
  logger: Logger;
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

/**
 * Events in Redis Streams with consumer groups. Each consumer first replays what it took and never
 * acknowledged (it crashed), then takes over events a dead consumer left behind, then reads new
 * ones; an event is acknowledged only after its handler resolved.
 */
export class RedisEventBus implements EventBus {
  /**
   * @param redis commands and publishing (may be shared)
   * @param createReader a dedicated connection per consumer: blocking reads hold their connection
   */
  constructor(
    private readonly redis: Redis,
    private readonly createReader: () => Redis,
    private readonly options: RedisEventBusOptions,
  ) {}

  async publish(stream: string, type: string, data: Record<string, unknown>): Promise<DomainEvent> {
    const event = newEvent(type, data);
    await this.redis.xadd(
      stream,
      'MAXLEN',
      '~',
      String(this.options.maxLength ?? 100_000),
      '*',
      'event',
      JSON.stringify(event),
    );
    return event;
  }

  async consume(options: ConsumerOptions): Promise<Consumer> {
    const reader = this.createReader();
    try {
      await reader.xgroup('CREATE', options.stream, options.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) {
        reader.disconnect();
        throw error;
      }
    }
    let stopped = false;
    const loop = (async () => {
      // '0' replays this consumer's own unacknowledged events; '>' reads new ones.
      let cursor = '0';
      while (!stopped) {
        try {
          if (cursor === '>') await this.claimAbandoned(reader, options);
          const reply = (await reader.xreadgroup(
            'GROUP',
            options.group,
            options.consumer,
            'COUNT',
            '100',
            'BLOCK',
            String(this.options.blockMs ?? 1_000),
            'STREAMS',
            options.stream,
            cursor,
          )) as [string, StreamEntry[]][] | null;
          const entries = reply?.[0]?.[1] ?? [];
          if (cursor === '0' && entries.length === 0) cursor = '>';
          for (const entry of entries) {
            if (stopped) break;
            await this.handle(reader, options, entry);
          }
        } catch (error) {
          if (stopped) break;
          // Redis down or a handler failed: pause, then replay what is still pending.
          this.options.logger.warn(
            { err: error, stream: options.stream, group: options.group },
            'event consumer paused',
          );
          cursor = '0';
          await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 1_000));
        }
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        reader.disconnect();
        await loop;
      },
    };
  }

  private async handle(
    reader: Redis,
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
    else this.options.logger.error({ stream: options.stream, id }, 'dropping a malformed event');
    await reader.xack(options.stream, options.group, id);
  }

  private async claimAbandoned(reader: Redis, options: ConsumerOptions): Promise<void> {
    const [, entries] = (await reader.xautoclaim(
      options.stream,
      options.group,
      options.consumer,
      String(this.options.claimIdleMs ?? 30_000),
      '0',
      'COUNT',
      '100',
    )) as [string, StreamEntry[]];
    for (const entry of entries) if (entry) await this.handle(reader, options, entry);
  }
}

/**
 * Events inside one process, for the single-process dev stack without Redis. Delivery is
 * asynchronous and in order per consumer; a failing handler is logged and the event dropped;
 * nothing survives a restart.
 */
export class InProcessEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  constructor(private readonly logger: Logger) {}

  async publish(stream: string, type: string, data: Record<string, unknown>): Promise<DomainEvent> {
    const event = newEvent(type, data);
    queueMicrotask(() => this.emitter.emit(stream, event));
    return event;
  }

  async consume(options: ConsumerOptions): Promise<Consumer> {
    let chain = Promise.resolve();
    const listener = (event: DomainEvent): void => {
      chain = chain
        .then(() => options.handler(event))
        .catch((error: unknown) =>
          this.logger.error(
            { err: error, stream: options.stream, type: event.type },
            'event handler failed',
          ),
        );
    };
    this.emitter.on(options.stream, listener);
    return {
      stop: async () => {
        this.emitter.off(options.stream, listener);
        await chain;
      },
    };
  }
}
