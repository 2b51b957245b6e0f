import {
  announce,
  memberAdded,
  memberRemoved,
  projectCreated,
  projectUpdated,
  statusUpdatePosted,
  type ProjectUpdated,
  BadUserInputError,
  callerObjectId,
  createOnce,
  creationKey,
  NotFoundError,
  oneOf,
  optionalText,
  assertUnorderedSearch,
  paginate,
  paginateByName,
  paginateSearch,
  requiredId,
  requiredText,
  toObjectId,
  type Connection,
  type ConnectionArgs,
  type Identity,
  allOf,
  emptyConnection,
  textSearch,
  updatedOrNotFound,
  GROUPS,
  isOnProject,
  isDuplicateKeyError,
  projectAccessChanged,
  type AllTasksDone,
  type BudgetThreshold,
  ConflictError,
  type Outbox,
  type OutgoingEvent,
  type ProjectAccessSnapshot,
} from '@psa/shared';
import { trusted, Types, type QueryFilter } from 'mongoose';
import {
  PROJECT_STATUSES,
  type ProjectModel,
  type ProjectRecord,
  type ProjectStatus,
} from './models/project.model';
import type { StatusUpdateModel, StatusUpdateRecord } from './models/status-update.model';
import {
  assertMayChangeManager,
  involving,
  listableProjects,
  manageableProject,
} from './projects.policy';
import type { StatusUpdatePublisher } from './status-update-publisher';

const NAME_MAX = 200;
const DESCRIPTION_MAX = 10_000;
const MESSAGE_MAX = 5_000;

export interface CreateProjectInput {
  name: string;
  description?: string | null;
  status?: ProjectStatus | null;
}

/** Absent fields are left alone; `description: null` clears it. */
export interface UpdateProjectInput {
  id: string;
  name?: string | null;
  description?: string | null;
  status?: ProjectStatus | null;
  managerId?: string | null;
}

/** The orders of projects(orderBy). */
export type ProjectOrder = 'CREATED_AT' | 'NAME';

export interface ProjectFilter {
  status?: ProjectStatus | null;
  managerId?: string | null;
  search?: string | null;
}

export interface PostStatusUpdateInput {
  projectId: string;
  message: string;
  status?: ProjectStatus | null;
}

/** The outbox topic of access changes: the relay announces the project's current access. */
export const ACCESS_TOPIC = 'project.access';

/** The services whose read models a caller must find current once an access change returns. */
const ACCESS_READERS = [GROUPS.users, GROUPS.tasks, GROUPS.documents, GROUPS.time];

/** A deleted project's final snapshot: no later version can exist, so nothing brings it back. */
const DELETED_VERSION = Number.MAX_SAFE_INTEGER;

/**
 * The projects service's rules, apart from GraphQL. Every input is validated before anything is
 * written. Methods that take a project id enforce who may do what through the service's policy
 * (`projects.policy.ts`).
 */
export class ProjectsDomain {
  constructor(
    private readonly projects: ProjectModel,
    private readonly statusUpdates: StatusUpdateModel,
    private readonly outbox: Outbox,
    private readonly realtime: StatusUpdatePublisher,
  ) {}

  /**
   * Creates a project managed by `caller`, with no members yet; returns once the other services
   * know it (bounded wait), so a task can be created in it at once. Throws BAD_USER_INPUT naming
   * the field.
   */
  async createProject(
    caller: Identity,
    input: CreateProjectInput,
    idempotencyKey: string | null = null,
  ): Promise<ProjectRecord> {
    const name = requiredText(input.name, 'input.name', NAME_MAX);
    const description = optionalText(input.description, 'input.description', DESCRIPTION_MAX);
    const status = oneOf(input.status ?? 'PLANNED', PROJECT_STATUSES, 'input.status');
    const managerId = callerObjectId(caller);
    const _id = new Types.ObjectId();
    const key = creationKey(caller, idempotencyKey);
    const { record, created } = await createOnce(this.projects, key, () =>
      this.changingAccess(_id, async () => {
        const created = await this.projects.create({
          _id,
          name,
          description,
          status,
          managerId,
          memberIds: [],
          accessVersion: 1,
          creationKey: key,
        });
        return created.toObject<ProjectRecord>();
      }),
    );
    // A retry of a create that happened: announced the first time.
    if (created) await this.announceProject(projectCreated, record, managerId);
    return record;
  }

