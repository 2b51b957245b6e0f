/**
 * Who hears what, and who reads it: every rule of the notifications service, in one place. The
 * event handlers, the reminders and the resolvers call these; the `@auth` directives in
 * schema.graphql only let the gateway refuse what the token alone rules out. Project membership
 * comes from the service's read model of project access (ADR 0004).
 *
 * | kind                 | recipients (never the user who caused it)                           |
 * |----------------------|---------------------------------------------------------------------|
 * | TASK_ASSIGNED        | the new assignee                                                    |
 * | TASK_DUE_SOON        | the assignee, once per due date, when an open task is due within    |
 * |                      | TASK_DUE_SOON_HOURS                                                 |
 * | TASK_OVERDUE         | the assignee and the project's manager, once per due date           |
 * | STATUS_UPDATE_POSTED | the project's manager and members (automatic updates too)           |
 * | MEMBER_ADDED         | the added user                                                      |
 * | DOCUMENT_SHARED      | the user it was shared with                                         |
 * | TIMESHEET_SUBMITTED  | the project's manager                                               |
 * | TIMESHEET_APPROVED,  | the user whose week it is                                           |
 * | TIMESHEET_REJECTED   |                                                                     |
 * | BUDGET_THRESHOLD     | the project's manager                                               |
 *
 * | action                                          | who                                   |
 * |-------------------------------------------------|---------------------------------------|
 * | read User.notifications, unreadNotificationCount| the user and admins                   |
 * | read notification(id), receive it live          | its recipient and admins              |
 * | markNotificationsRead                           | the caller, on their own              |
 * | webhooks, createWebhook, deleteWebhook           | admins                                |
 *
 * A notification about a project is shown only while its recipient is on the project (its
 * manager or a member) and the project exists: removed from it, they no longer see it.
 */
import {
  ForbiddenError,
  hasRole,
  requireIdentity,
  type Caller,
  isOnProject,
  toObjectId,
  type Identity,
  type ProjectAccessRecord,
} from '@psa/shared';
import { Types } from 'mongoose';

/** Is `id` the caller's own user id? */
export const isCaller = (caller: Identity, id: Types.ObjectId | string): boolean =>
  (typeof id === 'string' ? id : id.toHexString()).toLowerCase() === caller.userId.toLowerCase();

/** FORBIDDEN unless `caller` may read the notifications of user `userId`: themselves, an admin. */
export function assertMayReadNotificationsOf(caller: Identity, userId: Types.ObjectId): void {
  if (caller.role === 'ADMIN' || isCaller(caller, userId)) return;
  throw new ForbiddenError('Only the user themselves and admins read their notifications');
}

/** May `caller` read a notification sent to `recipientId`? */
export const mayReadNotification = (caller: Identity, recipientId: Types.ObjectId): boolean =>
  caller.role === 'ADMIN' || isCaller(caller, recipientId);

/** `candidates` (hex ids or ObjectIds, nulls ignored) without duplicates and without the actor. */
export function recipients(
  candidates: readonly (string | Types.ObjectId | null | undefined)[],
  actorId: string | null,
): Types.ObjectId[] {
  const ids = new Set<string>();
  for (const candidate of candidates) {
    if (!candidate) continue;
    const id = (typeof candidate === 'string' ? candidate : candidate.toHexString()).toLowerCase();
    if (id !== actorId?.toLowerCase()) ids.add(id);
  }
  return [...ids].map((id) => new Types.ObjectId(id));
}

/** The project's manager and members: who hear of its status updates. */
export const projectAudience = (access: ProjectAccessRecord | null): Types.ObjectId[] =>
  access && !access.deleted
    ? [...(access.managerId ? [access.managerId] : []), ...access.memberIds]
    : [];

/** The project's manager (of a live project): who hear of timesheets and budgets. */
export const projectManager = (access: ProjectAccessRecord | null): Types.ObjectId[] =>
  access && !access.deleted && access.managerId ? [access.managerId] : [];

/**
 * Whether `userId` is to be told of a reminder for a task of the project: its assignee, or (for
 * TASK_OVERDUE) the manager, while they are on the live project.
 */
export const isOnLiveProject = (
  access: ProjectAccessRecord | null,
  userId: Types.ObjectId,
): boolean => Boolean(access && !access.deleted && isOnProject(access, userId));

/** The caller's user id as an ObjectId (tokens carry valid ids: the gateway checked). */
export const callerId = (caller: Identity): Types.ObjectId => {
  const id = toObjectId(caller.userId);
  if (!id) throw new ForbiddenError('The token names no user');
  return id;
};

/** The caller when they may manage webhooks (admins); FORBIDDEN otherwise, UNAUTHENTICATED unsigned. */
export function mayManageWebhooks(caller: Caller): Identity {
  const identity = requireIdentity(caller);
  if (!hasRole(identity.role, 'ADMIN')) throw new ForbiddenError('Only admins manage webhooks');
  return identity;
}
