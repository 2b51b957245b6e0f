import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { Connection as Page, Edge } from '@psa/shared';

export const NOTIFICATION_KINDS = [
  'TASK_ASSIGNED',
  'TASK_DUE_SOON',
  'TASK_OVERDUE',
  'STATUS_UPDATE_POSTED',
  'MEMBER_ADDED',
  'DOCUMENT_SHARED',
  'TIMESHEET_SUBMITTED',
  'TIMESHEET_APPROVED',
  'TIMESHEET_REJECTED',
  'BUDGET_THRESHOLD',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** A notification as stored (lean): one per recipient. */
export interface NotificationRecord {
  _id: Types.ObjectId;
  recipientId: Types.ObjectId;
  kind: NotificationKind;
  message: string;
  projectId: Types.ObjectId | null;
  taskId: Types.ObjectId | null;
  documentId: Types.ObjectId | null;
  /** Who caused it; null for reminders. */
  actorId: Types.ObjectId | null;
  read: boolean;
  /**
   * What it is about, for this recipient (`<event id>:<recipient>`, or a reminder's
   * `<kind>:<task>:<due ms>:<recipient>`): unique, so a redelivered event or a reminder run twice
   * (two replicas, a restart) notifies once.
   */
  key: string;
  createdAt: Date;
}

const notificationSchema = (retentionDays: number) => {
  const schema = new Schema<NotificationRecord>(
    {
      recipientId: { type: Schema.Types.ObjectId, required: true },
      kind: { type: String, enum: NOTIFICATION_KINDS, required: true },
      message: { type: String, required: true },
      projectId: { type: Schema.Types.ObjectId, default: null },
      taskId: { type: Schema.Types.ObjectId, default: null },
      documentId: { type: Schema.Types.ObjectId, default: null },
      actorId: { type: Schema.Types.ObjectId, default: null },
      read: { type: Boolean, required: true, default: false },
      key: { type: String, required: true },
    },
    {
      timestamps: { createdAt: true, updatedAt: false },
      collection: 'notifications',
      versionKey: false,
      // Built by notificationIndexes() once the TTL index is brought to the retention.
      autoIndex: false,
    },
  );
  schema.index({ key: 1 }, { unique: true });
  // A user's list, newest first (and their unread ones).
  schema.index({ recipientId: 1, createdAt: -1, _id: -1 });
  schema.index({ recipientId: 1, read: 1 });
  // A document's notifications, removed when it is deleted or a share is taken back.
  schema.index(
    { documentId: 1 },
    { partialFilterExpression: { documentId: { $type: 'objectId' } } },
  );
  // Kept `retentionDays`: the database removes older ones.
  schema.index({ createdAt: 1 }, { expireAfterSeconds: retentionDays * 86_400 });
  return schema;
};

export type NotificationModel = Model<NotificationRecord>;

/** The Notification model on the service's own connection, kept `retentionDays`. */
export const notificationModel = (connection: Connection, retentionDays = 90): NotificationModel =>
  connection.models.Notification ??
  connection.model<NotificationRecord>('Notification', notificationSchema(retentionDays));

/** mongoose's name for the `{ createdAt: 1 }` TTL index. */
const TTL_INDEX = 'createdAt_1';
const NAMESPACE_NOT_FOUND = 26;

/**
 * The notifications' indexes, for the service's `models`: `init()` first changes an existing TTL
 * index to `retentionDays` with collMod (creating it again with another `expireAfterSeconds` is
 * IndexOptionsConflict, and dropping it would leave a moment without expiry), then builds the
 * schema's indexes.
 */
export const notificationIndexes = (
  model: NotificationModel,
  retentionDays: number,
): { init(): Promise<unknown> } => ({
  init: async () => {
    await model.init();
    const seconds = retentionDays * 86_400;
    const indexes = await model.collection
      .listIndexes()
      .toArray()
      .catch((error: unknown) => {
        if ((error as { code?: unknown }).code === NAMESPACE_NOT_FOUND) return [];
        throw error;
      });
    const ttl = indexes.find((index) => index.name === TTL_INDEX);
    if (ttl && ttl.expireAfterSeconds !== seconds) {
      await model.db.db?.command({
        collMod: model.collection.collectionName,
        index: { name: TTL_INDEX, expireAfterSeconds: seconds },
      });
    }
    return model.createIndexes();
  },
});

export type NotificationConnectionRecord = Page<NotificationRecord>;
export type NotificationEdgeRecord = Edge<NotificationRecord>;