  /** Tells other services of project `project` as it now is (`project.created` or `.updated`). */
  private announceProject(
    kind: typeof projectCreated | typeof projectUpdated,
    project: ProjectRecord,
    actorId: Types.ObjectId,
    changed: ProjectUpdated['changed'] = [],
  ): Promise<void> {
    const facts = {
      projectId: project._id.toHexString(),
      name: project.name,
      status: project.status,
      managerId: project.managerId.toHexString(),
      actorId: actorId.toHexString(),
    };
    return kind === projectCreated
      ? announce(this.outbox, projectCreated, facts)
      : announce(this.outbox, projectUpdated, { ...facts, changed });
  }

  /**
   * What other services must know of a project now (the `project.access` outbox relay). A project
   * that is gone is announced deleted, and its leftover status updates are removed.
   */
  async announceAccess(data: Record<string, unknown>): Promise<OutgoingEvent[]> {
    const projectId = new Types.ObjectId(String(data.projectId));
    const project = await this.projects.findById(projectId).lean<ProjectRecord>().exec();
    let snapshot: ProjectAccessSnapshot;
    if (project) {
      snapshot = {
        projectId: projectId.toHexString(),
        managerId: project.managerId.toHexString(),
        memberIds: project.memberIds.map((id) => id.toHexString()),
        version: project.accessVersion ?? 1,
        deleted: false,
      };
    } else {
      await this.statusUpdates.deleteMany({ projectId }).exec();
      snapshot = {
        projectId: projectId.toHexString(),
        managerId: null,
        memberIds: [],
        version: DELETED_VERSION,
        deleted: true,
      };
    }
    return [
      {
        stream: projectAccessChanged.stream,
        type: projectAccessChanged.type,
        data: snapshot,
        awaitGroups: ACCESS_READERS,
      },
    ];
  }

  /**
   * Announces the projects made before access was announced (data from an older version), once.
   */
  async announceUnversioned(): Promise<void> {
    const legacy = await this.projects
      .find({ accessVersion: trusted({ $exists: false }) })
      .select({ _id: 1 })
      .lean<Pick<ProjectRecord, '_id'>[]>()
      .exec();
    for (const { _id } of legacy) {
      await this.changingAccess(_id, () =>
        this.projects.updateOne({ _id }, { $set: { accessVersion: 1 } }).exec(),
      );
    }
  }

  /**
   * Posts the automatic "All N tasks are done" update for a completion the tasks service
   * announced; a completion already posted, or of a project that is gone, changes nothing.
   */
  async postCompletion(event: AllTasksDone): Promise<void> {
    const tasks = event.total === 1 ? 'task is' : 'tasks are';
    await this.postAutomatic(
      event.projectId,
      event.actorId,
      `All ${event.total} ${tasks} done`,
      `${event.projectId}:${event.completion}`,
    );
  }

  /**
   * Posts an automatic status update once per `automationKey` (a redelivered announcement finds
   * it posted) and publishes it; nothing for a project that is gone.
   */
  private async postAutomatic(
    rawProjectId: string,
    rawActorId: string,
    message: string,
    automationKey: string,
  ): Promise<void> {
    const projectId = new Types.ObjectId(rawProjectId);
    const project = await this.projects.findById(projectId).lean<ProjectRecord>().exec();
    if (!project) return;
    let created: StatusUpdateRecord;
    try {
      const document = await this.statusUpdates.create({
        projectId,
        authorId: new Types.ObjectId(rawActorId),
        message,
        status: null,
        automatic: true,
        automationKey,
      });
      created = document.toObject<StatusUpdateRecord>();
    } catch (error) {
      // A redelivered announcement: it was posted (and published) the first time.
      if (isDuplicateKeyError(error)) return;
      throw error;
    }
    await this.realtime.publish(created);
    await this.announcePosted(project, created);
  }

