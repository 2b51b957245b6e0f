import {
  allOf,
  payloadOf,
  projectAccessChanged,
  STREAMS,
  userDeleted,
  type EventHandler,
  type Logger,
  type ProjectAccess,
  type ProjectAccessRecord,
} from '@psa/shared';
import { trusted, Types, type QueryFilter } from 'mongoose';
import type { TaskProgressModel } from './models/task-progress.model';
import type { TaskModel, TaskRecord } from './models/task.model';
import type { TaskEventRecorder } from './task-event-recorder';

export interface ProjectAccessHandlerDeps {
  tasks: TaskModel;
  progress: TaskProgressModel;
  access: ProjectAccess;
  /** Records and publishes each task the handlers unassign. */
  changes: TaskEventRecorder;
  logger: Logger;
}

/**
 * Unassigns the tasks matching `filter`, one at a time and each only while it still matches, and
 * records every task it changed (UPDATED). One write per task rather than one `updateMany`, so
 * subscribers learn exactly which tasks changed; a task changed meanwhile, or by an earlier run of
 * the same handler, is neither written nor announced again.
 */
async function unassignTasks(
  { tasks, changes }: Pick<ProjectAccessHandlerDeps, 'tasks' | 'changes'>,
  filter: QueryFilter<TaskRecord>,
): Promise<void> {
  const candidates = await tasks
    .find(filter)
    .select({ _id: 1 })
    .lean<Pick<TaskRecord, '_id'>[]>()
    .exec();
  for (const { _id } of candidates) {
    const unassigned = await tasks
      .findOneAndUpdate(
        allOf<TaskRecord>([{ _id }, filter]),
        { $set: { assigneeId: null } },
        { returnDocument: 'after' },
      )
      .lean<TaskRecord>()
      .exec();
    if (unassigned) await changes.record('UPDATED', unassigned);
  }
}

/**
 * Brings a project's tasks in line with who may see it now: all of them go with a deleted
 * project; an assignee who left it is unassigned. Works from the current record, not from the
 * event that led here, so running it again (a redelivery, an older snapshot) changes nothing more.
 */
export async function reconcileProjectTasks(
  deps: Pick<ProjectAccessHandlerDeps, 'tasks' | 'progress' | 'changes'>,
  record: ProjectAccessRecord,
): Promise<void> {
  const { tasks, progress } = deps;
  const projectId = record._id;
  // No task events for a deleted project's tasks: the project is gone, and nobody may read them.
  if (record.deleted) {
    await tasks.deleteMany({ projectId }).exec();
    await progress.deleteOne({ _id: projectId }).exec();
    return;
  }
  const onProject = [...record.memberIds, ...(record.managerId ? [record.managerId] : [])];
  await unassignTasks(deps, { projectId, assigneeId: trusted({ $nin: onProject, $ne: null }) });
}

/**
 * The tasks service's event consumers, by stream: project access snapshots feed the read model
 * (then the project's tasks are reconciled with it), and a deleted user's tasks are unassigned.
 * Other event types are ignored. A handler that throws leaves its event to be delivered again.
 */
export function taskEventHandlers(deps: ProjectAccessHandlerDeps): Record<string, EventHandler> {
  const { access, logger } = deps;
  return {
    [STREAMS.projects]: async (event) => {
      const snapshot = payloadOf(projectAccessChanged, event, logger);
      if (!snapshot) return;
      await reconcileProjectTasks(deps, await access.apply(snapshot));
    },
    [STREAMS.users]: async (event) => {
      const payload = payloadOf(userDeleted, event, logger);
      if (!payload) return;
      await unassignTasks(deps, { assigneeId: new Types.ObjectId(payload.userId) });
    },
  };
}
