import type DataLoader from 'dataloader';
import {
  allOf,
  announce,
  GROUPS,
  taskChanged,
  updatedOrNotFound,
  BadUserInputError,
  callerObjectId,
  ConflictError,
  createOnce,
  creationKey,
  emptyConnection,
  isOnProject,
  NotFoundError,
  oneOf,
  optionalId,
  optionalText,
  assertUnorderedSearch,
  paginate,
  paginateByName,
  paginateSearch,
  requiredId,
  requiredText,
  textSearch,
  toObjectId,
  type Connection,
  type ConnectionArgs,
  type Identity,
  type Outbox,
  type ProjectAccess,
  type ProjectAccessRecord,
  type TaskChanged,
} from '@psa/shared';
import { trusted, type QueryFilter, type Types } from 'mongoose';
import { PROJECT_COMPLETION } from './project-completion';
import type { TaskEventModel, TaskEventRecord } from './models/task-event.model';
import type { TaskProgressModel } from './models/task-progress.model';
import {
  TASK_PRIORITIES,
  TASK_STATUSES,
  type TaskModel,
  type TaskPriority,
  type TaskRecord,
  type TaskStatus,
} from './models/task.model';
import type { TaskEventRecorder } from './task-event-recorder';
import {
  assertMayChangeTask,
  assertMayManageTasks,
  assertMayReopen,
  listsNeedProjectLimit,
  manageableProject,
  readableProject,
  readableTask,
  readableTaskEvent,
} from './tasks.policy';

const TITLE_MAX = 200;
const DESCRIPTION_MAX = 10_000;

export interface CreateTaskInput {
  projectId: string;
  title: string;
  description?: string | null;
  dueDate?: Date | null;
  assigneeId?: string | null;
  priority?: TaskPriority | null;
}

/** Absent fields are left alone. */
export interface UpdateTaskInput {
  id: string;
  title?: string | null;
  description?: string | null;
  dueDate?: Date | null;
  priority?: TaskPriority | null;
}

export interface AssignTaskInput {
  taskId: string;
  /** Null unassigns. */
  assigneeId?: string | null;
}

export interface SetTaskStatusInput {
  taskId: string;
  status: TaskStatus;
}

/** The orders of Project.tasks(orderBy). */
export type TaskOrder = 'CREATED_AT' | 'TITLE';

export interface TaskFilter {
  status?: TaskStatus | null;
  assigneeId?: string | null;
  overdue?: boolean | null;
  dueBefore?: Date | null;
  search?: string | null;
}

export interface TaskSummary {
  total: number;
  todo: number;
  inProgress: number;
  blocked: number;
  done: number;
  overdue: number;
  percentComplete: number;
}

/** The workflow: where a task may move from each status (DONE → TODO for managers only). */
export const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  TODO: ['IN_PROGRESS', 'BLOCKED'],
  IN_PROGRESS: ['DONE', 'BLOCKED'],
  BLOCKED: ['TODO', 'IN_PROGRESS'],
  DONE: ['TODO'],
};

/** Per-request lookup of who may see a project, by project id (hex). */
export type ProjectAccessLoader = DataLoader<string, ProjectAccessRecord | null>;

/** What the domain works on, shared by every request. */
export interface TaskStores {
  tasks: TaskModel;
  progress: TaskProgressModel;
  access: ProjectAccess;
  outbox: Outbox;
  /** Task changes kept for the gateway's subscribers. */
  taskEvents: TaskEventModel;
  /** Records and publishes each change (after it committed). */
  changes: TaskEventRecorder;
}

function checkDueDate(dueDate: Date | null | undefined, field: string): Date | null {
  if (dueDate === null || dueDate === undefined) return null;
  if (!(dueDate instanceof Date) || Number.isNaN(dueDate.getTime())) {
    throw new BadUserInputError('dueDate must be a valid date-time', field);
  }
  return dueDate;
}

/** A task is overdue when its due date has passed and it is not DONE. */
export function isOverdue(task: Pick<TaskRecord, 'dueDate' | 'status'>, now = new Date()): boolean {
  return task.dueDate !== null && task.dueDate.getTime() < now.getTime() && task.status !== 'DONE';
}

/** Tasks due before `now` and not DONE. */
const overdueFilter = (now: Date): QueryFilter<TaskRecord> => ({
  $and: [{ dueDate: trusted({ $lt: now }) }, { status: trusted({ $ne: 'DONE' }) }],
});