  /** Tells other services (`status-update.posted`) that `update` was posted on `project`. */
  private announcePosted(project: ProjectRecord, update: StatusUpdateRecord): Promise<void> {
    return announce(this.outbox, statusUpdatePosted, {
      statusUpdateId: update._id.toHexString(),
      projectId: project._id.toHexString(),
      projectName: project.name,
      message: update.message,
      automatic: update.automatic,
      actorId: update.authorId.toHexString(),
    });
  }

  /**
   * Posts the automatic "80% of the budget is used" update (or 100%) for a crossing the time
   * service announced; a crossing already posted, or of a project that is gone, changes nothing.
   */
  async postBudgetThreshold(event: BudgetThreshold): Promise<void> {
    await this.postAutomatic(
      event.projectId,
      event.actorId,
      `${event.threshold}% of the budget is used`,
      `${event.projectId}:budget-${event.threshold}:${event.crossing}`,
    );
  }

  /**
   * Records that the project holds approved time (the time service announced it): from now on
   * it cannot be deleted. A project that is gone changes nothing.
   */
  async markApprovedTime(rawProjectId: string): Promise<void> {
    await this.projects
      .updateOne({ _id: new Types.ObjectId(rawProjectId) }, { $set: { approvedTime: true } })
      .exec();
  }

  /** Takes a deleted user out of every project they were a member of. */
  async removeDeletedUser(rawUserId: string): Promise<void> {
    const userId = new Types.ObjectId(rawUserId);
    const projects = await this.projects
      .find({ memberIds: userId })
      .select({ _id: 1 })
      .lean<Pick<ProjectRecord, '_id'>[]>()
      .exec();
    for (const { _id } of projects) {
      // Only the write that took them out announces it: a redelivered deletion finds them gone.
      const removed = await this.changingAccess(_id, () =>
        this.projects
          .findOneAndUpdate(
            { _id, memberIds: userId },
            { $pull: { memberIds: userId }, $inc: { accessVersion: 1 } },
            { returnDocument: 'after' },
          )
          .lean<ProjectRecord>()
          .exec(),
      );
      if (removed) {
        await announce(this.outbox, memberRemoved, {
          projectId: _id.toHexString(),
          projectName: removed.name,
          userId: userId.toHexString(),
          actorId: null,
        });
      }
    }
  }

  /**
   * The projects `caller` may see matching `filter`, in the stable order or by name (`orderBy`).
   * Throws BAD_USER_INPUT for a malformed `filter.managerId`, a `filter.search` over 100
   * characters or with an `orderBy`, or bad paging.
   */
  listProjects(
    caller: Identity,
    filter: ProjectFilter | null | undefined,
    args: ConnectionArgs,
    orderBy?: ProjectOrder | null,
  ): Promise<Connection<ProjectRecord>> {
    const conditions: QueryFilter<ProjectRecord>[] = [listableProjects(caller)];
    if (filter?.status !== null && filter?.status !== undefined) {
      conditions.push({ status: oneOf(filter.status, PROJECT_STATUSES, 'filter.status') });
    }
    if (filter?.managerId !== null && filter?.managerId !== undefined) {
      conditions.push({ managerId: requiredId(filter.managerId, 'filter.managerId') });
    }
    const search = textSearch(filter?.search);
    assertUnorderedSearch(search, orderBy);
    if (search) return paginateSearch(this.projects, allOf(conditions), search, args);
    if (orderBy === 'NAME') return paginateByName(this.projects, allOf(conditions), 'name', args);
    return paginate(this.projects, allOf(conditions), args);
  }

  /**
   * Projects `userId` manages (`managedOnly`) or manages or belongs to, limited to those `caller`
   * may see. An id that names no user has none.
   */
  userProjects(
    caller: Identity,
    userId: string,
    managedOnly: boolean,
    args: ConnectionArgs,
  ): Promise<Connection<ProjectRecord>> {
    const user = toObjectId(userId);
    if (!user) return Promise.resolve(emptyConnection(args));
    const own: QueryFilter<ProjectRecord> = managedOnly ? { managerId: user } : involving(user);
    return paginate(this.projects, allOf([own, listableProjects(caller)]), args);
  }

