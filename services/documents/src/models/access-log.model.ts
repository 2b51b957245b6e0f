import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { Connection as Page, Edge } from '@psa/shared';

export const ACCESS_ACTIONS = ['VIEW', 'UPDATE', 'SHARE', 'DELETE', 'DOWNLOAD'] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

/**
 * One entry of a document's access log (lean). Append-only: entries are inserted and never
 * updated or deleted, not even with their document (the DELETE entry outlives it). `createdAt` is
 * the access time.
 */
export interface AccessLogRecord {
  _id: Types.ObjectId;
  documentId: Types.ObjectId;
  userId: Types.ObjectId;
  action: AccessAction;
  createdAt: Date;
}

const accessLogSchema = new Schema<AccessLogRecord>(
  {
    documentId: { type: Schema.Types.ObjectId, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    action: { type: String, enum: ACCESS_ACTIONS, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, collection: 'access_logs' },
);

// Document.accessLog: one document's entries in the stable page order (createdAt, _id).
accessLogSchema.index({ documentId: 1, createdAt: 1, _id: 1 });

export type AccessLogModel = Model<AccessLogRecord>;

/** The AccessLog model on the service's own connection. */
export const accessLogModel = (connection: Connection): AccessLogModel =>
  connection.models.AccessLog ?? connection.model<AccessLogRecord>('AccessLog', accessLogSchema);

/** Shapes the GraphQL layer resolves from (GraphQL Code Generator mappers). */
export type AccessLogConnectionRecord = Page<AccessLogRecord>;
export type AccessLogEdgeRecord = Edge<AccessLogRecord>;
