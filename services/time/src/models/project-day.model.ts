import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * One user's minutes on one project on one day, summed, as stored (lean): kept by `$inc` with
 * every entry written, changed or deleted. Reports read them for the partial months at the edges
 * of their range (the whole months come from `project_months`).
 */
export interface ProjectDayRecord {
  /** `<projectId hex>:<userId hex>:<YYYY-MM-DD>`. */
  _id: string;
  projectId: Types.ObjectId;
  userId: Types.ObjectId;
  date: string;
  minutes: number;
  billableMinutes: number;
}

const projectDaySchema = new Schema<ProjectDayRecord>(
  {
    _id: { type: String, required: true },
    projectId: { type: Schema.Types.ObjectId, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    date: { type: String, required: true },
    minutes: { type: Number, required: true, default: 0 },
    billableMinutes: { type: Number, required: true, default: 0 },
  },
  { collection: 'project_days', versionKey: false },
);

// Project.timeReport: the edge days of a range of one project; the cascade of a deleted project.
projectDaySchema.index({ projectId: 1, date: 1 });
// User.utilization: the edge days of a range of one user, across projects.
projectDaySchema.index({ userId: 1, date: 1 });

export type ProjectDayModel = Model<ProjectDayRecord>;

/** The ProjectDay model on the service's own connection. */
export const projectDayModel = (connection: Connection): ProjectDayModel =>
  connection.models.ProjectDay ??
  connection.model<ProjectDayRecord>('ProjectDay', projectDaySchema);
