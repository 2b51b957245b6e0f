import { publishRealtime, realtimeChannel, type Logger, type PubSub } from '@psa/shared';
import type { TaskEventKind, TaskEventModel } from './models/task-event.model';
import type { TaskRecord } from './models/task.model';

/**
 * Tells the gateway's `taskChanged` subscribers that a task changed: stores the change as a task
 * event (the task as it is now) and publishes the event's id on the project's `tasks` channel. The
 * gateway resolves it with `taskEvent(id)` as each subscriber.
 */
export class TaskEventRecorder {
  constructor(
    private readonly events: TaskEventModel,
    private readonly pubsub: PubSub,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Records and publishes a change of `task`, after the write committed. Never throws: realtime
   * delivery is at most once (Redis pub/sub, and no transaction ties the event to the write), so
   * a failure is logged as a warning and the change that led here still succeeds.
   */
  async record(kind: TaskEventKind, task: TaskRecord): Promise<void> {
    const projectId = task.projectId.toHexString();
    const taskId = task._id.toHexString();
    let eventId: string;
    try {
      const event = await this.events.create({ kind, projectId: task.projectId, task });
      eventId = event._id.toHexString();
    } catch (error) {
      this.logger.warn({ err: error, kind, projectId, taskId }, 'task event not recorded');
      return;
    }
    await publishRealtime(
      this.pubsub,
      this.logger,
      realtimeChannel(this.prefix, projectId, 'tasks'),
      { eventId },
      { kind, projectId, taskId, eventId },
    );
  }
}