  /**
   * Changes a project's name, description or status (manager or admin), or hands it to another
   * manager (admin only).
   */
  async updateProject(caller: Identity, input: UpdateProjectInput): Promise<ProjectRecord> {
    const id = requiredId(input.id, 'input.id');
    let managerId: Types.ObjectId | null = null;
    if (input.managerId !== undefined) {
      if (input.managerId === null) {
        throw new BadUserInputError('managerId cannot be null', 'input.managerId');
      }
      managerId = requiredId(input.managerId, 'input.managerId');
    }
    const changes: Partial<Pick<ProjectRecord, 'name' | 'description' | 'status'>> = {};
    if (input.name !== undefined) {
      if (input.name === null) throw new BadUserInputError('name cannot be null', 'input.name');
      changes.name = requiredText(input.name, 'input.name', NAME_MAX);
    }
    if (input.description !== undefined) {
      changes.description = optionalText(input.description, 'input.description', DESCRIPTION_MAX);
    }
    if (input.status !== undefined) {
      if (input.status === null) {
        throw new BadUserInputError('status cannot be null', 'input.status');
      }
      changes.status = oneOf(input.status, PROJECT_STATUSES, 'input.status');
    }
    const project = await this.manageableProject(caller, id);
    const changed: ProjectUpdated['changed'] = (
      Object.keys(changes) as (keyof typeof changes)[]
    ).filter((field) => (changes[field] ?? null) !== (project[field] ?? null));
    let updated: ProjectRecord;
    if (managerId && !project.managerId.equals(managerId)) {
      assertMayChangeManager(caller);
      const newManager = managerId;
      updated = await this.changingAccess(id, () =>
        this.updated(id, {
          $set: { ...changes, managerId: newManager },
          $pull: { memberIds: newManager },
          $inc: { accessVersion: 1 },
        }),
      );
      changed.push('managerId');
    } else {
      if (Object.keys(changes).length === 0) return project;
      updated = await this.updated(id, { $set: changes });
    }
    if (changed.length > 0) {
      await this.announceProject(projectUpdated, updated, callerObjectId(caller), changed);
    }
    return updated;
  }

  /**
   * Deletes a project (manager or admin) and its status updates; its tasks, documents and time
   * follow through the `deleted` snapshot, which those services have handled when this returns
   * (bounded wait). A project with approved time is CONFLICT: its billing records are kept.
   */
  async deleteProject(caller: Identity, rawId: string): Promise<boolean> {
    const id = requiredId(rawId, 'id');
    const project = await this.manageableProject(caller, id);
    const refuse = () =>
      new ConflictError('The project has approved time: its billing records are kept');
    if (project.approvedTime) throw refuse();
    // The project goes first: should this stop halfway, the updates left behind are unreadable
    // (a status update is visible only through its project), and the relay removes them. The
    // condition on approvedTime holds to the write: an approval announced meanwhile stops it.
    await this.changingAccess(id, async () => {
      const { deletedCount } = await this.projects
        .deleteOne({ _id: id, approvedTime: trusted({ $ne: true }) })
        .exec();
      if (deletedCount === 0) {
        if (await this.projects.exists({ _id: id }).exec()) throw refuse();
        throw new NotFoundError('Project not found');
      }
    });
    return true;
  }

  /** Adds a member (manager or admin). Adding an existing member or the manager changes nothing. */
  async addMember(
    caller: Identity,
    input: { projectId: string; userId: string },
  ): Promise<ProjectRecord> {
    const id = requiredId(input.projectId, 'input.projectId');
    const userId = requiredId(input.userId, 'input.userId');
    const project = await this.manageableProject(caller, id);
    if (isOnProject(project, userId)) return project;
    const updated = await this.changingAccess(id, () =>
      this.updated(id, { $addToSet: { memberIds: userId }, $inc: { accessVersion: 1 } }),
    );
    await announce(this.outbox, memberAdded, {
      projectId: id.toHexString(),
      projectName: updated.name,
      userId: userId.toHexString(),
      actorId: callerObjectId(caller).toHexString(),
    });
    return updated;
  }

