import type { Types } from 'mongoose';
import type { Identity, Role } from './access-token';

/**
 * The project-access rules every service shares: who may read a project and who may manage it,
 * for the projects service's own records and the other services' read-model copies alike. Each
 * service's policy module (`services/<name>/src/<name>.policy.ts`) builds its rules on these.
 */

/**
 * Who is on a project: the projects service's own record or another service's read-model copy
 * (which may be a tombstone).
 */
export interface ProjectMembership {
  managerId: Types.ObjectId | null;
  memberIds: Types.ObjectId[];
  deleted?: boolean;
}

const isUser = (id: Types.ObjectId | null, userId: string): boolean =>
  id !== null && id.toHexString() === userId.toLowerCase();

/** Who may read something: callers with one of `roles`, and the users `userIds` (lower-case hex). */
export interface Audience {
  roles: Role[];
  userIds: string[];
}

/** Is `caller` in `audience`? */
export function isInAudience(caller: Identity, audience: Audience): boolean {
  return (
    audience.roles.includes(caller.role) || audience.userIds.includes(caller.userId.toLowerCase())
  );
}

/** The roles that read every project, whoever is on it. */
const READ_EVERY_PROJECT: Role[] = ['ADMIN'];

/** Does `caller` read every project (so lists need no per-project limit)? */
export function readsEveryProject(caller: Identity): boolean {
  return READ_EVERY_PROJECT.includes(caller.role);
}

/**
 * Who may read the project (its tasks, its documents): admins, its manager, its members; nobody
 * once it is deleted. The gateway asks the projects subgraph for it to deliver realtime events.
 */
export function projectReaders(access: ProjectMembership | null): Audience {
  if (!access || access.deleted) return { roles: [], userIds: [] };
  const people = access.managerId ? [access.managerId, ...access.memberIds] : access.memberIds;
  return { roles: [...READ_EVERY_PROJECT], userIds: people.map((id) => id.toHexString()) };
}

/** May `caller` read the project? ({@link projectReaders}) */
export function canReadProject(caller: Identity, access: ProjectMembership | null): boolean {
  return isInAudience(caller, projectReaders(access));
}

/** May `caller` manage the project (create and delete tasks, reopen them)? Admins and its manager. */
export function canManageProject(caller: Identity, access: ProjectMembership | null): boolean {
  if (!access || access.deleted) return false;
  return caller.role === 'ADMIN' || isUser(access.managerId, caller.userId);
}

/** Is `userId` the project's manager or one of its members? */
export function isOnProject(access: ProjectMembership, userId: Types.ObjectId): boolean {
  return (
    (access.managerId?.equals(userId) ?? false) || access.memberIds.some((m) => m.equals(userId))
  );
}
