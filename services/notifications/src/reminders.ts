import { Pulse, type Job } from '@pulsecron/pulse';
import type { Logger, ProjectAccess } from '@psa/shared';
import { Types } from 'mongoose';
import type { NotificationKind } from './models/notification.model';
import type { TaskScheduleModel, TaskScheduleRecord } from './models/task-schedule.model';
import type { NotificationsDomain } from './notifications-domain';
import type { ReminderScheduler } from './notification-events';
import { isOnLiveProject, recipients } from './notifications.policy';

/** The one job name: a reminder of one kind for one task and due date. */
const REMINDER_JOB = 'task-reminder';
type ReminderKind = Extract<NotificationKind, 'TASK_DUE_SOON' | 'TASK_OVERDUE'>;

interface ReminderData {
  taskId: string;
  kind: ReminderKind;
  /** The due date the reminder is for, in ms: a moved due date makes it stale. */
  dueMs: number;
}

export interface RemindersOptions {
  /** The service's MongoDB URL and database: the jobs live in its `reminder_jobs` collection. */
  mongoUrl: string;
  dbName: string;
  /** How often due jobs are looked for (REMINDER_POLL_MS). */
  pollMs: number;
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
 * MongoDB: each task's due date arms two delayed jobs (TASK_DUE_SOON at due − 24 h, TASK_OVERDUE
 * at due). A job is locked by one process at a time (findOneAndUpdate on `lockedAt`), so with
 * several replicas one runs it; the notification it creates is keyed by kind, task, due date and
 * recipient, so a job run again (a replica died mid-run, a lock expired) tells no one twice.
 */
export class Reminders implements ReminderScheduler {
  private readonly pulse: Pulse;

  constructor(private readonly options: RemindersOptions) {
    this.pulse = new Pulse({
      name: `notifications-${process.pid}`,
      db: { address: databaseUrl(options.mongoUrl, options.dbName), collection: 'reminder_jobs' },
      processEvery: `${options.pollMs} milliseconds`,
      // A job a replica was running when it died is taken again by another after a minute;
      // unlocking "unfinished" jobs at start-up would take them from a replica still running them.
      defaultLockLifetime: 60_000,
      resumeOnRestart: false,
    });
    this.pulse.define<ReminderData>(REMINDER_JOB, (job: Job<ReminderData>) => this.run(job), {
      concurrency: 5,
      lockLifetime: 60_000,
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
   * Arms `task`'s reminders for its due date (an open task with one); the reminders of an
   * earlier due date find it moved and do nothing. A redelivered event finds its jobs there.
   */
  async arm(task: TaskScheduleRecord): Promise<void> {
    const taskId = task._id.toHexString();
    if (task.deleted || task.status === 'DONE' || !task.dueDate) {
      await this.pulse.cancel({ name: REMINDER_JOB, 'data.taskId': taskId });
      return;
    }
    const dueMs = task.dueDate.getTime();
    // Reminders of another due date are stale: they would find it moved.
    await this.pulse.cancel({
      name: REMINDER_JOB,
      'data.taskId': taskId,
      'data.dueMs': { $ne: dueMs },
    });
    const now = Date.now();
    if (dueMs > now)
      await this.save({ taskId, kind: 'TASK_DUE_SOON', dueMs }, dueMs - this.options.dueSoonMs);
    await this.save({ taskId, kind: 'TASK_OVERDUE', dueMs }, dueMs);
  }

  private async save(data: ReminderData, atMs: number): Promise<void> {
    await this.pulse
      .create(REMINDER_JOB, data)
      .unique(
        { 'data.taskId': data.taskId, 'data.kind': data.kind, 'data.dueMs': data.dueMs },
        { insertOnly: true },
      )
      .schedule(new Date(Math.max(atMs, Date.now())))
      .save();
  }

  /** Sends one reminder when the task still stands as it was armed (open, same due date). */
  private async run(job: Job<ReminderData>): Promise<void> {
    const { taskId, kind, dueMs } = job.attrs.data;
    const task = await this.options.schedule
      .findById(new Types.ObjectId(taskId))
      .lean<TaskScheduleRecord>()
      .exec();
    if (!task || task.deleted || task.status === 'DONE' || task.dueDate?.getTime() !== dueMs) {
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
      recipients(candidates, null).map((recipientId) => ({
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
    await job.remove();
  }
}
