import type { Logger } from '../logging/logger';
import { InProcessPubSub, RedisPubSub, type PubSub } from '../redis/pubsub';

/**
 * Realtime notifications: after a write commits, the owning subgraph publishes the id of what
 * changed on a channel per project and kind; the gateway resolves it through the graph for each
 * subscriber. Delivery is at most once (Redis pub/sub): what is published while Redis is away is
 * not delivered.
 */
export type RealtimeKind = 'status' | 'tasks' | 'notifications';

/** The channel of a project's status updates or task changes (`<prefix>project:<id>:<kind>`). */
export const realtimeChannel = (prefix: string, projectId: string, kind: RealtimeKind): string =>
  `${prefix}project:${projectId.toLowerCase()}:${kind}`;

/**
 * The channel of one user's notifications (`<prefix>user:<id>:notifications`): what is published
 * there is for that user alone, so the gateway subscribes a caller to their own channel only.
 */
export const userRealtimeChannel = (prefix: string, userId: string): string =>
  `${prefix}user:${userId.toLowerCase()}:notifications`;

/** On a user's channel: a notification for them; `notification(id)` reads it. */
export interface NotificationReceivedMessage {
  eventId: string;
}

/** On `status` channels: a status update was posted. */
export interface StatusUpdatedMessage {
  statusUpdateId: string;
}

/** On `tasks` channels: a task changed; `taskEvent(id)` in the tasks subgraph tells how. */
export interface TaskChangedMessage {
  eventId: string;
}

/**
 * Publishes `message` on `channel` after the write it announces committed. Never throws: realtime
 * delivery is at most once (Redis pub/sub), so a message lost while Redis is away is logged as a
 * warning (with `context`) and the write that led here still succeeds.
 */
export async function publishRealtime(
  pubsub: PubSub,
  logger: Logger,
  channel: string,
  message: StatusUpdatedMessage | TaskChangedMessage | NotificationReceivedMessage,
  context: Record<string, unknown>,
): Promise<void> {
  try {
    await pubsub.publish(channel, JSON.stringify(message));
  } catch (error) {
    logger.warn({ err: error, channel, ...context }, 'not published to realtime subscribers');
  }
}

export interface PubSubConfig {
  REDIS_URL?: string;
}

/**
 * The pub/sub a process uses for realtime notifications: `given` when there is one (the
 * single-process dev stack shares an in-process one), else Redis when `REDIS_URL` is set, else
 * one of its own in process.
 */
export function createPubSub(
  config: PubSubConfig,
  logger: Logger,
  name: string,
  given?: PubSub,
): PubSub {
  if (given) return given;
  if (!config.REDIS_URL) return new InProcessPubSub();
  return new RedisPubSub(config.REDIS_URL, logger, `${name}-realtime`);
}
