import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The minutes one user logged on one day across all projects, as stored (lean): the 24-hour limit
 * is kept by a conditional `$inc` on it, so concurrent entries cannot exceed it together.
 */
export interface DayTotalRecord {
  /** `<userId hex>:<YYYY-MM-DD>`. */
  _id: string;
  minutes: number;
}

const dayTotalSchema = new Schema<DayTotalRecord>(
  {
    _id: { type: String, required: true },
    minutes: { type: Number, required: true, default: 0 },
  },
  { collection: 'day_totals', versionKey: false },
);
// Read and written by _id only.

export type DayTotalModel = Model<DayTotalRecord>;

/** The DayTotal model on the service's own connection. */
export const dayTotalModel = (connection: Connection): DayTotalModel =>
  connection.models.DayTotal ?? connection.model<DayTotalRecord>('DayTotal', dayTotalSchema);
