import { randomUUID } from 'node:crypto';

/** A domain event: something that happened in one service that others react to. */
export interface DomainEvent {
  /** Unique id; consumers use it to stay idempotent under redelivery. */
  id: string;
  type: string;
  /** ISO-8601 time the event was published. */
  occurredAt: string;
  data: Record<string, unknown>;
}

/**
 * Handles one event. Throwing leaves it unhandled: it is delivered again after a pause, up to
 * the bus's {@link RetryPolicy.maxAttempts}, and then set aside as a {@link DeadLetter}.
 */
export type EventHandler = (event: DomainEvent) => Promise<void>;

/** An event a consumer group gave up on: its handler failed every attempt. */
export interface DeadLetter {
  /** Its id among the group's dead letters: what {@link DeadLetterAdmin.replayDeadLetter} takes. */
  id: string;
  /** The group whose handler failed. */
  group: string;
  /** The stream the event was published to. */
  stream: string;
  /** Where the event was in its stream. */
  position: string;
  event: DomainEvent;
  /** Attempts made, the last one included. */
  attempts: number;
  /** The last attempt's error message. */
  error: string;
  /** ISO-8601 time it was set aside. */
  deadAt: string;
}

export interface ConsumerOptions {
  stream: string;
  /** Consumer group: one per consuming service; each event reaches each group once. */
  group: string;
  /** This process's name within the group (e.g. the pod name). */
  consumer: string;
  handler: EventHandler;
  /** Called once an event is set aside as a dead letter (e.g. to count it); must not throw. */
  onDeadLetter?: (letter: DeadLetter) => void;
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
 * How often, and how patiently, a failing handler is tried. The pause before attempt n + 1 is
 * `delayMs * 2^(n-1)`, at most `maxDelayMs`; the events behind a failing one wait meanwhile, so
 * their order per stream is kept.
 */
export interface RetryPolicy {
  /** Attempts before an event is set aside as a dead letter (1: no retry). */
  maxAttempts: number;
  /** Pause after the first failure, ms; also the pause after losing Redis. */
  delayMs: number;
  /** Longest pause between two attempts, ms. */
  maxDelayMs: number;
}

/**
 * Ten attempts over about four minutes (1 s, 2 s, 4 s … then every 60 s): long enough to ride out
 * a database restart, short enough that a poison event does not hold its stream for long.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 10,
  delayMs: 1_000,
  maxDelayMs: 60_000,
};

/** The pause after the `attempt`-th failed attempt (from 1). */
export const retryDelayMs = (policy: RetryPolicy, attempt: number): number =>
  Math.min(policy.maxDelayMs, policy.delayMs * 2 ** Math.max(0, attempt - 1));

/** Lists and replays the events consumer groups gave up on. */
export interface DeadLetterAdmin {
  /**
   * `group`'s dead letters, oldest first: at most `limit` (default 100) of them, after the one
   * with id `after` when given.
   */
  deadLetters(group: string, page?: { after?: string; limit?: number }): Promise<DeadLetter[]>;
  /**
   * Delivers dead letter `id` of `group` again, to that group only (once, and with a fresh
   * series of attempts), and removes it from the dead letters. Resolves false when `group` has
   * no dead letter `id`.
   */
  replayDeadLetter(group: string, id: string): Promise<boolean>;
}

/**
 * Durable domain events with at-least-once delivery: an event published while a consumer is
 * down is processed when it comes back, and one whose handler failed is delivered again, up to a
 * limit; then it is kept as a dead letter until an operator replays it.
 */
export interface EventBus extends DeadLetterAdmin {
  /** Appends an event to `stream`; resolves once stored. Returns the event. */
  publish(stream: string, type: string, data: Record<string, unknown>): Promise<PublishedEvent>;
  consume(options: ConsumerOptions): Promise<Consumer>;
  /**
   * Resolves true once every group in `groups` that exists is done with `event` (its handler
   * resolved, or the group set it aside as a dead letter), false when `timeoutMs` passed first.
   * Writers use it to read their own writes through another service's read model. Waits on the
   * consumers' notifications, not by polling.
   */
  handledBy(event: PublishedEvent, groups: readonly string[], timeoutMs: number): Promise<boolean>;
  /** True while events can be published and consumed. */
  isReady(): boolean;
  /** Stops the consumers this bus started and closes its connections. */
  close(): Promise<void>;
}

export const newEvent = (type: string, data: Record<string, unknown>): DomainEvent => ({
  id: randomUUID(),
  type,
  occurredAt: new Date().toISOString(),
  data,
});

/** The form of positions and dead-letter ids: `<ms>-<seq>`, as Redis stream entry ids. */
export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/** Compares positions (`<ms>-<seq>`) numerically. */
export function comparePositions(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map(BigInt);
  const [bMs = 0n, bSeq = 0n] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

/** What a dead letter keeps of the error: its message, bounded (a stack is in the log). */
export const errorText = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).slice(0, 1_000);

/** Resolves after `ms`, or at once when `signal` aborts. */
export const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
