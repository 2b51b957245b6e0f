import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { NAME_COLLATION, withCreationKey, type Connection as Page, type Edge } from '@psa/shared';

/** One stored version of an uploaded file (the bytes are in the file store under `key`). */
export interface FileVersionRecord {
  version: number;
  key: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  uploadedById: Types.ObjectId;
  uploadedAt: Date;
}

/** An upload handed out and not completed yet: what completion will check. */
export interface PendingUploadRecord {
  key: string;
  name: string;
  contentType: string;
  size: number;
  /**
   * Declared by the client (lower-case hex); '' when it was not (nested optional fields confuse
   * mongoose's filter types).
   */
  sha256: string;
  /** The title to give the document on completion (a new version's rename); '' for none. */
  title: string;
  uploadedById: Types.ObjectId;
  createdAt: Date;
}

/**
 * A document as stored (lean). Users and projects are referenced by id only: they live in the
 * users and projects services.
 */
export interface DocumentRecord {
  _id: Types.ObjectId;
  title: string;
  /** A linked document's URL; absent for an uploaded one. */
  fileUrl?: string;
  /**
   * True while a first upload is not completed: no list shows it and only its owner reads it.
   * Absent on documents from before uploads existed.
   */
  pending?: boolean;
  /** The uploaded file's versions, oldest first (absent or empty: a linked document). */
  files?: FileVersionRecord[];
  /** The upload in progress, if any. */
  upload?: PendingUploadRecord;
  ownerId: Types.ObjectId;
  projectId: Types.ObjectId | null;
  /** Users besides the owner who may read the document. */
  sharedWithIds: Types.ObjectId[];
  createdAt: Date;
  /** Set when the create carried an Idempotency-Key (the caller's id with it). */
  creationKey?: string;
  updatedAt: Date;
}

const fileVersionSchema = new Schema<FileVersionRecord>(
  {
    version: { type: Number, required: true },
    key: { type: String, required: true },
    name: { type: String, required: true },
    contentType: { type: String, required: true },
    size: { type: Number, required: true },
    sha256: { type: String, required: true },
    uploadedById: { type: Schema.Types.ObjectId, required: true },
    uploadedAt: { type: Date, required: true },
  },
  { _id: false },
);

const pendingUploadSchema = new Schema<PendingUploadRecord>(
  {
    key: { type: String, required: true },
    name: { type: String, required: true },
    contentType: { type: String, required: true },
    size: { type: Number, required: true },
    sha256: { type: String, default: '' },
    title: { type: String, default: '' },
    uploadedById: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
  },
  { _id: false },
);

const documentSchema = new Schema<DocumentRecord>(
  {
    title: { type: String, required: true },
    fileUrl: { type: String },
    pending: { type: Boolean },
    files: { type: [fileVersionSchema], default: undefined },
    upload: { type: pendingUploadSchema },
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
// documents(orderBy: TITLE) for an admin: titles in their case-insensitive order, the index under
// the query's collation (MongoDB uses an index for strings only under its own collation). Anyone
// else's documents are selected by the visibility branches below and sorted in memory.
documentSchema.index({ title: 1, _id: 1 }, { collation: NAME_COLLATION });
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
// The upload routes find the document expecting an upload by its key; the purge finds uploads
// left uncompleted (sparse: most documents have none).
documentSchema.index({ 'upload.key': 1 }, { sparse: true });
documentSchema.index({ 'upload.createdAt': 1 }, { sparse: true });
// documents(filter: {search}): the collection's one text index, over the title (English stemming
// and stop words).
documentSchema.index({ title: 'text' }, { name: 'search', default_language: 'english' });

export type DocumentModel = Model<DocumentRecord>;

/** The Document model on the service's own connection. */
export const documentModel = (connection: Connection): DocumentModel =>
  connection.models.Document ?? connection.model<DocumentRecord>('Document', documentSchema);

/** Shapes the GraphQL layer resolves from (GraphQL Code Generator mappers). */
export type DocumentConnectionRecord = Page<DocumentRecord>;
export type DocumentEdgeRecord = Edge<DocumentRecord>;

/** What createDocumentUpload answers before GraphQL shapes it. */
export interface DocumentUploadRecord {
  document: DocumentRecord;
  uploadUrl: string;
  uploadMethod: string;
  uploadHeaders: { name: string; value: string }[];
  expiresAt: Date;
}
