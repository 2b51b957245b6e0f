import type { z } from 'zod';
import type { Outbox, OutboxRelay } from './outbox';

/**
 * The outbox topic of events whose payload is known when they are recorded (who did what, to
 * whom): the entry holds the event itself, and {@link announceRelay} publishes it as it is.
 */
export const ANNOUNCE_TOPIC = 'announce';

/** The relay of {@link ANNOUNCE_TOPIC}: the recorded event, unchanged. */
export const announceRelay: OutboxRelay = (data) =>
  Promise.resolve([
    {
      stream: String(data.stream),
      type: String(data.type),
      data: data.payload as Record<string, unknown>,
      ...(Array.isArray(data.awaitGroups) ? { awaitGroups: data.awaitGroups.map(String) } : {}),
    },
  ]);

/** An event kind of `domain-events.ts`. */
export interface AnnouncedKind<T> {
  type: string;
  stream: string;
  schema: z.ZodType<T>;
}

/**
 * Publishes `payload` as an event of `kind` through `outbox`, after the write it announces: the
 * entry is stored first, so an event Redis could not take now is published by the sweeper later.
 * (A crash between the write and this call loses the announcement: these events tell people of
 * changes, and the one read model fed by them, the time service's tasks, only refuses time on a
 * task it never heard of.) `awaitGroups` are the consumer groups whose read models the caller
 * must find up to date when the write returns (bounded, as for any outbox event). Throws only when
 * the entry cannot be stored.
 */
export async function announce<T extends Record<string, unknown>>(
  outbox: Outbox,
  kind: AnnouncedKind<T>,
  payload: T,
  awaitGroups: readonly string[] = [],
): Promise<void> {
  const entry = await outbox.record(ANNOUNCE_TOPIC, {
    stream: kind.stream,
    type: kind.type,
    payload: kind.schema.parse(payload) as Record<string, unknown>,
    ...(awaitGroups.length > 0 ? { awaitGroups: [...awaitGroups] } : {}),
  });
  await outbox.deliver(entry);
}
