import { Schema, type Connection, type Model, type Types } from 'mongoose';

export const PROJECT_STATUSES = ['PLANNED', 'ACTIVE', 'ON_HOLD', 'COMPLETED', 'CANCELLED'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

/** A project as stored (lean). Users are referenced by id only: they live in the users service. */
export interface ProjectRecord {
  _id: Types.ObjectId;
  name: string;
  description: string | null;
  status: ProjectStatus;
  managerId: Types.ObjectId;
  /** Members other than the manager (who is one only when added). */
  memberIds: Types.ObjectId[];
  createdAt: Date;
  updatedAt: Date;
}

const projectSchema = new Schema<ProjectRecord>(
  {
    name: { type: String, required: true },
    description: { type: String, default: null },
    status: { type: String, enum: PROJECT_STATUSES, required: true, default: 'PLANNED' },
    managerId: { type: Schema.Types.ObjectId, required: true },
    memberIds: { type: [Schema.Types.ObjectId], default: [] },
  },
  { timestamps: true, collection: 'projects' },
);

// projects(first, after): the stable page order.
projectSchema.index({ createdAt: 1, _id: 1 });
// User.managedProjects and projects(filter: {managerId}), in page order.
projectSchema.index({ managerId: 1, createdAt: 1, _id: 1 });
// User.projects (multikey: one entry per member), in page order.
projectSchema.index({ memberIds: 1, createdAt: 1, _id: 1 });

export type ProjectModel = Model<ProjectRecord>;

/** The Project model on the service's own connection. */
export const projectModel = (connection: Connection): ProjectModel =>
  connection.models.Project ?? connection.model<ProjectRecord>('Project', projectSchema);
