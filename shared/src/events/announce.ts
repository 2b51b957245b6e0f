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
 * changes, and no read model depends on them.) Throws only when the entry cannot be stored.
 */
export async function announce<T extends Record<string, unknown>>(
  outbox: Outbox,
  kind: AnnouncedKind<T>,
  payload: T,
): Promise<void> {
  const entry = await outbox.record(ANNOUNCE_TOPIC, {
    stream: kind.stream,
    type: kind.type,
    payload: kind.schema.parse(payload) as Record<string, unknown>,
  });
  await outbox.deliver(entry);
}