  /** Removes a member (manager or admin). Removing a non-member changes nothing. */
  async removeMember(
    caller: Identity,
    input: { projectId: string; userId: string },
  ): Promise<ProjectRecord> {
    const id = requiredId(input.projectId, 'input.projectId');
    const userId = requiredId(input.userId, 'input.userId');
    const project = await this.manageableProject(caller, id);
    if (!project.memberIds.some((m) => m.equals(userId))) return project;
    const updated = await this.changingAccess(id, () =>
      this.updated(id, { $pull: { memberIds: userId }, $inc: { accessVersion: 1 } }),
    );
    await announce(this.outbox, memberRemoved, {
      projectId: id.toHexString(),
      projectName: updated.name,
      userId: userId.toHexString(),
      actorId: callerObjectId(caller).toHexString(),
    });
    return updated;
  }

  /**
   * Posts a status update as `caller` (manager or admin); with a `status`, sets the project's
   * status first, so an update that says it changed the status never exists without the change.
   */
  async postStatusUpdate(
    caller: Identity,
    input: PostStatusUpdateInput,
    idempotencyKey: string | null = null,
  ): Promise<StatusUpdateRecord> {
    const projectId = requiredId(input.projectId, 'input.projectId');
    const message = requiredText(input.message, 'input.message', MESSAGE_MAX);
    const status =
      input.status === null || input.status === undefined
        ? null
        : oneOf(input.status, PROJECT_STATUSES, 'input.status');
    const authorId = callerObjectId(caller);
    const project = await this.manageableProject(caller, projectId);
    // No transactions (a standalone MongoDB has none): record the update first, then change the
    // project, and take the update back if that fails, so neither is left without the other.
    const key = creationKey(caller, idempotencyKey);
    const { record: update, created } = await createOnce(this.statusUpdates, key, async () => {
      const document = await this.statusUpdates.create({
        projectId,
        authorId,
        message,
        status,
        automatic: false,
        creationKey: key,
      });
      return document.toObject<StatusUpdateRecord>();
    });
    // A retry of an update that was posted: as it is, published already.
    if (!created) return update;
    let changedStatus: ProjectRecord | null = null;
    if (status) {
      try {
        const updated = await this.updated(projectId, { $set: { status } });
        if (status !== project.status) changedStatus = updated;
      } catch (error) {
        await this.statusUpdates.deleteOne({ _id: update._id }).exec();
        throw error;
      }
    }
    // Only now is the update there for good (and the project's status with it).
    await this.realtime.publish(update);
    await this.announcePosted(project, update);
    if (changedStatus) {
      await this.announceProject(projectUpdated, changedStatus, authorId, ['status']);
    }
    return update;
  }

  /** A page of a project's status updates, oldest first (createdAt, then id). */
  listStatusUpdates(
    projectId: Types.ObjectId,
    args: ConnectionArgs,
  ): Promise<Connection<StatusUpdateRecord>> {
    return paginate(this.statusUpdates, { projectId }, args);
  }

  /**
   * Runs a write that changes who may see project `id`, announced through the outbox: the intent
   * is stored first, so the change is announced even if this process dies right after the write;
   * the announcement is delivered (whatever the write's outcome) before this returns.
   */
  private async changingAccess<T>(id: Types.ObjectId, write: () => Promise<T>): Promise<T> {
    const entry = await this.outbox.record(ACCESS_TOPIC, { projectId: id.toHexString() });
    try {
      return await write();
    } finally {
      await this.outbox.deliver(entry);
    }
  }

  /** The project, when `caller` may change it (the policy's {@link manageableProject}). */
  private async manageableProject(caller: Identity, id: Types.ObjectId): Promise<ProjectRecord> {
    return manageableProject(caller, await this.projects.findById(id).lean<ProjectRecord>().exec());
  }

  // The project may have been deleted since it was checked: then it is NOT_FOUND, not recreated.
  private updated(id: Types.ObjectId, update: Record<string, unknown>): Promise<ProjectRecord> {
    return updatedOrNotFound(this.projects, { _id: id }, update, 'Project not found');
  }
}
