import { Schema, type Connection, type Model, type Types } from 'mongoose';

/** A project's hourly rate as stored (lean): its default (`userId` null) or one member's. */
export interface BillingRateRecord {
  _id: Types.ObjectId;
  projectId: Types.ObjectId;
  userId: Types.ObjectId | null;
  /** An exact decimal string with the currency's minor unit of decimals, e.g. "120.00". */
  hourlyRate: string;
  /** ISO 4217; always the project's currency. */
  currency: string;
  createdAt: Date;
  updatedAt: Date;
}

const billingRateSchema = new Schema<BillingRateRecord>(
  {
    projectId: { type: Schema.Types.ObjectId, required: true },
    userId: { type: Schema.Types.ObjectId, default: null },
    hourlyRate: { type: String, required: true },
    currency: { type: String, required: true },
  },
  { timestamps: true, collection: 'billing_rates' },
);

// One rate per project and member (null: the default); Project.billingRates, the reports' rates,
// the cascade of a deleted project.
billingRateSchema.index({ projectId: 1, userId: 1 }, { unique: true });

export type BillingRateModel = Model<BillingRateRecord>;

/** The BillingRate model on the service's own connection. */
export const billingRateModel = (connection: Connection): BillingRateModel =>
  connection.models.BillingRate ??
  connection.model<BillingRateRecord>('BillingRate', billingRateSchema);
