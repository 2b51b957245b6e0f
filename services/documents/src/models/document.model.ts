import { Schema, type Connection, type Model, type Types } from 'mongoose';

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

// documents(first, after): the stable page order.
documentSchema.index({ createdAt: 1, _id: 1 });
// Project.documents and documents(filter: {projectId}), in page order.
documentSchema.index({ projectId: 1, createdAt: 1, _id: 1 });
// User.documents: what a user owns, in page order.
documentSchema.index({ ownerId: 1, createdAt: 1, _id: 1 });
// What is shared with a user (multikey: one entry per user), in page order.
documentSchema.index({ sharedWithIds: 1, createdAt: 1, _id: 1 });

export type DocumentModel = Model<DocumentRecord>;

/** The Document model on the service's own connection. */
export const documentModel = (connection: Connection): DocumentModel =>
  connection.models.Document ?? connection.model<DocumentRecord>('Document', documentSchema);
