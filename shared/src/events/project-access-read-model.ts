import type DataLoader from 'dataloader';
import { Schema, trusted, type Connection, type Model, Types } from 'mongoose';
import { isDuplicateKeyError } from '../errors/format-error';
import { createByIdLoader } from '../mongo/by-id-loader';
import { toObjectId } from '../mongo/object-id';
import type { ProjectAccessSnapshot } from './domain-events';

/**
 * Who may see a project, as a service other than projects knows it: a read model kept from
 * `project.access-changed` events. Deleted projects stay as tombstones so a late event cannot
 * bring them back.
 */
export interface ProjectAccessRecord {
  /** The project's id. */
  _id: Types.ObjectId;
  managerId: Types.ObjectId | null;
  memberIds: Types.ObjectId[];
  version: number;
  deleted: boolean;
}

const projectAccessSchema = new Schema<ProjectAccessRecord>(
  {
    managerId: { type: Schema.Types.ObjectId, default: null },
    memberIds: { type: [Schema.Types.ObjectId], default: [] },
    version: { type: Number, required: true },
    deleted: { type: Boolean, required: true, default: false },
  },
  { collection: 'project_access', versionKey: false },
);
// The projects a user manages or belongs to (lists limited to what the caller may see; deleting
// an account that still manages projects).
projectAccessSchema.index({ managerId: 1 });
projectAccessSchema.index({ memberIds: 1 });

export type ProjectAccessModel = Model<ProjectAccessRecord>;

export const projectAccessModel = (connection: Connection): ProjectAccessModel =>
  connection.models.ProjectAccess ??
  connection.model<ProjectAccessRecord>('ProjectAccess', projectAccessSchema);

/** The read model of project access, in one service's database. */
export class ProjectAccess {
  constructor(private readonly model: ProjectAccessModel) {}

  /**
   * Keeps `snapshot` when it is newer than what is stored (redelivered and out-of-order events
   * change nothing). Returns the record as it now stands.
   */
  async apply(snapshot: ProjectAccessSnapshot): Promise<ProjectAccessRecord> {
    const _id = new Types.ObjectId(snapshot.projectId);
    const fields = {
      managerId: snapshot.managerId ? new Types.ObjectId(snapshot.managerId) : null,
      memberIds: snapshot.memberIds.map((id) => new Types.ObjectId(id)),
      version: snapshot.version,
      deleted: snapshot.deleted,
    };
    try {
      await this.model
        .updateOne(
          { _id, version: trusted({ $lt: snapshot.version }) },
          { $set: fields },
          { upsert: true },
        )
        .exec();
    } catch (error) {
      // A record as new or newer exists: the filter missed it and the upsert collided with it.
      if (!isDuplicateKeyError(error)) throw error;
    }
    const current = await this.model.findById(_id).lean<ProjectAccessRecord>().exec();
    return current ?? { _id, ...fields };
  }

  /** The access record of a project (tombstones included), or null when unknown or the id malformed. */
  async find(projectId: string | Types.ObjectId): Promise<ProjectAccessRecord | null> {
    const id = typeof projectId === 'string' ? toObjectId(projectId) : projectId;
    if (!id) return null;
    return this.model.findById(id).lean<ProjectAccessRecord>().exec();
  }

  /**
   * Access records by project id (hex), batched per request: checking 50 tasks or documents costs
   * one query. Unknown and malformed ids load null.
   */
  createLoader(): DataLoader<string, ProjectAccessRecord | null> {
    return createByIdLoader(this.model);
  }

  /** Ids of the live projects `userId` manages or belongs to. */
  async projectIdsOf(userId: Types.ObjectId): Promise<Types.ObjectId[]> {
    const records = await this.model
      .find({ deleted: false, $or: [{ managerId: userId }, { memberIds: userId }] })
      .select({ _id: 1 })
      .lean<Pick<ProjectAccessRecord, '_id'>[]>()
      .exec();
    return records.map((record) => record._id);
  }

  /**
   * Ids of the people who share a live project with `userId` (its managers and members), `userId`
   * included when they belong to any.
   */
  async peopleSharingProjectsWith(userId: Types.ObjectId): Promise<Types.ObjectId[]> {
    const records = await this.model
      .find({ deleted: false, $or: [{ managerId: userId }, { memberIds: userId }] })
      .select({ managerId: 1, memberIds: 1 })
      .lean<Pick<ProjectAccessRecord, 'managerId' | 'memberIds'>[]>()
      .exec();
    const people = new Map<string, Types.ObjectId>();
    for (const record of records) {
      for (const id of record.managerId
        ? [record.managerId, ...record.memberIds]
        : record.memberIds) {
        people.set(id.toHexString(), id);
      }
    }
    return [...people.values()];
  }

  /** How many live projects `userId` manages. */
  managedCount(userId: Types.ObjectId): Promise<number> {
    return this.model.countDocuments({ deleted: false, managerId: userId }).exec();
  }
}
