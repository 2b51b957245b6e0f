import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * Where a project stands towards "all tasks done", so each completion is announced once: the
 * automation flips `allDone` from false to true atomically, and only the writer that flipped it
 * publishes. Anything that opens a task again sets it back to false.
 */
export interface TaskProgressRecord {
  /** The project's id. */
  _id: Types.ObjectId;
  /** True since the project's last open task became DONE, until a task is created or reopened. */
  allDone: boolean;
  /** How many times the project's tasks have all become DONE (numbers the announcements). */
  completion: number;
}

const taskProgressSchema = new Schema<TaskProgressRecord>(
  {
    allDone: { type: Boolean, required: true, default: false },
    completion: { type: Number, required: true, default: 0 },
  },
  { collection: 'task_progress', versionKey: false },
);
// Looked up by _id only: no further index.

export type TaskProgressModel = Model<TaskProgressRecord>;

/** The TaskProgress model on the service's own connection. */
export const taskProgressModel = (connection: Connection): TaskProgressModel =>
  connection.models.TaskProgress ??
  connection.model<TaskProgressRecord>('TaskProgress', taskProgressSchema);
