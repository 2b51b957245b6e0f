/**
 * Who may do what in the tasks service: every rule of the service, in one place. The resolvers
 * and the domain call these; the `@auth` directives in schema.graphql only let the gateway refuse
 * what the token alone rules out. Project membership comes from the service's read model of
 * project access (ADR 0004).
 *
 * | action                                             | who                                    |
 * |----------------------------------------------------|----------------------------------------|
 * | read a project's tasks, summary and task events    | admins, its manager, its members       |
 * | create or delete tasks, assign them, reopen DONE   | admins and the project's manager       |
 * | change a task's fields or status                   | those, and its assignee (not a CLIENT) |
 * | list a user's assigned tasks                       | limited to the projects one may read   |
 *
 * A task or project the caller may not read is NOT_FOUND (never revealing that it exists); one
 * they read but may not change is FORBIDDEN.
 */
import {
  canManageProject,
  canReadProject,
  ForbiddenError,
  NotFoundError,
  readsEveryProject,
  type Identity,
  type ProjectAccessRecord,
} from '@psa/shared';
import type { TaskEventRecord } from './models/task-event.model';
import type { TaskRecord } from './models/task.model';

/** `task` when `caller` may read its project (`access`); NOT_FOUND when missing or hidden alike. */
export function readableTask(
  caller: Identity,
  task: TaskRecord | null,
  access: ProjectAccessRecord | null,
): TaskRecord {
  if (task && canReadProject(caller, access)) return task;
  throw new NotFoundError('Task not found');
}

/** `event` when `caller` may read its project now; NOT_FOUND when missing or hidden alike. */
export function readableTaskEvent(
  caller: Identity,
  event: TaskEventRecord | null,
  access: ProjectAccessRecord | null,
): TaskEventRecord {
  if (event && canReadProject(caller, access)) return event;
  throw new NotFoundError('Task event not found');
}

/** `access` when `caller` may read the project (null: unknown); NOT_FOUND otherwise. */
export function readableProject(
  caller: Identity,
  access: ProjectAccessRecord | null,
): ProjectAccessRecord {
  if (access && canReadProject(caller, access)) return access;
  throw new NotFoundError('Project not found');
}

/**
 * `access` when `caller` may manage the project's tasks (create, delete, assign): NOT_FOUND when
 * they may not read it, else FORBIDDEN unless they are its manager or an admin.
 */
export function manageableProject(
  caller: Identity,
  access: ProjectAccessRecord | null,
): ProjectAccessRecord {
  const readable = readableProject(caller, access);
  assertMayManageTasks(caller, readable);
  return readable;
}

/** FORBIDDEN unless `caller` manages the project (`access`) or is an admin. */
export function assertMayManageTasks(caller: Identity, access: ProjectAccessRecord | null): void {
  if (!canManageProject(caller, access)) {
    throw new ForbiddenError('Only the project manager or an admin can do this');
  }
}

/** FORBIDDEN unless `caller` may reopen a DONE task of the project: its manager or an admin. */
export function assertMayReopen(caller: Identity, access: ProjectAccessRecord | null): void {
  if (!canManageProject(caller, access)) {
    throw new ForbiddenError('Only the project manager or an admin can reopen a DONE task');
  }
}

/** May `caller` change `task`'s fields and status? The project's manager, an admin, its assignee. */
export function canChangeTask(
  caller: Identity,
  task: TaskRecord,
  access: ProjectAccessRecord | null,
): boolean {
  if (canManageProject(caller, access)) return true;
  return (
    caller.role !== 'CLIENT' &&
    task.assigneeId !== null &&
    task.assigneeId.toHexString() === caller.userId.toLowerCase()
  );
}

/** FORBIDDEN unless `caller` may change `task` ({@link canChangeTask}). */
export function assertMayChangeTask(
  caller: Identity,
  task: TaskRecord,
  access: ProjectAccessRecord | null,
): void {
  if (!canChangeTask(caller, task, access)) {
    throw new ForbiddenError(
      "Only the project manager, an admin or the task's assignee can change this task",
    );
  }
}

/** Do `caller`'s lists of tasks across projects need limiting to the projects they are on? */
export function listsNeedProjectLimit(caller: Identity): boolean {
  return !readsEveryProject(caller);
}