/** Every task {@link overdueFilter} leaves out. */
const notOverdueFilter = (now: Date): QueryFilter<TaskRecord> => ({
  $or: [{ dueDate: null }, { dueDate: trusted({ $gte: now }) }, { status: 'DONE' }],
});

const round1 = (value: number): number => Math.round(value * 10) / 10;

/**
 * The tasks service's rules, apart from GraphQL, for one request. Who may see a project comes from
 * the project access read model (through the request's DataLoader); every input is validated
 * before anything is written. Who may do what is the service's policy (`tasks.policy.ts`).
 */
export class TasksDomain {
  constructor(
    private readonly stores: TaskStores,
    private readonly accessOf: ProjectAccessLoader,
  ) {}

  /**
   * Creates a TODO task created by `caller` (the project's manager or an admin). Throws
   * BAD_USER_INPUT naming the field at fault, NOT_FOUND for a project the caller may not see,
   * FORBIDDEN for one they may not manage.
   */
  async createTask(
    caller: Identity,
    input: CreateTaskInput,
    idempotencyKey: string | null = null,
  ): Promise<TaskRecord> {
    const projectId = requiredId(input.projectId, 'input.projectId');
    const title = requiredText(input.title, 'input.title', TITLE_MAX);
    const description = optionalText(input.description, 'input.description', DESCRIPTION_MAX);
    const dueDate = checkDueDate(input.dueDate, 'input.dueDate');
    const assigneeId = optionalId(input.assigneeId, 'input.assigneeId');
    const priority = oneOf(input.priority ?? 'MEDIUM', TASK_PRIORITIES, 'input.priority');
    const access = await this.managedProject(caller, projectId);
    this.checkAssignee(access, assigneeId);
    const key = creationKey(caller, idempotencyKey);
    const { record, created } = await createOnce(this.stores.tasks, key, async () => {
      const document = await this.stores.tasks.create({
        projectId,
        title,
        description,
        status: 'TODO',
        priority,
        dueDate,
        assigneeId,
        createdById: callerObjectId(caller),
        completedAt: null,
        creationKey: key,
      });
      return document.toObject<TaskRecord>();
    });
    // A retry of a create that happened: the task as it is, announced already.
    if (!created) return record;
    await this.reopened(projectId);
    const task = await this.withCurrentAssignee(record);
    await this.stores.changes.record('CREATED', task);
    await this.announce(caller, 'created', task, null);
    return task;
  }

  /**
   * `task` when `caller` may see its project. Throws NOT_FOUND when it is missing or hidden, so a
   * task one may not see is indistinguishable from one that does not exist.
   */
  async visibleTask(caller: Identity, task: TaskRecord | null): Promise<TaskRecord> {
    const access = task ? await this.accessOf.load(task.projectId.toHexString()) : null;
    return readableTask(caller, task, access);
  }

  /**
   * Task event `rawId` (a change to a task, kept for an hour) when `caller` may see the task's
   * project now. Throws NOT_FOUND when it is missing, malformed, expired or hidden alike.
   */
  async visibleTaskEvent(caller: Identity, rawId: string): Promise<TaskEventRecord> {
    const id = toObjectId(rawId);
    const event = id
      ? await this.stores.taskEvents.findById(id).lean<TaskEventRecord>().exec()
      : null;
    const access = event ? await this.accessOf.load(event.projectId.toHexString()) : null;
    return readableTaskEvent(caller, event, access);
  }

  /**
   * Changes a task's title, description, due date or priority (manager, admin, or its assignee
   * unless a CLIENT). `null` clears the description and the due date; a null title or priority
   * is BAD_USER_INPUT.
   */
  async updateTask(caller: Identity, input: UpdateTaskInput): Promise<TaskRecord> {
    const id = requiredId(input.id, 'input.id');
    const changes: Partial<Pick<TaskRecord, 'title' | 'description' | 'dueDate' | 'priority'>> = {};
    if (input.title !== undefined) {
      if (input.title === null) throw new BadUserInputError('title cannot be null', 'input.title');
      changes.title = requiredText(input.title, 'input.title', TITLE_MAX);
    }
    if (input.description !== undefined) {
      changes.description = optionalText(input.description, 'input.description', DESCRIPTION_MAX);
    }
    if (input.dueDate !== undefined) {
      changes.dueDate = checkDueDate(input.dueDate, 'input.dueDate');
    }
    if (input.priority !== undefined) {
      if (input.priority === null) {
        throw new BadUserInputError('priority cannot be null', 'input.priority');
      }
      changes.priority = oneOf(input.priority, TASK_PRIORITIES, 'input.priority');
    }
    const task = await this.changeableTask(caller, id);
    if (Object.keys(changes).length === 0) return task;
    const updated = await this.updated({ _id: id }, { $set: changes });
    await this.stores.changes.record('UPDATED', updated);
    await this.announce(caller, 'updated', updated, updated.assigneeId);
    return updated;
  }

