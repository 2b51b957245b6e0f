import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger';
import { createRedisClient, isRedisReady } from './redis-client';

/** Receives the messages of one channel. */
export type MessageHandler = (message: string) => void;

/**
 * Publish/subscribe over named channels. Delivery is at most once and only to subscribers
 * connected when the message is published.
 */
export interface PubSub {
  /** Publishes a message; rejects when the transport is down. */
  publish(channel: string, message: string): Promise<void>;
  /** Subscribes; resolves with a function that unsubscribes this handler. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  /** True while messages can flow. */
  isReady(): boolean;
  close(): Promise<void>;
}

/**
 * Pub/sub over Redis with one publishing and one subscribing connection. Channel subscriptions
 * are shared between handlers and restored by ioredis after a reconnect.
 */
export class RedisPubSub implements PubSub {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  /** Handlers by channel, and the SUBSCRIBE that every handler of the channel waits for. */
  private readonly channels = new Map<
    string,
    { handlers: Set<MessageHandler>; subscribed: Promise<void> }
  >();

  constructor(url: string, logger: Logger, name: string) {
    // Both queue commands while the connection is being made (a publish right after start) and
    // fail them once a reconnection attempt failed too; the subscriber's SUBSCRIBE commands are
    // restored by ioredis after a reconnect.
    this.publisher = createRedisClient(url, logger, `${name}:pub`);
    this.publisher.options.enableOfflineQueue = true;
    this.subscriber = createRedisClient(url, logger, `${name}:sub`);
    this.subscriber.options.enableOfflineQueue = true;
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.channels.get(channel)?.handlers ?? []) handler(message);
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    let entry = this.channels.get(channel);
    if (!entry) {
      const created = {
        handlers: new Set<MessageHandler>(),
        subscribed: this.subscriber.subscribe(channel).then(() => undefined),
      };
      // A failed SUBSCRIBE leaves nothing behind: the next subscriber tries again.
      created.subscribed.catch(() => {
        if (this.channels.get(channel) === created) this.channels.delete(channel);
      });
      this.channels.set(channel, created);
      entry = created;
    }
    const subscribed = entry;
    subscribed.handlers.add(handler);
    try {
      await subscribed.subscribed;
    } catch (error) {
      subscribed.handlers.delete(handler);
      throw error;
    }
    return async () => {
      if (!subscribed.handlers.delete(handler) || subscribed.handlers.size > 0) return;
      if (this.channels.get(channel) !== subscribed) return;
      this.channels.delete(channel);
      if (isRedisReady(this.subscriber)) await this.subscriber.unsubscribe(channel);
    };
  }

  isReady(): boolean {
    return isRedisReady(this.publisher) && isRedisReady(this.subscriber);
  }

  async close(): Promise<void> {
    this.channels.clear();
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}

/**
 * Pub/sub inside one process, for the single-process dev stack without `REDIS_URL`. Messages are
 * delivered asynchronously (as over Redis), in publish order.
 */
export class InProcessPubSub implements PubSub {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(channel: string, message: string): Promise<void> {
    queueMicrotask(() => this.emitter.emit(channel, message));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    this.emitter.on(channel, handler);
    return async () => {
      this.emitter.off(channel, handler);
    };
  }

  isReady(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
