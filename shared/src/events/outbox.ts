import { Schema, trusted, type Connection, type Model, type Types } from 'mongoose';
import type { Logger } from '../logging/logger';
import type { EventBus } from './event-bus';

/**
 * An intent to publish, stored in the service's own database before the write it announces: if
 * the process dies, or Redis is away, between the write and the publish, the sweeper publishes
 * later, so no change goes unannounced.
 */
export interface OutboxRecord {
  _id: Types.ObjectId;
  /** Which relay turns the entry into events. */
  topic: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** An event to publish, and the consumer groups that must have handled it before a write returns. */
export interface OutgoingEvent {
  stream: string;
  type: string;
  data: Record<string, unknown>;
  /** Groups whose read models the writer's caller must find up to date. Default none. */
  awaitGroups?: readonly string[];
}

/**
 * Computes what to publish from the current state (not from what the write meant to do), so
 * publishing an entry twice, or after the write failed, announces the truth and nothing else.
 */
export type OutboxRelay = (data: Record<string, unknown>) => Promise<OutgoingEvent[]>;

const outboxSchema = new Schema<OutboxRecord>(
  {
    topic: { type: String, required: true },
    data: { type: Schema.Types.Mixed, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, collection: 'outbox', minimize: false },
);
// The sweeper takes the oldest entries first.
outboxSchema.index({ createdAt: 1 });

export type OutboxModel = Model<OutboxRecord>;

/** The outbox collection on a service's own connection. */
export const outboxModel = (connection: Connection): OutboxModel =>
  connection.models.Outbox ?? connection.model<OutboxRecord>('Outbox', outboxSchema);

export interface OutboxOptions {
  logger: Logger;
  /** How long a write waits for the awaited groups' read models. Default 2,000 ms. */
  ackTimeoutMs: number;
  /** How often leftover entries are published. Default 2,000 ms. */
  sweepIntervalMs?: number;
  /** Entries younger than this are left to the write that made them. Default 5,000 ms. */
  sweepAfterMs?: number;
  /** Counts what is published, by event type (the service's metrics). */
  published?: { inc(labels: { type: string }): void };
}

/**
 * The transactional-outbox pattern without transactions (a standalone MongoDB has none): record
 * the intent, write, then `deliver` it; a sweeper delivers what a crash or an outage left behind.
 */
export class Outbox {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(
    private readonly model: OutboxModel,
    private readonly bus: EventBus,
    private readonly relays: Record<string, OutboxRelay>,
    private readonly options: OutboxOptions,
  ) {}

  /** Records the intent to announce a change that is about to be written. */
  async record(topic: string, data: Record<string, unknown>): Promise<OutboxRecord> {
    if (!this.relays[topic]) throw new Error(`no outbox relay for ${topic}`);
    const created = await this.model.create({ topic, data });
    return created.toObject<OutboxRecord>();
  }

  /**
   * Publishes what `entry` announces, waits (bounded) for the awaited consumer groups, and removes
   * the entry. Never throws: on failure the entry stays for the sweeper, and the caller's write
   * stands.
   */
  async deliver(entry: OutboxRecord): Promise<void> {
    try {
      const relay = this.relays[entry.topic];
      const events = relay ? await relay(entry.data) : [];
      for (const outgoing of events) {
        const published = await this.bus.publish(outgoing.stream, outgoing.type, outgoing.data);
        this.options.published?.inc({ type: outgoing.type });
        const groups = outgoing.awaitGroups ?? [];
        if (groups.length > 0) {
          const handled = await this.bus.handledBy(published, groups, this.options.ackTimeoutMs);
          if (!handled) {
            this.options.logger.warn(
              { type: outgoing.type, groups },
              'consumers did not handle an event in time; their read models catch up later',
            );
          }
        }
      }
      await this.model.deleteOne({ _id: entry._id }).exec();
    } catch (error) {
      this.options.logger.warn(
        { err: error, topic: entry.topic },
        'event not published yet; the outbox sweeper retries',
      );
    }
  }

  /** Starts delivering leftover entries in the background. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep().finally(() => (this.sweeping = null));
    }, this.options.sweepIntervalMs ?? 2_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
  }

  /** Delivers entries older than `sweepAfterMs`, oldest first. */
  async sweep(): Promise<void> {
    try {
      const before = new Date(Date.now() - (this.options.sweepAfterMs ?? 5_000));
      const leftovers = await this.model
        .find({ createdAt: trusted({ $lt: before }) })
        .sort({ createdAt: 1 })
        .limit(100)
        .lean<OutboxRecord[]>()
        .exec();
      for (const entry of leftovers) await this.deliver(entry);
    } catch (error) {
      this.options.logger.debug({ err: error }, 'outbox sweep failed; retrying later');
    }
  }
}
