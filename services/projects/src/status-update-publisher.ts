import { publishRealtime, realtimeChannel, type Logger, type PubSub } from '@psa/shared';
import type { StatusUpdateRecord } from './models/status-update.model';

/**
 * Tells the gateway's `statusUpdated` subscribers that a status update was posted: its id on the
 * project's `status` channel. Called after the write committed; the gateway reads the update back
 * with `statusUpdate(id)` as each subscriber.
 */
export class StatusUpdatePublisher {
  constructor(
    private readonly pubsub: PubSub,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** Publishes `update`'s id; never throws (see {@link publishRealtime}). */
  publish(update: StatusUpdateRecord): Promise<void> {
    const projectId = update.projectId.toHexString();
    const statusUpdateId = update._id.toHexString();
    return publishRealtime(
      this.pubsub,
      this.logger,
      realtimeChannel(this.prefix, projectId, 'status'),
      { statusUpdateId },
      { projectId, statusUpdateId },
    );
  }
}
