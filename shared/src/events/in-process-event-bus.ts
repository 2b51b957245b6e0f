import { EventEmitter } from 'node:events';
import type { Logger } from '../logging/logger';
import {
  comparePositions,
  DEFAULT_RETRY_POLICY,
  errorText,
  newEvent,
  pause,
  retryDelayMs,
  type Consumer,
  type ConsumerOptions,
  type DeadLetter,
  type DomainEvent,
  type EventBus,
  type PublishedEvent,
  type RetryPolicy,
} from './event-bus';

export interface InProcessEventBusOptions {
  logger: Logger;
  /** Attempts and pauses for failing handlers. Default {@link DEFAULT_RETRY_POLICY}. */
  retry?: RetryPolicy;
}

/** One consumer: the events it is to handle, in order. */
interface Subscription {
  group: string;
  stream: string;
  enqueue(event: PublishedEvent): void;
  stop(): Promise<void>;
}

/**
 * Events inside one process, for the single-process dev stack without Redis. It behaves as the
 * Redis bus does: each group gets each event once, in order per stream; a failing handler is
 * tried again after the same growing pauses, the events behind it waiting, up to
 * `retry.maxAttempts`, and then the event is kept as a dead letter that can be listed and
 * replayed. Nothing survives a restart, and an event published while a group has no consumer
 * does not reach that group.
 */
export class InProcessEventBus implements EventBus {
  private readonly subscriptions = new Set<Subscription>();
  private readonly deadLettersByGroup = new Map<string, DeadLetter[]>();
  /** The groups still working on each published event, by event id. */
  private readonly outstanding = new Map<string, Set<string>>();
  /** Emits `<event id>` with the group once a group is done with that event. */
  private readonly settled = new EventEmitter();
  private readonly retry: RetryPolicy;
  private sequence = 0;

  constructor(private readonly options: InProcessEventBusOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  private nextPosition(): string {
    return `${Date.now()}-${this.sequence++}`;
  }

  async publish(
    stream: string,
    type: string,
    data: Record<string, unknown>,
  ): Promise<PublishedEvent> {
    const event = { ...newEvent(type, data), stream, position: this.nextPosition() };
    const receivers = new Map<string, Subscription>();
    for (const subscription of this.subscriptions) {
      if (subscription.stream === stream && !receivers.has(subscription.group)) {
        receivers.set(subscription.group, subscription);
      }
    }
    if (receivers.size > 0) this.outstanding.set(event.id, new Set(receivers.keys()));
    for (const subscription of receivers.values()) subscription.enqueue(event);
    return event;
  }

  async consume(options: ConsumerOptions): Promise<Consumer> {
    const queue: PublishedEvent[] = [];
    const stopping = new AbortController();
    let draining: Promise<void> | null = null;
    const drain = async (): Promise<void> => {
      for (let next = queue[0]; next && !stopping.signal.aborted; next = queue[0]) {
        await this.deliver(next, options, stopping.signal);
        queue.shift();
      }
    };
    const kick = (): void => {
      if (draining || stopping.signal.aborted) return;
      draining = drain().finally(() => {
        draining = null;
        if (queue.length > 0) kick();
      });
    };
    const subscription: Subscription = {
      group: options.group,
      stream: options.stream,
      enqueue: (event) => {
        queue.push(event);
        kick();
      },
      stop: async () => {
        this.subscriptions.delete(subscription);
        stopping.abort();
        await draining;
        // What it had not handled is lost, as everything in this bus is on a restart.
        for (const event of queue.splice(0)) this.outstanding.get(event.id)?.delete(options.group);
      },
    };
    this.subscriptions.add(subscription);
    return { stop: () => subscription.stop() };
  }

  /** Runs the handler on `event` until it succeeds, the attempts run out, or the consumer stops. */
  private async deliver(
    event: PublishedEvent,
    options: ConsumerOptions,
    stopping: AbortSignal,
  ): Promise<void> {
    const { stream, group } = options;
    // Handlers get what the Redis bus gives them: the event without its place in the stream.
    const domainEvent: DomainEvent = {
      id: event.id,
      type: event.type,
      occurredAt: event.occurredAt,
      data: event.data,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await options.handler(domainEvent);
        this.settle(event, group);
        return;
      } catch (error) {
        const context = { err: error, stream, group, eventId: event.id, type: event.type, attempt };
        if (attempt >= this.retry.maxAttempts) {
          const letter: DeadLetter = {
            id: this.nextPosition(),
            group,
            stream,
            position: event.position,
            event: domainEvent,
            attempts: attempt,
            error: errorText(error),
            deadAt: new Date().toISOString(),
          };
          const letters = this.deadLettersByGroup.get(group) ?? [];
          letters.push(letter);
          this.deadLettersByGroup.set(group, letters);
          this.settle(event, group);
          this.options.logger.error(
            context,
            'event handler failed every attempt; event dead-lettered',
          );
          options.onDeadLetter?.(letter);
          return;
        }
        this.options.logger.warn(context, 'event handler failed; trying again');
        await pause(retryDelayMs(this.retry, attempt), stopping);
        if (stopping.aborted) return;
      }
    }
  }

  private settle(event: PublishedEvent, group: string): void {
    const groups = this.outstanding.get(event.id);
    groups?.delete(group);
    if (groups?.size === 0) this.outstanding.delete(event.id);
    this.settled.emit(event.id, group);
  }

  async handledBy(
    event: PublishedEvent,
    groups: readonly string[],
    timeoutMs: number,
  ): Promise<boolean> {
    const outstanding = this.outstanding.get(event.id);
    const waiting = new Set(groups.filter((group) => outstanding?.has(group)));
    if (waiting.size === 0) return true;
    return new Promise<boolean>((resolve) => {
      const finish = (handled: boolean): void => {
        clearTimeout(timer);
        this.settled.off(event.id, onSettled);
        resolve(handled);
      };
      const onSettled = (group: string): void => {
        waiting.delete(group);
        if (waiting.size === 0) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.settled.on(event.id, onSettled);
    });
  }

  async deadLetters(
    group: string,
    page: { after?: string; limit?: number } = {},
  ): Promise<DeadLetter[]> {
    const { after } = page;
    return (this.deadLettersByGroup.get(group) ?? [])
      .filter((letter) => after === undefined || comparePositions(letter.id, after) > 0)
      .slice(0, page.limit ?? 100);
  }

  async replayDeadLetter(group: string, id: string): Promise<boolean> {
    const letters = this.deadLettersByGroup.get(group) ?? [];
    const index = letters.findIndex((letter) => letter.id === id);
    const letter = letters[index];
    if (!letter) return false;
    const subscription = [...this.subscriptions].find(
      (candidate) => candidate.group === group && candidate.stream === letter.stream,
    );
    // Unlike Redis, this bus keeps nothing for a consumer that is not there.
    if (!subscription) {
      throw new Error(`no consumer of stream ${letter.stream} in group ${group} to replay to`);
    }
    letters.splice(index, 1);
    subscription.enqueue({ ...letter.event, stream: letter.stream, position: letter.position });
    return true;
  }

  isReady(): boolean {
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
  }
}
