import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { Connection as Page, Edge } from '@psa/shared';

/** A webhook as stored: where to POST which events, and the secret that signs them. */
export interface WebhookRecord {
  _id: Types.ObjectId;
  url: string;
  events: string[];
  /** Signs every delivery; answered once, to the admin who created the webhook. */
  secret: string;
  active: boolean;
  createdById: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
}

export type WebhookDeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/** One event for one webhook, with the outcome of its latest attempt. */
export interface WebhookDeliveryRecord {
  _id: Types.ObjectId;
  webhookId: Types.ObjectId;
  /** The domain event it comes from: one delivery per webhook and event, however often it is heard. */
  eventId: string;
  event: string;
  /** The exact JSON sent on every attempt (the signature covers it byte for byte). */
  body: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  responseStatus: number | null;
  /** Why the latest attempt failed without a status (refused address, timeout, connection). */
  lastError: string | null;
  lastAttemptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const webhookSchema = new Schema<WebhookRecord>(
  {
    url: { type: String, required: true },
    events: { type: [String], required: true },
    secret: { type: String, required: true },
    active: { type: Boolean, required: true, default: true },
    createdById: { type: Schema.Types.ObjectId, required: true },
  },
  { collection: 'webhooks', timestamps: true, versionKey: false },
);
// The webhooks an event goes to; the admin's list in its stable order.
webhookSchema.index({ events: 1, active: 1 });
webhookSchema.index({ createdAt: 1, _id: 1 });

const deliverySchema = new Schema<WebhookDeliveryRecord>(
  {
    webhookId: { type: Schema.Types.ObjectId, required: true },
    eventId: { type: String, required: true },
    event: { type: String, required: true },
    body: { type: String, required: true },
    status: { type: String, required: true, default: 'PENDING' },
    attempts: { type: Number, required: true, default: 0 },
    responseStatus: { type: Number, default: null },
    lastError: { type: String, default: null },
    lastAttemptAt: { type: Date, default: null },
  },
  { collection: 'webhook_deliveries', timestamps: true, versionKey: false },
);
deliverySchema.index({ webhookId: 1, eventId: 1 }, { unique: true });
deliverySchema.index({ webhookId: 1, createdAt: 1, _id: 1 });

export type WebhookModel = Model<WebhookRecord>;
export type WebhookDeliveryModel = Model<WebhookDeliveryRecord>;

export const webhookModel = (connection: Connection): WebhookModel =>
  connection.models.Webhook ?? connection.model<WebhookRecord>('Webhook', webhookSchema);

export const webhookDeliveryModel = (connection: Connection): WebhookDeliveryModel =>
  connection.models.WebhookDelivery ??
  connection.model<WebhookDeliveryRecord>('WebhookDelivery', deliverySchema);

export type WebhookConnectionRecord = Page<WebhookRecord>;
export type WebhookEdgeRecord = Edge<WebhookRecord>;
export type WebhookDeliveryConnectionRecord = Page<WebhookDeliveryRecord>;
export type WebhookDeliveryEdgeRecord = Edge<WebhookDeliveryRecord>;
/** A created webhook with the secret answered this once. */
export interface WebhookWithSecretRecord {
  webhook: WebhookRecord;
  secret: string;
}
