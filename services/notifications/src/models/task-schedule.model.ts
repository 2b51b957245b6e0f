import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * A task as this service knows it from `task.changed` events: what its reminders need. `version`
 * (the task's `updatedAt` in ms) keeps the newest state whatever the delivery order.
 */
export interface TaskScheduleRecord {
  /** The task's id. */
  _id: Types.ObjectId;
  projectId: Types.ObjectId;
  title: string;
  status: string;
  assigneeId: Types.ObjectId | null;
  dueDate: Date | null;
  version: number;
  deleted: boolean;
}

const taskScheduleSchema = new Schema<TaskScheduleRecord>(
  {
    projectId: { type: Schema.Types.ObjectId, required: true },
    title: { type: String, required: true },
    status: { type: String, required: true },
    assigneeId: { type: Schema.Types.ObjectId, default: null },
    dueDate: { type: Date, default: null },
    version: { type: Number, required: true },
    deleted: { type: Boolean, required: true, default: false },
  },
  { collection: 'task_schedule', versionKey: false },
);

export type TaskScheduleModel = Model<TaskScheduleRecord>;

export const taskScheduleModel = (connection: Connection): TaskScheduleModel =>
  connection.models.TaskSchedule ??
  connection.model<TaskScheduleRecord>('TaskSchedule', taskScheduleSchema);
