import {
  allTasksDone,
  isDuplicateKeyError,
  STREAMS,
  toObjectId,
  type OutboxRelay,
} from '@psa/shared';
import { trusted } from 'mongoose';
import type { TaskProgressModel, TaskProgressRecord } from './models/task-progress.model';
import type { TaskModel } from './models/task.model';

/** The outbox topic of "a task of this project became DONE": `{projectId, actorId}` (hex ids). */
export const PROJECT_COMPLETION = 'project.completion';

/**
 * The relay of {@link PROJECT_COMPLETION}: when the project has tasks and none is open, flips its
 * progress to "all done" and announces `project.all-tasks-done`, numbered by `completion`. The
 * flip is atomic (false → true), so however many writers, sweeps and redeliveries relay the same
 * completion, one announces it; with tasks open it records "not all done" and announces nothing.
 */
export function projectCompletionRelay(tasks: TaskModel, progress: TaskProgressModel): OutboxRelay {
  return async (data) => {
    const projectId = toObjectId(String(data.projectId));
    const actorId = toObjectId(String(data.actorId));
    if (!projectId || !actorId) return [];
    const [total, open] = await Promise.all([
      tasks.countDocuments({ projectId }).exec(),
      tasks.countDocuments({ projectId, status: trusted({ $ne: 'DONE' }) }).exec(),
    ]);
    if (total === 0 || open > 0) {
      if (open > 0) {
        await progress.updateOne({ _id: projectId }, { $set: { allDone: false } }).exec();
      }
      return [];
    }
    let flipped: TaskProgressRecord | null;
    try {
      flipped = await progress
        .findOneAndUpdate(
          { _id: projectId, allDone: trusted({ $ne: true }) },
          { $set: { allDone: true }, $inc: { completion: 1 } },
          { upsert: true, returnDocument: 'after' },
        )
        .lean<TaskProgressRecord>()
        .exec();
    } catch (error) {
      // A racing relay upserted the document first (and flipped it): this completion is theirs.
      if (isDuplicateKeyError(error)) return [];
      throw error;
    }
    if (!flipped) return [];
    // A task created between the count and the flip: the project is not done after all, and the
    // flag goes back so its real completion is announced (that completion number stays unused).
    const stillOpen = await tasks
      .countDocuments({ projectId, status: trusted({ $ne: 'DONE' }) })
      .exec();
    if (stillOpen > 0) {
      await progress
        .updateOne({ _id: projectId, completion: flipped.completion }, { $set: { allDone: false } })
        .exec();
      return [];
    }
    return [
      {
        stream: STREAMS.tasks,
        type: allTasksDone.type,
        data: {
          projectId: projectId.toHexString(),
          total,
          completion: flipped.completion,
          actorId: actorId.toHexString(),
        },
      },
    ];
  };
}
