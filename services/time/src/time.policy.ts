/**
 * Who may do what in the time service: every rule of the service, in one place. The resolvers and
 * the domain call these; the `@auth` directives in schema.graphql only let the gateway refuse what
 * the token alone rules out. Project membership comes from the service's read model of project
 * access (ADR 0004); "the manager" is the project's manager of record, whatever their role.
 *
 * | action                                                   | who                                      |
 * |----------------------------------------------------------|------------------------------------------|
 * | log time, start a timer, submit one's own week           | the project's manager and members, not a |
 * |                                                          | CLIENT (admins only on their projects)   |
 * | change or delete an entry (OPEN or REJECTED week)        | its owner and admins                     |
 * | read an entry or a timesheet                             | its owner, the project's manager, admins |
 * | read Project.timeEntries and timeReport                  | the manager and admins: everyone's; a    |
 * |                                                          | member: their own; a CLIENT: FORBIDDEN   |
 * | read Project.budget (minutes)                            | the manager, members (not CLIENT), admins|
 * | read money (billingRates, budget amounts, billableAmount)| the manager and admins (else FORBIDDEN)  |
 * | set the budget or a billing rate                         | the manager and admins                   |
 * | approve or reject a timesheet                            | the manager and admins, never their own  |
 * | read User.timeEntries, timesheets, runningTimer,         | the user and admins                      |
 * | utilization                                              |                                          |
 * | read Task.timeSpentMinutes                               | those who may read the task's project    |
 *
 * A project (or an entry, a timesheet) the caller may not read is NOT_FOUND, never revealing that
 * it exists; one they read but may not act on is FORBIDDEN.
 */
import {
  canManageProject,
  canReadProject,
  ForbiddenError,
  isOnProject,
  NotFoundError,
  readsEveryProject,
  toObjectId,
  type Identity,
  type ProjectAccessRecord,
} from '@psa/shared';
import type { Types } from 'mongoose';

/** Is `id` the caller's own user id? */
export const isCaller = (caller: Identity, id: Types.ObjectId): boolean =>
  id.toHexString() === caller.userId.toLowerCase();

/** `access` when `caller` may read the project (null: unknown); NOT_FOUND otherwise. */
export function readableProject(
  caller: Identity,
  access: ProjectAccessRecord | null,
): ProjectAccessRecord {
  if (access && canReadProject(caller, access)) return access;
  throw new NotFoundError('Project not found');
}

/** Does `caller` see everyone's time on the project (its manager, admins)? */
export const seesAllTime = (caller: Identity, access: ProjectAccessRecord | null): boolean =>
  canManageProject(caller, access);

/**
 * `access` when `caller` may read the project's time (their own at least): NOT_FOUND when they
 * may not read the project, FORBIDDEN for a CLIENT who is not its manager.
 */
export function projectTimeReader(
  caller: Identity,
  access: ProjectAccessRecord | null,
): ProjectAccessRecord {
  const readable = readableProject(caller, access);
  if (!seesAllTime(caller, readable) && caller.role === 'CLIENT') {
    throw new ForbiddenError('Clients do not see time');
  }
  return readable;
}

/**
 * `access` when `caller` may log time on the project (and run a timer, submit their week): its
 * manager or a member, not as a CLIENT. NOT_FOUND when they may not read it, else FORBIDDEN.
 */
export function projectToLogOn(
  caller: Identity,
  access: ProjectAccessRecord | null,
): ProjectAccessRecord {
  const readable = readableProject(caller, access);
  const callerId = toObjectId(caller.userId);
  if (!callerId || !isOnProject(readable, callerId)) {
    throw new ForbiddenError("Only the project's manager and members log time on it");
  }
  if (caller.role === 'CLIENT') throw new ForbiddenError('Clients do not log time');
  return readable;
}

/**
 * `access` when `caller` may manage the project's money (budget, rates): NOT_FOUND when they may
 * not read it, else FORBIDDEN unless its manager or an admin.
 */
export function projectToPrice(
  caller: Identity,
  access: ProjectAccessRecord | null,
): ProjectAccessRecord {
  const readable = readableProject(caller, access);
  assertMaySeeMoney(caller, readable);
  return readable;
}

/** FORBIDDEN unless `caller` may see the project's money: its manager or an admin. */
export function assertMaySeeMoney(caller: Identity, access: ProjectAccessRecord | null): void {
  if (!canManageProject(caller, access)) {
    throw new ForbiddenError("Only the project's manager and admins see its money");
  }
}

/** Something of one user on one project: an entry, a timesheet. */
interface OwnedRecord {
  userId: Types.ObjectId;
  projectId: Types.ObjectId;
}

/**
 * `record` when `caller` may read it: its owner, the project's manager, admins. NOT_FOUND when
 * missing or hidden alike (`what` names it in the message).
 */
export function readableRecord<T extends OwnedRecord>(
  caller: Identity,
  record: T | null,
  access: ProjectAccessRecord | null,
  what: string,
): T {
  if (record && (isCaller(caller, record.userId) || readsEveryProject(caller))) return record;
  if (record && access && !access.deleted && seesAllTime(caller, access)) return record;
  throw new NotFoundError(`${what} not found`);
}

/**
 * FORBIDDEN unless `caller` may change or delete `entry`: its owner or an admin (the entry must
 * be readable first, {@link readableRecord}).
 */
export function assertMayChangeEntry(caller: Identity, entry: OwnedRecord): void {
  if (!isCaller(caller, entry.userId) && !readsEveryProject(caller)) {
    throw new ForbiddenError('Only the owner of a time entry or an admin can change it');
  }
}

/**
 * FORBIDDEN unless `caller` may approve or reject `sheet`: the project's manager or an admin,
 * and never for their own timesheet (a manager's own time goes to an admin).
 */
export function assertMayDecide(
  caller: Identity,
  sheet: OwnedRecord,
  access: ProjectAccessRecord | null,
): void {
  if (isCaller(caller, sheet.userId)) {
    throw new ForbiddenError('Nobody decides their own timesheet');
  }
  if (!canManageProject(caller, access)) {
    throw new ForbiddenError("Only the project's manager or an admin decides timesheets");
  }
}

/** FORBIDDEN unless `caller` is user `userId` or an admin (a user's own time). */
export function assertOwnTime(caller: Identity, userId: Types.ObjectId | null): void {
  if (readsEveryProject(caller)) return;
  if (!userId || !isCaller(caller, userId)) {
    throw new ForbiddenError("A user's time is theirs (and admins') to see");
  }
}

/** Does `caller` decide timesheets of every project (so the queue needs no project limit)? */
export const decidesEveryProject = (caller: Identity): boolean => readsEveryProject(caller);

/** May `caller` read the project at all (Task.timeSpentMinutes counts only those)? */
export const mayReadProject = (caller: Identity, access: ProjectAccessRecord | null): boolean =>
  canReadProject(caller, access);
