import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { Connection as Page, Edge } from '@psa/shared';

export const TIMESHEET_STATUSES = ['OPEN', 'SUBMITTED', 'APPROVED', 'REJECTED'] as const;
export type TimesheetStatus = (typeof TIMESHEET_STATUSES)[number];

/** Weeks whose entries may be logged, changed or deleted. */
export const EDITABLE_STATUSES: readonly TimesheetStatus[] = ['OPEN', 'REJECTED'];

/** One step of a timesheet's history: who moved it where, when, and why (rejections). */
export interface TimesheetTransition {
  status: TimesheetStatus;
  byId: Types.ObjectId;
  at: Date;
  /** Why (rejections); empty otherwise. */
  reason: string;
}

/**
 * One user's ISO week on one project, as stored (lean). Created OPEN by the first entry of the
 * week; a week without a document is OPEN.
 */
export interface TimesheetRecord {
  _id: Types.ObjectId;
  userId: Types.ObjectId;
  projectId: Types.ObjectId;
  /** The week's Monday, `YYYY-MM-DD`. */
  weekStart: string;
  status: TimesheetStatus;
  /**
   * How many times the week was submitted. A write to the week's entries reads it before and
   * after writing: if it changed (or the week was locked meanwhile), the write is taken back.
   */
  submissions: number;
  submittedAt: Date | null;
  decidedAt: Date | null;
  decidedById: Types.ObjectId | null;
  rejectionReason: string | null;
  /** Every transition, oldest first (the audit trail). */
  transitions: TimesheetTransition[];
  createdAt: Date;
  updatedAt: Date;
}

const transitionSchema = new Schema<TimesheetTransition>(
  {
    status: { type: String, enum: TIMESHEET_STATUSES, required: true },
    byId: { type: Schema.Types.ObjectId, required: true },
    at: { type: Date, required: true },
    reason: { type: String, default: '' },
  },
  { _id: false },
);

const timesheetSchema = new Schema<TimesheetRecord>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    projectId: { type: Schema.Types.ObjectId, required: true },
    weekStart: { type: String, required: true },
    status: { type: String, enum: TIMESHEET_STATUSES, required: true, default: 'OPEN' },
    submissions: { type: Number, required: true, default: 0 },
    submittedAt: { type: Date, default: null },
    decidedAt: { type: Date, default: null },
    decidedById: { type: Schema.Types.ObjectId, default: null },
    rejectionReason: { type: String, default: null },
    transitions: { type: [transitionSchema], default: [] },
  },
  { timestamps: true, collection: 'timesheets' },
);

// One timesheet per user, project and week; also finds an entry's week.
timesheetSchema.index({ userId: 1, projectId: 1, weekStart: 1 }, { unique: true });
// User.timesheets, unfiltered or by project or status.
timesheetSchema.index({ userId: 1, createdAt: 1, _id: 1 });
// timesheetsToApprove (by project for managers, all for admins) and the status filter of
// Project.timeEntries; the cascade of a deleted project.
timesheetSchema.index({ projectId: 1, status: 1, createdAt: 1, _id: 1 });
timesheetSchema.index({ status: 1, createdAt: 1, _id: 1 });

export type TimesheetModel = Model<TimesheetRecord>;

/** The Timesheet model on the service's own connection. */
export const timesheetModel = (connection: Connection): TimesheetModel =>
  connection.models.Timesheet ?? connection.model<TimesheetRecord>('Timesheet', timesheetSchema);

/** Shapes the GraphQL layer resolves from (GraphQL Code Generator mappers). */
export type TimesheetConnectionRecord = Page<TimesheetRecord>;
export type TimesheetEdgeRecord = Edge<TimesheetRecord>;
