import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { withCreationKey, type Connection as Page, type Edge } from '@psa/shared';
import { PROJECT_STATUSES, type ProjectStatus } from './project.model';

/** A status update as stored (lean). Its `timestamp` is `createdAt`. */
export interface StatusUpdateRecord {
  _id: Types.ObjectId;
  projectId: Types.ObjectId;
  /** The user who posted it (for automatic updates, the user whose action triggered it). */
  authorId: Types.ObjectId;
  message: string;
  /** The status the update set the project to, or null when it left the status alone. */
  status: ProjectStatus | null;
  /** True for updates the system posted. */
  automatic: boolean;
  /** For automatic updates, what they announce (`<projectId>:<completion>`), so each is posted once. */
  automationKey: string | null;
  createdAt: Date;
  /** Set when the create carried an Idempotency-Key (the caller's id with it). */
  creationKey?: string;
  updatedAt: Date;
}

const statusUpdateSchema = new Schema<StatusUpdateRecord>(
  {
    projectId: { type: Schema.Types.ObjectId, required: true },
    authorId: { type: Schema.Types.ObjectId, required: true },
    message: { type: String, required: true },
    status: { type: String, enum: PROJECT_STATUSES, default: null },
    automatic: { type: Boolean, required: true, default: false },
    automationKey: { type: String, default: null },
  },
  { timestamps: true, collection: 'status_updates' },
);

// Project.statusUpdates(first, after): one project's updates in the stable page order (oldest
// first); also serves deleting a project's updates.
statusUpdateSchema.index({ projectId: 1, createdAt: 1, _id: 1 });
// A retried postStatusUpdate (Idempotency-Key) finds the update its first attempt posted.
withCreationKey(statusUpdateSchema);
// One automatic update per announced completion, however often the event is delivered.
statusUpdateSchema.index(
  { automationKey: 1 },
  { unique: true, partialFilterExpression: { automationKey: { $type: 'string' } } },
);

export type StatusUpdateModel = Model<StatusUpdateRecord>;

/** The StatusUpdate model on the service's own connection. */
export const statusUpdateModel = (connection: Connection): StatusUpdateModel =>
  connection.models.StatusUpdate ??
  connection.model<StatusUpdateRecord>('StatusUpdate', statusUpdateSchema);

/** Shapes the GraphQL layer resolves from (GraphQL Code Generator mappers). */
export type StatusUpdateConnectionRecord = Page<StatusUpdateRecord>;
export type StatusUpdateEdgeRecord = Edge<StatusUpdateRecord>;
