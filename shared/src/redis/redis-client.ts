import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger';

/**
 * An ioredis client that reconnects forever (backoff capped at 2 s) and fails commands fast while
 * disconnected instead of queueing them, so callers can degrade (and report not-ready) at once.
 */
export function createRedisClient(url: string, logger: Logger, name: string): Redis {
  const client = new Redis(url, {
    connectionName: name,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  let wasReady = false;
  client.on('ready', () => {
    logger.info({ redis: name }, wasReady ? 'redis reconnected' : 'redis connected');
    wasReady = true;
  });
  client.on('error', (error: Error) => logger.debug({ err: error, redis: name }, 'redis error'));
  client.on('end', () => logger.debug({ redis: name }, 'redis connection ended'));
  return client;
}

/** True while a client can run commands. */
export const isRedisReady = (client: Redis): boolean => client.status === 'ready';
