import type { PubSub } from '../redis/pubsub';
import { eventually } from './test-kit';

/** What a realtime channel carried since it was listened to, each message read back on arrival. */
export interface ChannelListener<R> {
  /** How many messages arrived so far. */
  count(): number;
  /** What the first `count` messages were read back as, once that many arrived (else throws). */
  reads(count: number): Promise<R[]>;
}

/**
 * Subscribes to `channel` and runs `read` on each message (JSON) the moment it arrives, as the
 * gateway would; the subscription ends when `pubsub` closes.
 */
export async function listenTo<M, R>(
  pubsub: PubSub,
  channel: string,
  read: (message: M) => Promise<R>,
): Promise<ChannelListener<R>> {
  const reads: Promise<R>[] = [];
  await pubsub.subscribe(channel, (raw) => {
    reads.push(read(JSON.parse(raw) as M));
  });
  return {
    count: () => reads.length,
    reads: async (count) => {
      await eventually(() => reads.length >= count, 5_000);
      return Promise.all(reads.slice(0, count));
    },
  };
}
