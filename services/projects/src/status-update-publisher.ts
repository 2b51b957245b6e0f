import { realtimeChannel, type Logger, type PubSub, type StatusUpdatedMessage } from '@psa/shared';
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

  /**
   * Publishes `update`'s id. Never throws: realtime delivery is at most once (Redis pub/sub), so a
   * message lost while Redis is away is logged as a warning and the write that led here still
   * succeeds.
   */
  async publish(update: StatusUpdateRecord): Promise<void> {
    const projectId = update.projectId.toHexString();
    const statusUpdateId = update._id.toHexString();
    const message: StatusUpdatedMessage = { statusUpdateId };
    try {
      await this.pubsub.publish(
        realtimeChannel(this.prefix, projectId, 'status'),
        JSON.stringify(message),
      );
    } catch (error) {
      this.logger.warn(
        { err: error, projectId, statusUpdateId },
        'status update not published to realtime subscribers',
      );
    }
  }
}
