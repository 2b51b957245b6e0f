import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * One user's minutes on one project in one calendar month, summed, as stored (lean): the roll-up
 * of the day rows (`project_days`), kept by `$inc` in the same step as the day row with every
 * entry written, changed or deleted. A report over a date range sums its whole months here and
 * reads day rows only for the parts of its edge months (at most about half a month each), so it
 * reads at most one row per user and month however many entries they hold.
 */
export interface ProjectMonthRecord {
  /** `<projectId hex>:<userId hex>:<YYYY-MM>`. */
  _id: string;
  projectId: Types.ObjectId;
  userId: Types.ObjectId;
  /** `YYYY-MM`. */
  month: string;
  minutes: number;
  billableMinutes: number;
}

const projectMonthSchema = new Schema<ProjectMonthRecord>(
  {
    _id: { type: String, required: true },
    projectId: { type: Schema.Types.ObjectId, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    month: { type: String, required: true },
    minutes: { type: Number, required: true, default: 0 },
    billableMinutes: { type: Number, required: true, default: 0 },
  },
  { collection: 'project_months', versionKey: false },
);

// Project.timeReport: the whole months of a range of one project; the cascade of a deleted project.
projectMonthSchema.index({ projectId: 1, month: 1 });
// User.utilization: the whole months of a range of one user, across projects.
projectMonthSchema.index({ userId: 1, month: 1 });

export type ProjectMonthModel = Model<ProjectMonthRecord>;

/** The ProjectMonth model on the service's own connection. */
export const projectMonthModel = (connection: Connection): ProjectMonthModel =>
  connection.models.ProjectMonth ??
  connection.model<ProjectMonthRecord>('ProjectMonth', projectMonthSchema);
