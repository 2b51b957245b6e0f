import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { TaskRecord } from './task.model';

export const TASK_EVENT_KINDS = ['CREATED', 'UPDATED', 'DELETED'] as const;
export type TaskEventKind = (typeof TASK_EVENT_KINDS)[number];

/**
 * A change to a task as stored (lean), for the gateway's `taskChanged` subscribers: it resolves
 * each event with `taskEvent(id)` right after it happened, so the task is kept as it was then (a
 * deleted task still resolves).
 */
export interface TaskEventRecord {
  _id: Types.ObjectId;
  kind: TaskEventKind;
  projectId: Types.ObjectId;
  /** The task after the change; for DELETED, its last state. */
  task: TaskRecord;
  createdAt: Date;
}

/** How long an event is kept: long enough for the gateway to resolve it. */
export const TASK_EVENT_TTL_SECONDS = 3_600;

const taskEventSchema = new Schema<TaskEventRecord>(
  {
    kind: { type: String, enum: TASK_EVENT_KINDS, required: true },
    projectId: { type: Schema.Types.ObjectId, required: true },
    // Stored as given (ObjectIds and dates keep their BSON types): it is only ever read back whole.
    task: { type: Schema.Types.Mixed, required: true },
  },
  {
    timestamps: { createdAt: true, updatedAt: false },
    collection: 'task_events',
    versionKey: false,
  },
);

// Events are read by id only, by the gateway, moments after they happened; nobody pages through a
// history, so an hour is plenty and the collection stays small without a clean-up job.
taskEventSchema.index({ createdAt: 1 }, { expireAfterSeconds: TASK_EVENT_TTL_SECONDS });

export type TaskEventModel = Model<TaskEventRecord>;

/** The TaskEvent model on the service's own connection. */
export const taskEventModel = (connection: Connection): TaskEventModel =>
  connection.models.TaskEvent ?? connection.model<TaskEventRecord>('TaskEvent', taskEventSchema);
