import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * Which project a task belongs to, as the time service learns it from the tasks service's
 * `task.changed` events (it never reads the tasks database): time is logged on a task only when
 * the task is of the entry's project and not deleted.
 */
export interface ProjectTaskRecord {
  /** The task's id. */
  _id: Types.ObjectId;
  projectId: Types.ObjectId;
  deleted: boolean;
  /** The event's `version` (the task's `updatedAt` in ms): an older event never overwrites. */
  version: number;
}

const projectTaskSchema = new Schema<ProjectTaskRecord>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    projectId: { type: Schema.Types.ObjectId, required: true },
    deleted: { type: Boolean, required: true, default: false },
    version: { type: Number, required: true },
  },
  { collection: 'project_tasks', versionKey: false },
);

export type ProjectTaskModel = Model<ProjectTaskRecord>;

/** The ProjectTask model on the service's own connection. */
export const projectTaskModel = (connection: Connection): ProjectTaskModel =>
  connection.models.ProjectTask ??
  connection.model<ProjectTaskRecord>('ProjectTask', projectTaskSchema);
