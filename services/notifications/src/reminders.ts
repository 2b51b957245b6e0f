import { Pulse, type Job } from '@pulsecron/pulse';
import type { Logger, ProjectAccess } from '@psa/shared';
import { Types } from 'mongoose';
import type { NotificationKind } from './models/notification.model';
import type { TaskScheduleModel, TaskScheduleRecord } from './models/task-schedule.model';
import type { NotificationsDomain } from './notifications-domain';
import type { ReminderScheduler } from './notification-events';
import { isOnLiveProject, recipients } from './notifications.policy';
import { pulseInterval } from './pulse-interval';

/** The one job name: a reminder of one kind for one task and due date. */
const REMINDER_JOB = 'task-reminder';
type ReminderKind = Extract<NotificationKind, 'TASK_DUE_SOON' | 'TASK_OVERDUE'>;

interface ReminderData {
  taskId: string;
  kind: ReminderKind;
  /** The due date the reminder is for, in ms: a moved due date makes it stale. */
  dueMs: number;
  /** The assignee it is for: another assignee makes it stale. */
  assigneeId: string;
  /**
   * Who made the change that armed it when its moment had already come (a due date set in the
   * past or within the window, an assignment then): they are not told of what they caused.
   */
  causedBy: string | null;
}

/** A failed run (the database unreachable a moment) is tried this often more, 5 s apart and doubling. */
const RETRIES = 5;
const RETRY_DELAY_MS = 5_000;

export interface RemindersOptions {
  /** The service's MongoDB URL and database: the jobs live in its `reminder_jobs` collection. */
  mongoUrl: string;
  dbName: string;
  /** How often jobs due within the next interval are looked for (REMINDER_POLL_MS). */
  pollMs: number;
  /** How long a process holds the jobs it took (REMINDER_LOCK_MS), longer than `pollMs`. */
  lockMs: number;
  /** How long before the due date TASK_DUE_SOON is sent (TASK_DUE_SOON_HOURS), ms. */
  dueSoonMs: number;
  schedule: TaskScheduleModel;
  access: ProjectAccess;
  domain: NotificationsDomain;
  logger: Logger;
}

