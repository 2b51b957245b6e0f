import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from '../logging/logger';
import {
  comparePositions,
  DEFAULT_RETRY_POLICY,
  errorText,
  newEvent,
  pause,
  retryDelayMs,
  STREAM_ID,
  type Consumer,
  type ConsumerOptions,
  type DeadLetter,
  type DomainEvent,
  type EventBus,
  type PublishedEvent,
  type RetryPolicy,
} from './event-bus';

export interface RedisEventBusOptions {
  logger: Logger;
  /** Prepended to every stream and channel name (deployments, or test runs, sharing one Redis). Default `psa:events:`. */
  prefix?: string;
  /** Approximate number of events kept per stream. Default 100,000. */
  maxLength?: number;
  /** How long a read waits for new events, ms. Default 1,000. */
  blockMs?: number;
  /** Events another consumer took but has not acknowledged for this long are taken over, ms. Default 30,000. */
  claimIdleMs?: number;
  /** Attempts and pauses for failing handlers. Default {@link DEFAULT_RETRY_POLICY}. */
  retry?: RetryPolicy;
}

type StreamEntry = [id: string, fields: string[]];

/** What a consumer publishes on the bus's channel once it is done with an event. */
interface Settled {
  key: string;
  group: string;
  position: string;
}

/** The value of `name` in a stream entry's flat `[name, value, …]` fields. */
function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function parseEvent(raw: string | undefined): DomainEvent | null {
  if (raw === undefined) return null;
  try {
    const event = JSON.parse(raw) as DomainEvent | null;
    return event && typeof event === 'object' && typeof event.type === 'string' ? event : null;
  } catch {
    return null;
  }
}

// Moves a dead letter to its group's replay stream atomically, so that two replays of one id
// deliver it once.
const REPLAY_SCRIPT = `
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'event', ARGV[2], 'position', ARGV[3])
return 1`;

/**
 * Events in Redis Streams with consumer groups. Each consumer first replays what it took and never
 * acknowledged (it crashed), then takes over events a dead consumer left behind, then reads new
 * ones; an event is acknowledged only after its handler resolved. A failing handler is tried
 * again after a growing pause while the events behind it wait (order per stream is kept), up to
 * `retry.maxAttempts`; then the event is acknowledged and kept in the group's dead-letter stream
 * (`<prefix>dead-letters:<group>`). A replayed dead letter goes to the group's replay stream
 * (`<prefix><stream>:replay:<group>`), which its consumers read beside the stream. Every
 * acknowledgement of a stream's event is announced on the channel `<prefix>handled`, which
 * {@link handledBy} waits on.
 */
export class RedisEventBus implements EventBus {
  private readonly consumers = new Set<Consumer>();
  private readonly retry: RetryPolicy;
  /** The `handledBy` calls waiting, each told of every event a group settled. */
  private readonly waiters = new Set<(settled: Settled) => void>();
  private subscriber: Redis | null = null;
  private subscribed: Promise<void> | null = null;

  /**
   * @param redis commands and publishing; closed by `close()`
   * @param createReader a dedicated connection per consumer (blocking reads hold their connection)
   *   and one for the notifications `handledBy` waits on
   */
  constructor(
    private readonly redis: Redis,
    private readonly createReader: () => Redis,
    private readonly options: RedisEventBusOptions,
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  private get prefix(): string {
    return this.options.prefix ?? 'psa:events:';
  }

  private key(stream: string): string {
    return `${this.prefix}${stream}`;
  }

  private replayKey(stream: string, group: string): string {
    return `${this.prefix}${stream}:replay:${group}`;
  }

  private deadLetterKey(group: string): string {
    return `${this.prefix}dead-letters:${group}`;
  }

  private get channel(): string {
    return `${this.prefix}handled`;
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
    const key = this.key(event.stream);
    // Notifications count from before the first look at the groups, so none falls between.
    const settled = new Set<string>();
    let wake: () => void = () => undefined;
    const waiter = (done: Settled): void => {
      if (done.key !== key || done.position !== event.position) return;
      settled.add(done.group);
      wake();
    };
    this.waiters.add(waiter);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const allSettled = (async () => {
      await this.listen();
      const behind = await this.groupsBehind(key, event.position, groups);
      for (;;) {
        if (behind.every((group) => settled.has(group))) return true;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    })();
    // After a timeout nothing awaits it: a later failure is not an unhandled rejection.
    allSettled.catch(() => undefined);
    try {
      return await Promise.race([allSettled, timedOut]);
    } finally {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    }
  }

  /** Subscribes (once) to the channel consumers announce settled events on. */
  private listen(): Promise<void> {
    if (this.subscribed) return this.subscribed;
    const subscriber = this.createReader();
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let settled: Settled;
      try {
        settled = JSON.parse(message) as Settled;
      } catch {
        return;
      }
      for (const waiter of this.waiters) waiter(settled);
    });
    const subscribed = subscriber.subscribe(this.channel).then(() => undefined);
    this.subscribed = subscribed;
    subscribed.catch(() => {
      // The next handledBy tries again on a new connection.
      if (this.subscribed === subscribed) this.subscribed = null;
      subscriber.disconnect();
    });
    return subscribed;
  }

