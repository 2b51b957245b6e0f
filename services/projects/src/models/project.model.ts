import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { NAME_COLLATION, withCreationKey, type Connection as Page, type Edge } from '@psa/shared';

export const PROJECT_STATUSES = ['PLANNED', 'ACTIVE', 'ON_HOLD', 'COMPLETED', 'CANCELLED'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

/** A project as stored (lean). Users are referenced by id only: they live in the users service. */
export interface ProjectRecord {
  _id: Types.ObjectId;
  name: string;
  description: string | null;
  status: ProjectStatus;
  managerId: Types.ObjectId;
  /** Members other than the manager (adding the manager is a no-op: they are never listed). */
  memberIds: Types.ObjectId[];
  /**
   * Grows with every change to who may see the project (manager, members): other services keep
   * the newest `project.access-changed` snapshot by it.
   */
  accessVersion: number;
  /**
   * Set once the time service announced an approved timesheet of the project: its time is kept as
   * billing records, so the project cannot be deleted (ADR 0011). Never unset.
   */
  approvedTime?: boolean;
  createdAt: Date;
  /** Set when the create carried an Idempotency-Key (the caller's id with it). */
  creationKey?: string;
  updatedAt: Date;
}

const projectSchema = new Schema<ProjectRecord>(
  {
    name: { type: String, required: true },
    description: { type: String, default: null },
    status: { type: String, enum: PROJECT_STATUSES, required: true, default: 'PLANNED' },
    managerId: { type: Schema.Types.ObjectId, required: true },
    memberIds: { type: [Schema.Types.ObjectId], default: [] },
    accessVersion: { type: Number, required: true, default: 1 },
    approvedTime: { type: Boolean, default: false },
  },
  { timestamps: true, collection: 'projects' },
);

// Every list is paged in the stable order (createdAt, _id); each index ends with it so a filter and
// the sort are served together.
// projects(first, after) for an admin, unfiltered.
projectSchema.index({ createdAt: 1, _id: 1 });
// projects(filter: {status}) for an admin (for anyone else the visibility branches below select,
// and status narrows them).
projectSchema.index({ status: 1, createdAt: 1, _id: 1 });
// User.managedProjects, projects(filter: {managerId}), and the "manages it" branch of the
// visibility `$or` (non-admins see what they manage or belong to).
projectSchema.index({ managerId: 1, createdAt: 1, _id: 1 });
// User.projects and the "belongs to it" branch of the visibility `$or` (multikey: one entry per
// member).
projectSchema.index({ memberIds: 1, createdAt: 1, _id: 1 });
// projects(orderBy: NAME) for an admin: names in their case-insensitive order, so the index must
// carry the query's collation (MongoDB uses an index for strings only under its own collation).
// Anyone else's projects are selected by the visibility branches above and sorted in memory.
projectSchema.index({ name: 1, _id: 1 }, { collation: NAME_COLLATION });
// A retried createProject (Idempotency-Key) finds the project its first attempt made.
withCreationKey(projectSchema);
// projects(filter: {search}): the collection's one text index, English stemming and stop words,
// a word in the name weighing ten times one in the description.
projectSchema.index(
  { name: 'text', description: 'text' },
  { name: 'search', weights: { name: 10, description: 1 }, default_language: 'english' },
);

export type ProjectModel = Model<ProjectRecord>;

/** The Project model on the service's own connection. */
export const projectModel = (connection: Connection): ProjectModel =>
  connection.models.Project ?? connection.model<ProjectRecord>('Project', projectSchema);

/** Shapes the GraphQL layer resolves from (GraphQL Code Generator mappers). */
export type ProjectConnectionRecord = Page<ProjectRecord>;
export type ProjectEdgeRecord = Edge<ProjectRecord>;