  /**
   * Assigns a task to the project's manager or a member, or unassigns it (`assigneeId` null), as
   * the project's manager or an admin.
   */
  async assignTask(caller: Identity, input: AssignTaskInput): Promise<TaskRecord> {
    const id = requiredId(input.taskId, 'input.taskId');
    const assigneeId = optionalId(input.assigneeId, 'input.assigneeId');
    const task = await this.managedTask(caller, id);
    this.checkAssignee(await this.accessOf.load(task.projectId.toHexString()), assigneeId);
    if (assigneeId === null ? task.assigneeId === null : task.assigneeId?.equals(assigneeId)) {
      return task;
    }
    const updated = await this.withCurrentAssignee(
      await this.updated({ _id: id }, { $set: { assigneeId } }),
    );
    await this.stores.changes.record('UPDATED', updated);
    await this.announce(caller, 'assigned', updated, task.assigneeId);
    return updated;
  }

  /**
   * `task`, unassigned if its assignee left the project while it was being written: the removal's
   * clean-up may have run between the membership check and the write, and would not run again.
   */
  private async withCurrentAssignee(task: TaskRecord): Promise<TaskRecord> {
    if (task.assigneeId === null) return task;
    const access = await this.stores.access.find(task.projectId);
    if (access && !access.deleted && isOnProject(access, task.assigneeId)) return task;
    const unassigned = await this.stores.tasks
      .findOneAndUpdate(
        { _id: task._id, assigneeId: task.assigneeId },
        { $set: { assigneeId: null } },
        { returnDocument: 'after' },
      )
      .lean<TaskRecord>()
      .exec();
    return unassigned ?? task;
  }

  /**
   * Moves a task along the workflow ({@link TRANSITIONS}); setting the status it has changes
   * nothing. Throws BAD_USER_INPUT for a move the workflow does not allow, FORBIDDEN when a DONE
   * task is reopened by anyone but the manager or an admin, CONFLICT when the task changed status
   * meanwhile. The last open task of a project becoming DONE is announced (`project.all-tasks-done`).
   */
  async setTaskStatus(caller: Identity, input: SetTaskStatusInput): Promise<TaskRecord> {
    const id = requiredId(input.taskId, 'input.taskId');
    const status = oneOf(input.status, TASK_STATUSES, 'input.status');
    const task = await this.changeableTask(caller, id);
    const from = task.status;
    if (from === status) return task;
    const allowed = TRANSITIONS[from];
    if (!allowed.includes(status)) {
      throw new BadUserInputError(
        `Cannot move a task from ${from} to ${status}; allowed: ${allowed.join(', ')}`,
        'input.status',
      );
    }
    if (from === 'DONE') {
      assertMayReopen(caller, await this.accessOf.load(task.projectId.toHexString()));
    }
    const completedAt = status === 'DONE' ? new Date() : null;
    // The intent is recorded before the write, so a crash right after it still gets announced.
    const entry =
      status === 'DONE'
        ? await this.stores.outbox.record(PROJECT_COMPLETION, {
            projectId: task.projectId.toHexString(),
            actorId: callerObjectId(caller).toHexString(),
          })
        : null;
    try {
      const updated = await this.stores.tasks
        .findOneAndUpdate(
          { _id: id, status: from },
          { $set: { status, completedAt } },
          { returnDocument: 'after' },
        )
        .lean<TaskRecord>()
        .exec();
      if (!updated) {
        const exists = await this.stores.tasks.exists({ _id: id }).exec();
        if (!exists) throw new NotFoundError('Task not found');
        throw new ConflictError('The task changed meanwhile; reload it');
      }
      if (from === 'DONE') await this.reopened(task.projectId);
      await this.stores.changes.record('UPDATED', updated);
      await this.announce(caller, 'status_changed', updated, updated.assigneeId);
      return updated;
    } finally {
      // The relay computes from the current state: delivering after a failed write announces nothing.
      if (entry) await this.stores.outbox.deliver(entry);
    }
  }

