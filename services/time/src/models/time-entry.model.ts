import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { Connection as Page, Edge } from '@psa/shared';

/**
 * Minutes a user worked on a project on one day, as stored (lean). Users, projects and tasks are
 * referenced by id only: they live in their own services. `date` and `weekStart` are calendar days
 * (`YYYY-MM-DD`, so they sort as strings); the entry's status is its timesheet's.
 */
export interface TimeEntryRecord {
  _id: Types.ObjectId;
  userId: Types.ObjectId;
  projectId: Types.ObjectId;
  taskId: Types.ObjectId | null;
  date: string;
  /** The Monday of `date`'s ISO week: the entry's timesheet is (userId, projectId, weekStart). */
  weekStart: string;
  minutes: number;
  billable: boolean;
  note: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const timeEntrySchema = new Schema<TimeEntryRecord>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    projectId: { type: Schema.Types.ObjectId, required: true },
    taskId: { type: Schema.Types.ObjectId, default: null },
    date: { type: String, required: true },
    weekStart: { type: String, required: true },
    minutes: { type: Number, required: true },
    billable: { type: Boolean, required: true },
    note: { type: String, default: null },
  },
  { timestamps: true, collection: 'time_entries' },
);

// Lists are paged in the stable order (createdAt, _id); each list's index ends with it.
// Project.timeEntries, unfiltered or by status; the cascade of a deleted project.
timeEntrySchema.index({ projectId: 1, createdAt: 1, _id: 1 });
// Project.timeEntries(filter: {userId}).
timeEntrySchema.index({ projectId: 1, userId: 1, createdAt: 1, _id: 1 });
// Project.timeReport and Project.timeEntries(filter: {from, to}): a date range of one project.
timeEntrySchema.index({ projectId: 1, date: 1 });
// User.timeEntries; the cascade of a deleted user.
timeEntrySchema.index({ userId: 1, createdAt: 1, _id: 1 });
// User.utilization and User.timeEntries(filter: {from, to}): a date range of one user.
timeEntrySchema.index({ userId: 1, date: 1 });
// Timesheet.entries, totals, submitting (a week of one user on one project).
timeEntrySchema.index({ userId: 1, projectId: 1, weekStart: 1, date: 1 });
// Task.timeSpentMinutes.
timeEntrySchema.index(
  { taskId: 1 },
  { partialFilterExpression: { taskId: { $type: 'objectId' } } },
);

export type TimeEntryModel = Model<TimeEntryRecord>;

/** The TimeEntry model on the service's own connection. */
export const timeEntryModel = (connection: Connection): TimeEntryModel =>
  connection.models.TimeEntry ?? connection.model<TimeEntryRecord>('TimeEntry', timeEntrySchema);

/** Shapes the GraphQL layer resolves from (GraphQL Code Generator mappers). */
export type TimeEntryConnectionRecord = Page<TimeEntryRecord>;
export type TimeEntryEdgeRecord = Edge<TimeEntryRecord>;
