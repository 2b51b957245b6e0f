import {
  budgetThreshold,
  documentShared,
  memberAdded,
  payloadOf,
  projectAccessChanged,
  statusUpdatePosted,
  STREAMS,
  taskChanged,
  timesheetApproved,
  timesheetRejected,
  timesheetSubmitted,
  userDeleted,
  type DomainEvent,
  type EventHandler,
  type Logger,
  type ProjectAccess,
  type TaskChanged,
} from '@psa/shared';
import { Types } from 'mongoose';
import type { TaskScheduleModel, TaskScheduleRecord } from './models/task-schedule.model';
import type { NotificationDraft, NotificationsDomain } from './notifications-domain';
import { projectAudience, projectManager, recipients } from './notifications.policy';

/** Arms a task's reminders for its current state (see reminders.ts). */
export interface ReminderScheduler {
  arm(task: TaskScheduleRecord): Promise<void>;
}

export interface NotificationEventDeps {
  domain: NotificationsDomain;
  access: ProjectAccess;
  schedule: TaskScheduleModel;
  reminders: ReminderScheduler;
  logger: Logger;
}

const oid = (hex: string): Types.ObjectId => new Types.ObjectId(hex);

/** One draft per recipient, keyed by the event (a redelivery creates nothing more). */
const draftsFor = (
  event: DomainEvent,
  to: Types.ObjectId[],
  draft: Omit<NotificationDraft, 'recipientId' | 'key'>,
): NotificationDraft[] =>
  to.map((recipientId) => ({
    ...draft,
    recipientId,
    key: `${event.id}:${recipientId.toHexString()}`,
  }));

/**
 * Keeps the newest state of a task (by `version`) and returns it as it now stands; null when a
 * newer state was kept already.
 */
async function keepTask(
  schedule: TaskScheduleModel,
  task: TaskChanged,
): Promise<TaskScheduleRecord | null> {
  const _id = oid(task.taskId);
  const fields = {
    projectId: oid(task.projectId),
    title: task.title,
    status: task.status,
    assigneeId: task.assigneeId ? oid(task.assigneeId) : null,
    dueDate: task.dueDate ? new Date(task.dueDate) : null,
    version: task.version,
    deleted: task.change === 'deleted',
  };
  const current = await schedule.findById(_id).lean<TaskScheduleRecord>().exec();
  if (current && (current.deleted || current.version > task.version)) return null;
  await schedule.updateOne({ _id }, { $set: fields }, { upsert: true }).exec();
  return { _id, ...fields };
}

/**
 * The service's event consumers, by stream: project access feeds the read model (so what a user
 * may no longer see is hidden); the other events become notifications for the recipients the
 * policy names; task changes also arm the task's reminders. A handler that throws leaves its
 * event to be delivered again: notifications are keyed by event, so nothing is told twice.
 */
export function notificationEventHandlers(
  deps: NotificationEventDeps,
): Record<string, EventHandler> {
  const { domain, access, logger } = deps;
  return {
    [STREAMS.projects]: async (event) => {
      const snapshot = payloadOf(projectAccessChanged, event, logger);
      if (snapshot) {
        await access.apply(snapshot);
        return;
      }
      const added = payloadOf(memberAdded, event, logger);
      if (added) {
        await domain.notify(
          draftsFor(event, recipients([added.userId], added.actorId), {
            kind: 'MEMBER_ADDED',
            message: `You were added to the project "${added.projectName}"`,
            projectId: oid(added.projectId),
            actorId: oid(added.actorId),
          }),
        );
        return;
      }
      const posted = payloadOf(statusUpdatePosted, event, logger);
      if (posted) {
        const audience = projectAudience(await access.find(posted.projectId));
        await domain.notify(
          draftsFor(event, recipients(audience, posted.actorId), {
            kind: 'STATUS_UPDATE_POSTED',
            message: `${posted.automatic ? 'Automatic update' : 'Status update'} on "${posted.projectName}": ${posted.message}`,
            projectId: oid(posted.projectId),
            actorId: oid(posted.actorId),
          }),
        );
      }
    },
    [STREAMS.tasks]: async (event) => {
      const change = payloadOf(taskChanged, event, logger);
      if (!change) return;
      const kept = await keepTask(deps.schedule, change);
      if (kept) await deps.reminders.arm(kept);
      const newlyAssigned =
        change.assigneeId !== null &&
        change.assigneeId !== change.previousAssigneeId &&
        (change.change === 'created' || change.change === 'assigned');
      if (!newlyAssigned) return;
      await domain.notify(
        draftsFor(event, recipients([change.assigneeId], change.actorId), {
          kind: 'TASK_ASSIGNED',
          message: `You were assigned the task "${change.title}"`,
          projectId: oid(change.projectId),
          taskId: oid(change.taskId),
          actorId: oid(change.actorId),
        }),
      );
    },
    [STREAMS.time]: async (event) => {
      const crossing = payloadOf(budgetThreshold, event, logger);
      if (crossing) {
        const manager = projectManager(await access.find(crossing.projectId));
        await domain.notify(
          draftsFor(event, recipients(manager, crossing.actorId), {
            kind: 'BUDGET_THRESHOLD',
            message: `${crossing.percentUsed}% of the project's budget is used (threshold ${crossing.threshold}%)`,
            projectId: oid(crossing.projectId),
            actorId: oid(crossing.actorId),
          }),
        );
        return;
      }
      const submitted = payloadOf(timesheetSubmitted, event, logger);
      if (submitted) {
        const manager = projectManager(await access.find(submitted.projectId));
        await domain.notify(
          draftsFor(event, recipients(manager, submitted.actorId), {
            kind: 'TIMESHEET_SUBMITTED',
            message: `A timesheet for the week of ${submitted.weekStart} awaits your approval`,
            projectId: oid(submitted.projectId),
            actorId: oid(submitted.actorId),
          }),
        );
        return;
      }
      const approved = payloadOf(timesheetApproved, event, logger);
      const rejected = approved ? null : payloadOf(timesheetRejected, event, logger);
      const decided = approved ?? rejected;
      if (!decided) return;
      await domain.notify(
        draftsFor(event, recipients([decided.userId], decided.actorId), {
          kind: approved ? 'TIMESHEET_APPROVED' : 'TIMESHEET_REJECTED',
          message: approved
            ? `Your timesheet for the week of ${decided.weekStart} was approved`
            : `Your timesheet for the week of ${decided.weekStart} was rejected: ${decided.reason}`,
          projectId: oid(decided.projectId),
          actorId: oid(decided.actorId),
        }),
      );
    },
    [STREAMS.documents]: async (event) => {
      const shared = payloadOf(documentShared, event, logger);
      if (!shared) return;
      await domain.notify(
        draftsFor(event, recipients([shared.userId], shared.actorId), {
          kind: 'DOCUMENT_SHARED',
          message: `The document "${shared.title}" was shared with you`,
          // The share itself lets them read it, on the project or not: no project to hide it by.
          documentId: oid(shared.documentId),
          actorId: oid(shared.actorId),
        }),
      );
    },
    [STREAMS.users]: async (event) => {
      const gone = payloadOf(userDeleted, event, logger);
      if (gone) await domain.forgetUser(oid(gone.userId));
    },
  };
}