  /** Deletes a task (the project's manager or an admin). */
  async deleteTask(caller: Identity, rawId: string): Promise<boolean> {
    const id = requiredId(rawId, 'id');
    await this.managedTask(caller, id);
    // The task as it was when it went: subscribers still see what was deleted.
    const deleted = await this.stores.tasks.findOneAndDelete({ _id: id }).lean<TaskRecord>().exec();
    if (!deleted) throw new NotFoundError('Task not found');
    await this.stores.changes.record('DELETED', deleted);
    await this.announce(caller, 'deleted', deleted, deleted.assigneeId);
    return true;
  }

  /** Tells other services (`task.changed`) how `task` stands after `caller`'s `change`. */
  private announce(
    caller: Identity,
    change: TaskChanged['change'],
    task: TaskRecord,
    previousAssigneeId: Types.ObjectId | null,
  ): Promise<void> {
    return announce(
      this.stores.outbox,
      taskChanged,
      {
        taskId: task._id.toHexString(),
        projectId: task.projectId.toHexString(),
        title: task.title,
        status: task.status,
        assigneeId: task.assigneeId?.toHexString() ?? null,
        previousAssigneeId: previousAssigneeId?.toHexString() ?? null,
        dueDate: task.dueDate?.toISOString() ?? null,
        change,
        // A deleted task's last update is older than its deletion: the deletion must win.
        version: change === 'deleted' ? Date.now() : task.updatedAt.getTime(),
        actorId: callerObjectId(caller).toHexString(),
      },
      // Time can be logged on a task the moment it is created (the time service's read model).
      change === 'created' ? [GROUPS.time] : [],
    );
  }

  /**
   * A page of a project's tasks matching `filter`, in the stable order or by title (`orderBy`).
   * Throws NOT_FOUND when the caller may not see the project, BAD_USER_INPUT for a malformed
   * filter, a search with an `orderBy`, or bad paging.
   */
  async projectTasks(
    caller: Identity,
    projectId: string,
    filter: TaskFilter | null | undefined,
    args: ConnectionArgs,
    orderBy?: TaskOrder | null,
  ): Promise<Connection<TaskRecord>> {
    const conditions: QueryFilter<TaskRecord>[] = [];
    if (filter?.status !== null && filter?.status !== undefined) {
      conditions.push({ status: oneOf(filter.status, TASK_STATUSES, 'filter.status') });
    }
    if (filter?.assigneeId !== null && filter?.assigneeId !== undefined) {
      conditions.push({ assigneeId: requiredId(filter.assigneeId, 'filter.assigneeId') });
    }
    const now = new Date();
    if (filter?.overdue === true) conditions.push(overdueFilter(now));
    if (filter?.overdue === false) conditions.push(notOverdueFilter(now));
    if (filter?.dueBefore !== null && filter?.dueBefore !== undefined) {
      const dueBefore = checkDueDate(filter.dueBefore, 'filter.dueBefore');
      conditions.push({ dueDate: trusted({ $lt: dueBefore }) });
    }
    const search = textSearch(filter?.search);
    assertUnorderedSearch(search, orderBy);
    const project = await this.readableProjectId(caller, projectId);
    // projectId stays a top-level equality: the text index leads with it.
    const matching = { projectId: project, ...allOf(conditions) };
    if (search) return paginateSearch(this.stores.tasks, matching, search, args);
    if (orderBy === 'TITLE') return paginateByName(this.stores.tasks, matching, 'title', args);
    return paginate(this.stores.tasks, matching, args);
  }

