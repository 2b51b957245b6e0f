import { Schema, type Connection, type Model, type Types } from 'mongoose';

/** The budget thresholds that post an automatic status update when crossed. */
export const BUDGET_THRESHOLDS = [80, 100] as const;
export type BudgetThresholdPercent = (typeof BUDGET_THRESHOLDS)[number];

/** Where one threshold stands: armed until crossed; crossings number its announcements. */
export interface ThresholdState {
  armed: boolean;
  crossings: number;
}

/**
 * A project's money and running totals, as stored (lean): its currency (one per project), its
 * budget, and the minutes logged on it, kept by `$inc` with every entry written so the budget is
 * read without summing the entries. `_id` is the project's id.
 */
export interface ProjectLedgerRecord {
  _id: Types.ObjectId;
  /** ISO 4217, set by the first rate or budget amount; null before. */
  currency: string | null;
  budgetMinutes: number | null;
  /** An exact decimal string, in `currency`. */
  budgetAmount: string | null;
  totalMinutes: number;
  billableMinutes: number;
  /** Billable minutes by user (hex id): the spent amount prices each user's at their rate. */
  billableByUser: Record<string, number>;
  /** By threshold ("80", "100"). */
  thresholds: Record<string, ThresholdState>;
  /** Set once a timesheet of the project is approved: its time is kept as billing records. */
  approvedTime: boolean;
}

const projectLedgerSchema = new Schema<ProjectLedgerRecord>(
  {
    currency: { type: String, default: null },
    budgetMinutes: { type: Number, default: null },
    budgetAmount: { type: String, default: null },
    totalMinutes: { type: Number, required: true, default: 0 },
    billableMinutes: { type: Number, required: true, default: 0 },
    billableByUser: { type: Schema.Types.Mixed, default: {} },
    thresholds: { type: Schema.Types.Mixed, default: {} },
    approvedTime: { type: Boolean, required: true, default: false },
  },
  { collection: 'project_ledgers', versionKey: false, minimize: false },
);
// Read and written by _id only.

export type ProjectLedgerModel = Model<ProjectLedgerRecord>;

/** The ProjectLedger model on the service's own connection. */
export const projectLedgerModel = (connection: Connection): ProjectLedgerModel =>
  connection.models.ProjectLedger ??
  connection.model<ProjectLedgerRecord>('ProjectLedger', projectLedgerSchema);