  /** The groups among `groups` that exist and have not yet settled the event at `position`. */
  private async groupsBehind(
    key: string,
    position: string,
    groups: readonly string[],
  ): Promise<string[]> {
    const infos = (await this.redis.xinfo('GROUPS', key)) as unknown[][];
    const delivered = new Map(
      infos.map((fields) => {
        const get = (name: string) => fields[fields.indexOf(name) + 1];
        return [String(get('name')), String(get('last-delivered-id'))];
      }),
    );
    const behind: string[] = [];
    for (const group of groups) {
      const last = delivered.get(group);
      // A group that does not exist yet has no read model to be behind: it starts from the beginning.
      if (last === undefined) continue;
      if (comparePositions(last, position) < 0) {
        behind.push(group);
        continue;
      }
      const pending = (await this.redis.xpending(key, group, position, position, 1)) as unknown[];
      if (pending.length > 0) behind.push(group);
    }
    return behind;
  }

  isReady(): boolean {
    return this.redis.status === 'ready';
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    this.subscriber?.disconnect();
    this.redis.disconnect();
  }

  async deadLetters(
    group: string,
    page: { after?: string; limit?: number } = {},
  ): Promise<DeadLetter[]> {
    const start = page.after && STREAM_ID.test(page.after) ? `(${page.after}` : '-';
    const entries = (await this.redis.xrange(
      this.deadLetterKey(group),
      start,
      '+',
      'COUNT',
      page.limit ?? 100,
    )) as StreamEntry[];
    const letters: DeadLetter[] = [];
    for (const [id, fields] of entries) {
      const event = parseEvent(fieldOf(fields, 'event'));
      if (!event) continue;
      letters.push({
        id,
        group,
        stream: fieldOf(fields, 'stream') ?? '',
        position: fieldOf(fields, 'position') ?? '',
        event,
        attempts: Number(fieldOf(fields, 'attempts') ?? 0),
        error: fieldOf(fields, 'error') ?? '',
        deadAt: fieldOf(fields, 'deadAt') ?? '',
      });
    }
    return letters;
  }

  async replayDeadLetter(group: string, id: string): Promise<boolean> {
    if (!STREAM_ID.test(id)) return false;
    const [letter] = (await this.redis.xrange(this.deadLetterKey(group), id, id)) as StreamEntry[];
    if (!letter) return false;
    const [, fields] = letter;
    const stream = fieldOf(fields, 'stream');
    const event = fieldOf(fields, 'event');
    if (stream === undefined || event === undefined) return false;
    const replayed = await this.redis.eval(
      REPLAY_SCRIPT,
      2,
      this.deadLetterKey(group),
      this.replayKey(stream, group),
      id,
      event,
      fieldOf(fields, 'position') ?? '',
      String(this.options.maxLength ?? 100_000),
    );
    return replayed === 1;
  }

