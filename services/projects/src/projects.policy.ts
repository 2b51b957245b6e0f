/**
 * Who may do what in the projects service: every rule of the service, in one place. The resolvers
 * and the domain call these; the `@auth` directives in schema.graphql only let the gateway refuse
 * what the token alone rules out (not signed in, too low a role) before planning.
 *
 * | action                                         | who                                  |
 * |------------------------------------------------|--------------------------------------|
 * | read a project, its members and status updates | admins, its manager, its members     |
 * | create a project                               | MANAGER and ADMIN roles              |
 * | update or delete it, add or remove members,    | its manager of record (whatever their|
 * | post a status update                           | role now) and admins                 |
 * | give the project another manager              | admins                               |
 *
 * A project the caller may not read is NOT_FOUND (never revealing that it exists); one they read
 * but may not change is FORBIDDEN.
 */
import {
  callerObjectId,
  canManageProject,
  canReadProject,
  ForbiddenError,
  hasRole,
  NotFoundError,
  projectReaders,
  readsEveryProject,
  type Audience,
  type Identity,
} from '@psa/shared';
import type { QueryFilter, Types } from 'mongoose';
import type { ProjectRecord } from './models/project.model';
import type { StatusUpdateRecord } from './models/status-update.model';

/** Projects `userId` manages or belongs to. */
export const involving = (userId: Types.ObjectId): QueryFilter<ProjectRecord> => ({
  $or: [{ managerId: userId }, { memberIds: userId }],
});

/** `project` when `caller` may read it; NOT_FOUND when it is missing or hidden alike. */
export function readableProject(caller: Identity, project: ProjectRecord | null): ProjectRecord {
  if (project && canReadProject(caller, project)) return project;
  throw new NotFoundError('Project not found');
}

/**
 * `update` when `caller` may read its project (`project`): a status update is visible exactly
 * when its project is. NOT_FOUND for a missing update as for a hidden project.
 */
export function readableStatusUpdate(
  caller: Identity,
  update: StatusUpdateRecord | null,
  project: ProjectRecord | null,
): StatusUpdateRecord {
  if (update && project?._id.equals(update.projectId) && canReadProject(caller, project)) {
    return update;
  }
  throw new NotFoundError('Status update not found');
}

/** The projects `caller` may list: all for an admin, else those they manage or belong to. */
export function listableProjects(caller: Identity): QueryFilter<ProjectRecord> {
  return readsEveryProject(caller) ? {} : involving(callerObjectId(caller));
}

/** Who may read `project` now (null: a project that is gone, which nobody reads). */
export function readersOf(project: ProjectRecord | null): Audience {
  return projectReaders(project);
}

/** FORBIDDEN unless `caller` may create projects. */
export function assertMayCreateProject(caller: Identity): void {
  if (!hasRole(caller.role, 'MANAGER')) {
    throw new ForbiddenError('Only managers and admins can create projects');
  }
}

/**
 * `project` when `caller` may change it (update, delete, members, status updates): NOT_FOUND when
 * they may not read it, else FORBIDDEN unless they are its manager or an admin.
 */
export function manageableProject(caller: Identity, project: ProjectRecord | null): ProjectRecord {
  const readable = readableProject(caller, project);
  if (!canManageProject(caller, readable)) {
    throw new ForbiddenError('Only the project manager or an admin can do this');
  }
  return readable;
}

/** FORBIDDEN unless `caller` may hand a project to another manager. */
export function assertMayChangeManager(caller: Identity): void {
  if (caller.role !== 'ADMIN') {
    throw new ForbiddenError('Only an admin can give a project another manager');
  }
}
