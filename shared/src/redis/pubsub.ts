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
  private readonly handlers = new Map<string, Set<MessageHandler>>();

  constructor(url: string, logger: Logger, name: string) {
    this.publisher = createRedisClient(url, logger, `${name}:pub`);
    // The subscriber queues its SUBSCRIBE commands while offline: they must reach Redis later.
    this.subscriber = createRedisClient(url, logger, `${name}:sub`);
    this.subscriber.options.enableOfflineQueue = true;
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
      await this.subscriber.subscribe(channel);
    }
    handlers.add(handler);
    return async () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(handler) || current.size > 0) return;
      this.handlers.delete(channel);
      if (isRedisReady(this.subscriber)) await this.subscriber.unsubscribe(channel);
    };
  }

  isReady(): boolean {
    return isRedisReady(this.publisher) && isRedisReady(this.subscriber);
  }

  async close(): Promise<void> {
    this.handlers.clear();
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
