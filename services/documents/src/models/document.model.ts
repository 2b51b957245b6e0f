import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { withCreationKey, type Connection as Page, type Edge } from '@psa/shared';

/**
 * A document as stored (lean). Users and projects are referenced by id only: they live in the
 * users and projects services.
 */
export interface DocumentRecord {
  _id: Types.ObjectId;
  title: string;
  fileUrl: string;
  ownerId: Types.ObjectId;
  projectId: Types.ObjectId | null;
  /** Users besides the owner who may read the document. */
  sharedWithIds: Types.ObjectId[];
  createdAt: Date;
  /** Set when the create carried an Idempotency-Key (the caller's id with it). */
  creationKey?: string;
  updatedAt: Date;
}

const documentSchema = new Schema<DocumentRecord>(
  {
    title: { type: String, required: true },
    fileUrl: { type: String, required: true },
    ownerId: { type: Schema.Types.ObjectId, required: true },
    projectId: { type: Schema.Types.ObjectId, default: null },
    sharedWithIds: { type: [Schema.Types.ObjectId], default: [] },
  },
  { timestamps: true, collection: 'documents' },
);

// Every list is paged in the stable order (createdAt, _id); each index ends with it so a filter and
// the sort are served together.
// documents(first, after) for an admin, unfiltered.
documentSchema.index({ createdAt: 1, _id: 1 });
// A retried createDocument (Idempotency-Key) finds the document its first attempt made.
withCreationKey(documentSchema);
// documents(filter: {projectId}) and Project.documents for whoever may read the project; the
// "on the project" branch of the visibility `$or` (projectId among the caller's projects, from the
// project access read model); deleting a deleted project's documents.
documentSchema.index({ projectId: 1, createdAt: 1, _id: 1 });
// User.documents and the "owns it" branch of the visibility `$or` (non-admins see what they own,
// what is shared with them and their projects' documents).
documentSchema.index({ ownerId: 1, createdAt: 1, _id: 1 });
// The "shared with them" branch of both (multikey: one entry per user).
documentSchema.index({ sharedWithIds: 1, createdAt: 1, _id: 1 });
// filter.search is a case-insensitive substring, which no index serves: it narrows what one of the
// indexes above selects.

export type DocumentModel = Model<DocumentRecord>;

/** The Document model on the service's own connection. */
export const documentModel = (connection: Connection): DocumentModel =>
  connection.models.Document ?? connection.model<DocumentRecord>('Document', documentSchema);

/** Shapes the GraphQL layer resolves from (GraphQL Code Generator mappers). */
export type DocumentConnectionRecord = Page<DocumentRecord>;
export type DocumentEdgeRecord = Edge<DocumentRecord>;