  async consume(options: ConsumerOptions): Promise<Consumer> {
    const reader = this.createReader();
    const keys = [this.key(options.stream), this.replayKey(options.stream, options.group)];
    let grouped = false;
    // Created at the start of the streams, a new group first processes every event kept.
    const ensureGroups = async (): Promise<void> => {
      if (grouped) return;
      for (const key of keys) {
        try {
          await reader.xgroup('CREATE', key, options.group, '0', 'MKSTREAM');
        } catch (error) {
          if (!String(error).includes('BUSYGROUP')) throw error;
        }
      }
      grouped = true;
    };
    // Made now when Redis is there, so writers waiting for this group find it; else by the loop.
    await ensureGroups().catch(() => undefined);
    const stopping = new AbortController();
    // Failed attempts of the events failing now, by stream key and entry id.
    const attempts = new Map<string, number>();
    // '0' replays this consumer's own unacknowledged events; '>' reads new ones.
    let cursor = '0';
    /** Handles `entries` in order; returns the pause before trying again when one failed. */
    const handleAll = async (key: string, entries: StreamEntry[]): Promise<number | null> => {
      for (const entry of entries) {
        if (stopping.signal.aborted) return null;
        const retryIn = await this.handle(reader, key, options, entry, attempts);
        if (retryIn !== null) return retryIn;
      }
      return null;
    };
    const readOnce = async (): Promise<number | null> => {
      await ensureGroups();
      if (cursor === '>') {
        for (const key of keys) {
          const retryIn = await handleAll(key, await this.claimAbandoned(reader, key, options));
          if (retryIn !== null) return retryIn;
        }
      }
      const reply = (await reader.xreadgroup(
        'GROUP',
        options.group,
        options.consumer,
        'COUNT',
        '100',
        'BLOCK',
        String(this.options.blockMs ?? 1_000),
        'STREAMS',
        ...keys,
        cursor,
        cursor,
      )) as [string, StreamEntry[]][] | null;
      const batches = reply ?? [];
      if (cursor === '0' && batches.every(([, entries]) => entries.length === 0)) cursor = '>';
      for (const [key, entries] of batches) {
        const retryIn = await handleAll(key, entries);
        if (retryIn !== null) return retryIn;
      }
      return null;
    };
    const loop = (async () => {
      while (!stopping.signal.aborted) {
        let retryIn: number | null;
        try {
          retryIn = await readOnce();
        } catch (error) {
          if (stopping.signal.aborted) break;
          // Redis lost the stream (restarted without persistence): the group is made again.
          if (String(error).includes('NOGROUP')) grouped = false;
          this.options.logger.warn(
            { err: error, stream: options.stream, group: options.group },
            'event consumer paused',
          );
          retryIn = this.retry.delayMs;
        }
        if (retryIn === null) continue;
        // Then what is still pending is read again, the failed event first.
        cursor = '0';
        await pause(retryIn, stopping.signal);
      }
    })();
    const consumer: Consumer = {
      stop: async () => {
        this.consumers.delete(consumer);
        stopping.abort();
        reader.disconnect();
        await loop;
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  /**
   * Runs the handler on one entry and acknowledges it, or counts the failure: returns the pause
   * before the next attempt, or null once the entry is settled (handled, malformed, or set aside).
   */
  private async handle(
    reader: Redis,
    key: string,
    options: ConsumerOptions,
    [id, fields]: StreamEntry,
    attempts: Map<string, number>,
  ): Promise<number | null> {
    const { stream, group } = options;
    const event = parseEvent(fieldOf(fields, 'event'));
    if (!event) {
      this.options.logger.error({ stream, id }, 'dropping a malformed event');
      await this.settle(reader, key, options, id);
      return null;
    }
    const attemptKey = `${key} ${id}`;
    try {
      await options.handler(event);
    } catch (error) {
      const attempt = (attempts.get(attemptKey) ?? 0) + 1;
      const context = { err: error, stream, group, eventId: event.id, type: event.type, attempt };
      if (attempt < this.retry.maxAttempts) {
        attempts.set(attemptKey, attempt);
        this.options.logger.warn(context, 'event handler failed; trying again');
        return retryDelayMs(this.retry, attempt);
      }
      attempts.delete(attemptKey);
      const position = fieldOf(fields, 'position') ?? id;
      await this.setAside(reader, key, options, id, { event, position, attempt, error });
      this.options.logger.error(context, 'event handler failed every attempt; event dead-lettered');
      return null;
    }
    attempts.delete(attemptKey);
    await this.settle(reader, key, options, id);
    return null;
  }

  /** Acknowledges entry `id` of `key`. */
  private async settle(
    reader: Redis,
    key: string,
    options: ConsumerOptions,
    id: string,
  ): Promise<void> {
    const transaction = reader.multi().xack(key, options.group, id);
    this.announce(transaction, key, options, id);
    await execOrThrow(transaction.exec());
  }

  /** Adds the announcement that `options.group` settled entry `id`, for `handledBy`, to `transaction`. */
  private announce(
    transaction: ChainableCommander,
    key: string,
    options: ConsumerOptions,
    id: string,
  ): void {
    // Writers wait on events of the stream itself; a replayed one is nobody's write.
    if (key !== this.key(options.stream)) return;
    const settled: Settled = { key, group: options.group, position: id };
    transaction.publish(this.channel, JSON.stringify(settled));
  }

  /** Stores the entry as a dead letter and acknowledges it, in one transaction. */
  private async setAside(
    reader: Redis,
    key: string,
    options: ConsumerOptions,
    id: string,
    failure: { event: DomainEvent; position: string; attempt: number; error: unknown },
  ): Promise<void> {
    const deadAt = new Date().toISOString();
    const error = errorText(failure.error);
    const transaction = reader
      .multi()
      .xadd(
        this.deadLetterKey(options.group),
        '*',
        'stream',
        options.stream,
        'position',
        failure.position,
        'event',
        JSON.stringify(failure.event),
        'attempts',
        String(failure.attempt),
        'error',
        error,
        'deadAt',
        deadAt,
      )
      .xack(key, options.group, id);
    this.announce(transaction, key, options, id);
    const [letterId] = await execOrThrow(transaction.exec());
    options.onDeadLetter?.({
      id: String(letterId),
      group: options.group,
      stream: options.stream,
      position: failure.position,
      event: failure.event,
      attempts: failure.attempt,
      error,
      deadAt,
    });
  }

  private async claimAbandoned(
    reader: Redis,
    key: string,
    options: ConsumerOptions,
  ): Promise<StreamEntry[]> {
    const [, entries] = (await reader.xautoclaim(
      key,
      options.group,
      options.consumer,
      String(this.options.claimIdleMs ?? 30_000),
      '0',
      'COUNT',
      '100',
    )) as [string, (StreamEntry | null)[]];
    return entries.filter((entry): entry is StreamEntry => entry !== null);
  }
}

/** The results of a MULTI, or its first error. */
async function execOrThrow(
  results: Promise<[error: Error | null, result: unknown][] | null>,
): Promise<unknown[]> {
  const replies = await results;
  if (replies === null) throw new Error('event transaction aborted');
  return replies.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}
