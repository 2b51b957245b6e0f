import { Schema, type Connection, type Model, type Types } from 'mongoose';

/** A running timer as stored (lean): at most one per user (unique `userId`). */
export interface TimerRecord {
  _id: Types.ObjectId;
  userId: Types.ObjectId;
  projectId: Types.ObjectId;
  taskId: Types.ObjectId | null;
  note: string | null;
  billable: boolean;
  startedAt: Date;
}

const timerSchema = new Schema<TimerRecord>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    projectId: { type: Schema.Types.ObjectId, required: true },
    taskId: { type: Schema.Types.ObjectId, default: null },
    note: { type: String, default: null },
    billable: { type: Boolean, required: true },
    startedAt: { type: Date, required: true },
  },
  { collection: 'timers', versionKey: false },
);

// One timer per user: a second start collides here (CONFLICT), however close the two are.
timerSchema.index({ userId: 1 }, { unique: true });
// The sweep of timers running past 24 hours.
timerSchema.index({ startedAt: 1 });
// Discarding the timers of a project's leavers, or of a deleted project.
timerSchema.index({ projectId: 1 });

export type TimerModel = Model<TimerRecord>;

/** The Timer model on the service's own connection. */
export const timerModel = (connection: Connection): TimerModel =>
  connection.models.Timer ?? connection.model<TimerRecord>('Timer', timerSchema);
