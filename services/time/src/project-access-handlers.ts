import {
  payloadOf,
  isDuplicateKeyError,
  projectAccessChanged,
  STREAMS,
  taskChanged,
  userDeleted,
  type EventHandler,
  type Logger,
  type ProjectAccess,
  type ProjectAccessRecord,
  type TaskChanged,
} from '@psa/shared';
import { trusted, Types } from 'mongoose';
import type { BillingRateModel } from './models/billing-rate.model';
import type { DayTotalModel } from './models/day-total.model';
import { monthOf } from './calendar';
import type { ProjectDayModel } from './models/project-day.model';
import type { ProjectMonthModel } from './models/project-month.model';
import type { ProjectLedgerModel } from './models/project-ledger.model';
import type { ProjectTaskModel } from './models/project-task.model';
import type { TimeEntryModel } from './models/time-entry.model';
import type { TimerModel } from './models/timer.model';
import type { TimesheetModel, TimesheetRecord } from './models/timesheet.model';

export interface ProjectAccessHandlerDeps {
  entries: TimeEntryModel;
  sheets: TimesheetModel;
  timers: TimerModel;
  rates: BillingRateModel;
  ledgers: ProjectLedgerModel;
  dayTotals: DayTotalModel;
  projectDays: ProjectDayModel;
  projectMonths: ProjectMonthModel;
  projectTasks: ProjectTaskModel;
  access: ProjectAccess;
  logger: Logger;
}

/**
 * Removes a deleted project's time, except approved weeks: those are billing records and stay
 * (with the rates and totals that price them), readable by admins (ADR 0011). The projects
 * service refuses to delete a project it knows has approved time; what was approved while the
 * deletion was under way is kept here all the same. What each run removes is taken off the
 * user's days (the 24-hour limit) and the project's day and month rows, so these keep counting
 * exactly the kept entries (utilization reads them), and a redelivery finds nothing more to
 * remove.
 */
async function removeProjectTime(deps: ProjectAccessHandlerDeps, projectId: Types.ObjectId) {
  const { entries, sheets, timers, rates, ledgers, dayTotals, projectDays, projectMonths } = deps;
  await timers.deleteMany({ projectId }).exec();
  const approved = await sheets
    .find({ projectId, status: 'APPROVED' })
    .select({ userId: 1, weekStart: 1 })
    .lean<Pick<TimesheetRecord, 'userId' | 'weekStart'>[]>()
    .exec();
  const kept = approved.map(({ userId, weekStart }) => ({ userId, weekStart }));
  const removable = kept.length ? { projectId, $nor: kept } : { projectId };
  const days = await entries
    .aggregate<{
      _id: { userId: Types.ObjectId; date: string };
      minutes: number;
      billableMinutes: number;
      ids: Types.ObjectId[];
    }>([
      { $match: removable },
      {
        $group: {
          _id: { userId: '$userId', date: '$date' },
          minutes: { $sum: '$minutes' },
          billableMinutes: { $sum: { $cond: ['$billable', '$minutes', 0] } },
          ids: { $push: '$_id' },
        },
      },
    ])
    .exec();
  for (const day of days) {
    const { deletedCount } = await entries.deleteMany({ _id: trusted({ $in: day.ids }) }).exec();
    // Only what this run removed is given back (a concurrent run removed the rest).
    if (deletedCount === day.ids.length) {
      const { userId, date } = day._id;
      const key = `${projectId.toHexString()}:${userId.toHexString()}`;
      const counts = { $inc: { minutes: -day.minutes, billableMinutes: -day.billableMinutes } };
      await dayTotals
        .updateOne({ _id: `${userId.toHexString()}:${date}` }, { $inc: { minutes: -day.minutes } })
        .exec();
      await projectDays.updateOne({ _id: `${key}:${date}` }, counts).exec();
      await projectMonths.updateOne({ _id: `${key}:${monthOf(date)}` }, counts).exec();
    }
  }
  await sheets.deleteMany({ projectId, status: trusted({ $ne: 'APPROVED' }) }).exec();
  if (kept.length === 0) {
    await rates.deleteMany({ projectId }).exec();
    await ledgers.deleteOne({ _id: projectId }).exec();
    await projectDays.deleteMany({ projectId }).exec();
    await projectMonths.deleteMany({ projectId }).exec();
  }
}

/**
 * Brings a project's time in line with who may see it now: a deleted project's time goes (but
 * approved weeks); the running timers of those who left it are discarded. Their entries stay:
 * they are records of work done, which the manager still sees. Works from the current record, so
 * running it again changes nothing more.
 */
export async function reconcileProjectTime(
  deps: ProjectAccessHandlerDeps,
  record: ProjectAccessRecord,
): Promise<void> {
  const projectId = record._id;
  if (record.deleted) {
    await removeProjectTime(deps, projectId);
    return;
  }
  const onProject = [...record.memberIds, ...(record.managerId ? [record.managerId] : [])];
  await deps.timers.deleteMany({ projectId, userId: trusted({ $nin: onProject }) }).exec();
}

/**
 * Records which project a task is of, keeping the newest state whatever the delivery order. A
 * deletion is final: no later-delivered older state brings the task back.
 */
async function recordTask(projectTasks: ProjectTaskModel, task: TaskChanged): Promise<void> {
  const _id = new Types.ObjectId(task.taskId);
  const fields = { projectId: new Types.ObjectId(task.projectId), version: task.version };
  if (task.change === 'deleted') {
    await projectTasks
      .updateOne({ _id }, { $set: { ...fields, deleted: true } }, { upsert: true })
      .exec();
    return;
  }
  try {
    await projectTasks
      .updateOne(
        { _id, deleted: false, version: trusted({ $lt: task.version }) },
        { $set: { ...fields, deleted: false } },
        { upsert: true },
      )
      .exec();
  } catch (error) {
    // A newer state (or the deletion) is recorded: the filter missed it and the upsert collided.
    if (!isDuplicateKeyError(error)) throw error;
  }
}

/**
 * The time service's event consumers, by stream: project access snapshots feed the read model
 * (then the project's time is reconciled with it); task changes tell which project a task is of; a deleted user's running timer is discarded
 * while their entries and timesheets stay, as billing records (ADR 0011). A handler that throws
 * leaves its event to be delivered again.
 */
export function timeEventHandlers(deps: ProjectAccessHandlerDeps): Record<string, EventHandler> {
  const { access, logger } = deps;
  return {
    [STREAMS.projects]: async (event) => {
      const snapshot = payloadOf(projectAccessChanged, event, logger);
      if (!snapshot) return;
      await reconcileProjectTime(deps, await access.apply(snapshot));
    },
    [STREAMS.tasks]: async (event) => {
      const task = payloadOf(taskChanged, event, logger);
      if (!task) return;
      await recordTask(deps.projectTasks, task);
    },
    [STREAMS.users]: async (event) => {
      const payload = payloadOf(userDeleted, event, logger);
      if (!payload) return;
      await deps.timers.deleteMany({ userId: new Types.ObjectId(payload.userId) }).exec();
    },
  };
}
