import {
  payloadOf,
  projectAccessChanged,
  STREAMS,
  userDeleted,
  type EventHandler,
  type Logger,
  type ProjectAccess,
  type ProjectAccessRecord,
} from '@psa/shared';
import { trusted, Types } from 'mongoose';
import type { TaskProgressModel } from './models/task-progress.model';
import type { TaskModel } from './models/task.model';

export interface ProjectAccessHandlerDeps {
  tasks: TaskModel;
  progress: TaskProgressModel;
  access: ProjectAccess;
  logger: Logger;
}

/**
 * Brings a project's tasks in line with who may see it now: all of them go with a deleted
 * project; an assignee who left it is unassigned. Works from the current record, not from the
 * event that led here, so running it again (a redelivery, an older snapshot) changes nothing more.
 */
export async function reconcileProjectTasks(
  { tasks, progress }: Pick<ProjectAccessHandlerDeps, 'tasks' | 'progress'>,
  record: ProjectAccessRecord,
): Promise<void> {
  const projectId = record._id;
  if (record.deleted) {
    await tasks.deleteMany({ projectId }).exec();
    await progress.deleteOne({ _id: projectId }).exec();
    return;
  }
  const onProject = [...record.memberIds, ...(record.managerId ? [record.managerId] : [])];
  await tasks
    .updateMany(
      { projectId, assigneeId: trusted({ $nin: onProject, $ne: null }) },
      { $set: { assigneeId: null } },
    )
    .exec();
}

/**
 * The tasks service's event consumers, by stream: project access snapshots feed the read model
 * (then the project's tasks are reconciled with it), and a deleted user's tasks are unassigned.
 * Other event types are ignored. A handler that throws leaves its event to be delivered again.
 */
export function taskEventHandlers(deps: ProjectAccessHandlerDeps): Record<string, EventHandler> {
  const { tasks, access, logger } = deps;
  return {
    [STREAMS.projects]: async (event) => {
      const snapshot = payloadOf(projectAccessChanged, event, logger);
      if (!snapshot) return;
      await reconcileProjectTasks(deps, await access.apply(snapshot));
    },
    [STREAMS.users]: async (event) => {
      const payload = payloadOf(userDeleted, event, logger);
      if (!payload) return;
      await tasks
        .updateMany(
          { assigneeId: new Types.ObjectId(payload.userId) },
          { $set: { assigneeId: null } },
        )
        .exec();
    },
  };
}