  /** A project's tasks counted by status, in one aggregation. NOT_FOUND as for the tasks. */
  async taskSummary(caller: Identity, projectId: string): Promise<TaskSummary> {
    const project = await this.readableProjectId(caller, projectId);
    const count = (condition: unknown) => ({ $sum: { $cond: [condition, 1, 0] } });
    const isStatus = (status: TaskStatus) => ({ $eq: ['$status', status] });
    const [row] = await this.stores.tasks
      .aggregate<Omit<TaskSummary, 'percentComplete'>>([
        { $match: { projectId: project } },
        {
          $group: {
            _id: null,
            total: { $sum: 1 },
            todo: count(isStatus('TODO')),
            inProgress: count(isStatus('IN_PROGRESS')),
            blocked: count(isStatus('BLOCKED')),
            done: count(isStatus('DONE')),
            // BSON orders null before dates: tasks without a due date are excluded explicitly.
            overdue: count({
              $and: [
                { $ne: [{ $ifNull: ['$dueDate', null] }, null] },
                { $lt: ['$dueDate', new Date()] },
                { $ne: ['$status', 'DONE'] },
              ],
            }),
          },
        },
      ])
      .exec();
    const counts = row ?? { total: 0, todo: 0, inProgress: 0, blocked: 0, done: 0, overdue: 0 };
    return {
      total: counts.total,
      todo: counts.todo,
      inProgress: counts.inProgress,
      blocked: counts.blocked,
      done: counts.done,
      overdue: counts.overdue,
      percentComplete: counts.total === 0 ? 0 : round1((counts.done / counts.total) * 100),
    };
  }

  /**
   * A page of the tasks assigned to `userId`, limited to the projects `caller` may see (an admin:
   * all). An id that names no user has none.
   */
  async assignedTasks(
    caller: Identity,
    userId: string,
    args: ConnectionArgs,
  ): Promise<Connection<TaskRecord>> {
    const assigneeId = toObjectId(userId);
    if (!assigneeId) return emptyConnection(args);
    const conditions: QueryFilter<TaskRecord>[] = [{ assigneeId }];
    if (listsNeedProjectLimit(caller)) {
      const projectIds = await this.stores.access.projectIdsOf(callerObjectId(caller));
      conditions.push({ projectId: trusted({ $in: projectIds }) });
    }
    return paginate(this.stores.tasks, allOf(conditions), args);
  }

  /** The project's id when `caller` may see it; NOT_FOUND otherwise. */
  private async readableProjectId(caller: Identity, projectId: string): Promise<Types.ObjectId> {
    const id = toObjectId(projectId);
    return readableProject(caller, id ? await this.accessOf.load(id.toHexString()) : null)._id;
  }

  /** The project's access record when `caller` may manage it: NOT_FOUND when hidden, else FORBIDDEN. */
  private async managedProject(
    caller: Identity,
    projectId: Types.ObjectId,
  ): Promise<ProjectAccessRecord> {
    return manageableProject(caller, await this.accessOf.load(projectId.toHexString()));
  }

  /** BAD_USER_INPUT unless `assigneeId` (when given) is the project's manager or a member. */
  private checkAssignee(access: ProjectAccessRecord | null, assigneeId: Types.ObjectId | null) {
    if (assigneeId === null) return;
    if (!access || !isOnProject(access, assigneeId)) {
      throw new BadUserInputError(
        "assignee must be the project's manager or one of its members",
        'input.assigneeId',
      );
    }
  }

  private async storedTask(caller: Identity, id: Types.ObjectId): Promise<TaskRecord> {
    return this.visibleTask(caller, await this.stores.tasks.findById(id).lean<TaskRecord>().exec());
  }

  /** The task when `caller` may change it: NOT_FOUND when they may not see it, else FORBIDDEN. */
  private async changeableTask(caller: Identity, id: Types.ObjectId): Promise<TaskRecord> {
    const task = await this.storedTask(caller, id);
    assertMayChangeTask(caller, task, await this.accessOf.load(task.projectId.toHexString()));
    return task;
  }

  /** The task when `caller` may manage its project: NOT_FOUND when they may not see it, else FORBIDDEN. */
  private async managedTask(caller: Identity, id: Types.ObjectId): Promise<TaskRecord> {
    const task = await this.storedTask(caller, id);
    assertMayManageTasks(caller, await this.accessOf.load(task.projectId.toHexString()));
    return task;
  }

  /** A task of the project is open (again): its next completion is a new one. */
  private async reopened(projectId: Types.ObjectId): Promise<void> {
    await this.stores.progress.updateOne({ _id: projectId }, { $set: { allDone: false } }).exec();
  }

  // The task may have been deleted since it was checked: then it is NOT_FOUND, not recreated.
  private updated(
    filter: QueryFilter<TaskRecord>,
    update: Record<string, unknown>,
  ): Promise<TaskRecord> {
    return updatedOrNotFound(this.stores.tasks, filter, update, 'Task not found');
  }
}