/** `mongoUrl` naming database `dbName` (its path), options kept. */
export function databaseUrl(mongoUrl: string, dbName: string): string {
  const url = new URL(mongoUrl);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/**
 * Task reminders as jobs of Pulse (a maintained fork of Agenda, ADR 0016) in the service's own
 * MongoDB: an open, assigned task's due date arms two delayed jobs (TASK_DUE_SOON at due − the
 * window, TASK_OVERDUE at due). Every `pollMs` a process takes (locks) the jobs due within the
 * next interval and runs each at its moment; a job is locked by one process at a time
 * (findOneAndUpdate on `lockedAt`), so with several replicas one runs it. A job that ran stays,
 * finished, so the same due date and assignee arm nothing again; the notification it creates is
 * keyed by kind, task, due date and recipient, so a job run again (a replica died mid-run, a lock
 * expired) tells no one twice.
 */
export class Reminders implements ReminderScheduler {
  private readonly pulse: Pulse;

  constructor(private readonly options: RemindersOptions) {
    this.pulse = new Pulse({
      name: `notifications-${process.pid}`,
      db: { address: databaseUrl(options.mongoUrl, options.dbName), collection: 'reminder_jobs' },
      processEvery: pulseInterval(options.pollMs),
      // A job a replica took and then died holding is taken by another once its lock expires;
      // unlocking "unfinished" jobs at start-up would take them from a replica still running them.
      defaultLockLifetime: options.lockMs,
      resumeOnRestart: false,
    });
    this.pulse.define<ReminderData>(REMINDER_JOB, (job: Job<ReminderData>) => this.run(job), {
      concurrency: 5,
      lockLifetime: options.lockMs,
      attempts: RETRIES,
      backoff: { type: 'exponential', delay: RETRY_DELAY_MS },
    });
    this.pulse.on('error', (error: unknown) =>
      options.logger.warn({ err: error }, 'reminder scheduler error'),
    );
  }

  /** Starts running due reminders (resolves once connected). */
  async start(): Promise<void> {
    await this.pulse.start();
  }

  /** Stops taking jobs, hands back those it had locked, and closes its connection. */
  async stop(): Promise<void> {
    await this.pulse.stop().catch(() => undefined);
    await this.pulse.close({ force: true }).catch(() => undefined);
  }

  /**
   * Arms `task`'s reminders for its due date and assignee (an open, assigned task with a due
   * date; any other has none), after a change by user `actorId`. Reminders of another due date
   * or assignee are cancelled; those of this one are kept as they are (pending or sent), so a
   * redelivered event or an unrelated change arms nothing twice.
   */
  async arm(task: TaskScheduleRecord, actorId: string | null): Promise<void> {
    const taskId = task._id.toHexString();
    if (task.deleted || task.status === 'DONE' || !task.dueDate || !task.assigneeId) {
      await this.pulse.cancel({ name: REMINDER_JOB, 'data.taskId': taskId });
      return;
    }
    const dueMs = task.dueDate.getTime();
    const assigneeId = task.assigneeId.toHexString();
    await this.pulse.cancel({
      name: REMINDER_JOB,
      'data.taskId': taskId,
      $or: [{ 'data.dueMs': { $ne: dueMs } }, { 'data.assigneeId': { $ne: assigneeId } }],
    });
    const armed = { taskId, dueMs, assigneeId };
    // No TASK_DUE_SOON for a task already overdue: TASK_OVERDUE says it.
    if (dueMs > Date.now()) {
      await this.save(
        { ...armed, kind: 'TASK_DUE_SOON', causedBy: null },
        dueMs - this.options.dueSoonMs,
        actorId,
      );
    }
    await this.save({ ...armed, kind: 'TASK_OVERDUE', causedBy: null }, dueMs, actorId);
  }

  /** Saves the job unless it exists; one whose moment has come is caused by `actorId`. */
  private async save(data: ReminderData, atMs: number, actorId: string | null): Promise<void> {
    const now = Date.now();
    await this.pulse
      .create(REMINDER_JOB, { ...data, causedBy: atMs <= now ? actorId : null })
      .unique(
        {
          'data.taskId': data.taskId,
          'data.kind': data.kind,
          'data.dueMs': data.dueMs,
          'data.assigneeId': data.assigneeId,
        },
        { insertOnly: true },
      )
      .schedule(new Date(Math.max(atMs, now)))
      .save();
  }

  /**
   * Sends one reminder when the task still stands as it was armed (open, same due date and
   * assignee); a stale job is removed. A run that throws is tried again ({@link RETRIES}).
   */
  private async run(job: Job<ReminderData>): Promise<void> {
    const { taskId, kind, dueMs, assigneeId, causedBy } = job.attrs.data;
    const task = await this.options.schedule
      .findById(new Types.ObjectId(taskId))
      .lean<TaskScheduleRecord>()
      .exec();
    if (
      !task ||
      task.deleted ||
      task.status === 'DONE' ||
      task.dueDate?.getTime() !== dueMs ||
      task.assigneeId?.toHexString() !== assigneeId
    ) {
      await job.remove();
      return;
    }
    const access = await this.options.access.find(task.projectId);
    const candidates = [
      task.assigneeId,
      ...(kind === 'TASK_OVERDUE' && access?.managerId ? [access.managerId] : []),
    ].filter((id): id is Types.ObjectId => id !== null && isOnLiveProject(access, id));
    const due = new Date(dueMs).toISOString();
    await this.options.domain.notify(
      recipients(candidates, causedBy).map((recipientId) => ({
        recipientId,
        kind,
        message:
          kind === 'TASK_DUE_SOON'
            ? `The task "${task.title}" is due ${due}`
            : `The task "${task.title}" is overdue (it was due ${due})`,
        projectId: task.projectId,
        taskId: task._id,
        key: `${kind}:${taskId}:${dueMs}:${recipientId.toHexString()}`,
      })),
    );
  }
}
