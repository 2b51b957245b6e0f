import type { DomainEvent, ProjectAccess, TaskChanged } from '@psa/shared';
import { Types } from 'mongoose';
import type { TaskScheduleModel, TaskScheduleRecord } from './models/task-schedule.model';
import type { Heard, HeardListener } from './heard-events';
import type { NotificationDraft, NotificationsDomain } from './notifications-domain';
import { projectAudience, projectManager, recipients } from './notifications.policy';

/** Arms a task's reminders for its current state after a change by `actorId` (see reminders.ts). */
export interface ReminderScheduler {
  arm(task: TaskScheduleRecord, actorId: string | null): Promise<void>;
}

export interface NotificationEventDeps {
  domain: NotificationsDomain;
  access: ProjectAccess;
  schedule: TaskScheduleModel;
  reminders: ReminderScheduler;
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
 * What the service makes of each event: project access feeds the read model (so what a user may
 * no longer see is hidden); a share taken back or a deleted document removes the notifications
 * about it that its readers can no longer follow; the other events become notifications for the recipients the policy
 * names; task changes also arm the task's reminders. A listener that throws leaves its event to be
 * delivered again: notifications are keyed by event, so nothing is told twice.
 */
export function notificationListener(deps: NotificationEventDeps): HeardListener {
  const { domain, access } = deps;
  return async (heard: Heard, event: DomainEvent) => {
    switch (heard.type) {
      case 'project.access-changed': {
        await access.apply(heard.data);
        return;
      }
      case 'project.member-added': {
        const added = heard.data;
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
      case 'status-update.posted': {
        const posted = heard.data;
        const audience = projectAudience(await access.find(posted.projectId));
        await domain.notify(
          draftsFor(event, recipients(audience, posted.actorId), {
            kind: 'STATUS_UPDATE_POSTED',
            message: `${posted.automatic ? 'Automatic update' : 'Status update'} on "${posted.projectName}": ${posted.message}`,
            projectId: oid(posted.projectId),
            actorId: oid(posted.actorId),
          }),
        );
        return;
      }
      case 'task.changed': {
        const change = heard.data;
        const kept = await keepTask(deps.schedule, change);
        if (kept) await deps.reminders.arm(kept, change.actorId);
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
        return;
      }
      case 'budget.threshold': {
        const crossing = heard.data;
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
      case 'timesheet.submitted': {
        const submitted = heard.data;
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
      case 'timesheet.approved':
      case 'timesheet.rejected': {
        const decided = heard.data;
        const approved = heard.type === 'timesheet.approved';
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
        return;
      }
      case 'document.shared': {
        const shared = heard.data;
        await domain.notify(
          draftsFor(event, recipients([shared.userId], shared.actorId), {
            kind: 'DOCUMENT_SHARED',
            message: `The document "${shared.title}" was shared with you`,
            // The share itself lets them read it, on the project or not: no project to hide it by.
            documentId: oid(shared.documentId),
            actorId: oid(shared.actorId),
          }),
        );
        return;
      }
      // What the recipient may no longer read goes from their list: a share taken back, a
      // deleted document.
      case 'document.unshared': {
        await domain.forgetShare(oid(heard.data.userId), oid(heard.data.documentId));
        return;
      }
      case 'document.deleted': {
        await domain.forgetDocument(oid(heard.data.documentId));
        return;
      }
      case 'user.deleted': {
        await domain.forgetUser(oid(heard.data.userId));
        return;
      }
      // Webhooks only: no one is notified of these.
      case 'project.created':
      case 'project.updated':
      case 'project.member-removed':
      case 'document.created':
        return;
    }
  };
}
