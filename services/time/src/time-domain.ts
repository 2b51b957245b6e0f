import type DataLoader from 'dataloader';
import {
  announce,
  timesheetApproved,
  timesheetRejected,
  timesheetSubmitted,
  allOf,
  BadUserInputError,
  callerObjectId,
  ConflictError,
  emptyConnection,
  ForbiddenError,
  isDuplicateKeyError,
  isOnProject,
  NotFoundError,
  oneOf,
  optionalId,
  optionalText,
  paginate,
  requiredId,
  requiredText,
  toObjectId,
  type Connection,
  type ConnectionArgs,
  type Identity,
  type Outbox,
  type ProjectAccess,
  type ProjectAccessModel,
  type ProjectAccessRecord,
} from '@psa/shared';
import { trusted, type QueryFilter, type Types } from 'mongoose';
import { BUDGET_CHECK, percentUsedOf, spentAmountOf, TIME_APPROVED } from './budget-automation';
import {
  addDays,
  calendarDay,
  dayOf,
  dayRange,
  isMonday,
  monthOf,
  planRange,
  weekdaysBetween,
  weekStartOf,
  type DaySpan,
} from './calendar';
import type { BillingRateModel, BillingRateRecord } from './models/billing-rate.model';
import type { DayTotalModel } from './models/day-total.model';
import type { ProjectDayModel } from './models/project-day.model';
import type { ProjectMonthModel } from './models/project-month.model';
import type { ProjectTaskModel } from './models/project-task.model';
import type { ProjectLedgerModel, ProjectLedgerRecord } from './models/project-ledger.model';
import type { TimeEntryModel, TimeEntryRecord } from './models/time-entry.model';
import type { TimerModel, TimerRecord } from './models/timer.model';
import {
  EDITABLE_STATUSES,
  TIMESHEET_STATUSES,
  type TimesheetModel,
  type TimesheetRecord,
  type TimesheetStatus,
} from './models/timesheet.model';
import { amountOf, currencyCode, priceOf, sumOf, type MoneyView } from './money';
import {
  assertMayChangeEntry,
  assertMayDecide,
  assertOwnTime,
  decidesEveryProject,
  mayReadProject,
  projectTimeReader,
  projectToLogOn,
  projectToPrice,
  readableRecord,
  seesAllTime,
} from './time.policy';

/** Most minutes one entry, and one user's day, may hold. */
export const DAY_MINUTES = 1_440;
const NOTE_MAX = 2_000;
const REASON_MAX = 2_000;
const MAX_BUDGET_MINUTES = 1_000_000_000;
const TIMER_LIMIT_MS = DAY_MINUTES * 60_000;

export interface LogTimeInput {
  projectId: string;
  taskId?: string | null;
  date: string;
  minutes: number;
  billable?: boolean | null;
  note?: string | null;
}

/** Absent fields are left alone. */
export interface UpdateTimeEntryInput {
  id: string;
  taskId?: string | null;
  date?: string | null;
  minutes?: number | null;
  billable?: boolean | null;
  note?: string | null;
}

export interface StartTimerInput {
  projectId: string;
  taskId?: string | null;
  note?: string | null;
  billable?: boolean | null;
}

export interface TimeEntryFilter {
  userId?: string | null;
  from?: string | null;
  to?: string | null;
  billable?: boolean | null;
  status?: TimesheetStatus | null;
}

export interface TimesheetFilter {
  status?: TimesheetStatus | null;
  projectId?: string | null;
}

export interface SetProjectBudgetInput {
  projectId: string;
  minutes?: number | null;
  amount?: string | null;
  currency?: string | null;
}

export interface SetBillingRateInput {
  projectId: string;
  userId?: string | null;
  hourlyRate: string;
  currency: string;
}

/** What the GraphQL layer resolves `ProjectBudget` from; money fields check `access` first. */
export interface BudgetView {
  access: ProjectAccessRecord;
  minutes: number | null;
  amount: MoneyView | null;
  spentMinutes: number;
  billableMinutes: number;
  spentAmount: MoneyView | null;
  percentUsed: number | null;
}

/** What the GraphQL layer resolves `TimeReportRow` from. */
export interface TimeReportRowView {
  access: ProjectAccessRecord;
  userId: Types.ObjectId;
  totalMinutes: number;
  billableMinutes: number;
  billableAmount: MoneyView | null;
}

/** What the GraphQL layer resolves `TimeReport` from. */
export interface TimeReportView {
  access: ProjectAccessRecord;
  from: string;
  to: string;
  totalMinutes: number;
  billableMinutes: number;
  billableAmount: MoneyView | null;
  byUser: TimeReportRowView[];
}

export interface UtilizationView {
  from: string;
  to: string;
  capacityMinutes: number;
  totalMinutes: number;
  billableMinutes: number;
  billableRatio: number;
}

/** Per-request lookups by id (hex). */
export type ProjectAccessLoader = DataLoader<string, ProjectAccessRecord | null>;
/** Timesheets by `<userId>:<projectId>:<weekStart>` (an entry's week). */
export type WeekLoader = DataLoader<string, TimesheetRecord | null>;

/** What the domain works on, shared by every request. */
export interface TimeStores {
  entries: TimeEntryModel;
  sheets: TimesheetModel;
  timers: TimerModel;
  rates: BillingRateModel;
  ledgers: ProjectLedgerModel;
  dayTotals: DayTotalModel;
  /** Minutes per project, user and day (the reports' edge days). */
  projectDays: ProjectDayModel;
  /** Minutes per project, user and month (the reports' whole months). */
  projectMonths: ProjectMonthModel;
  /** Which project each task is of (from the tasks service's events). */
  projectTasks: ProjectTaskModel;
  access: ProjectAccess;
  accessRecords: ProjectAccessModel;
  outbox: Outbox;
  /** Minutes of capacity per weekday (`User.utilization`). */
  capacityMinutesPerWeekday: number;
}

/** The key of an entry's week in the {@link WeekLoader}. */
export const weekKey = (userId: Types.ObjectId, projectId: Types.ObjectId, weekStart: string) =>
  `${userId.toHexString()}:${projectId.toHexString()}:${weekStart}`;

const dayKey = (userId: Types.ObjectId, date: string) => `${userId.toHexString()}:${date}`;

/** A user's summed minutes over a date range, as the roll-ups give them. */
interface RolledUp {
  userId: Types.ObjectId;
  total: number;
  billable: number;
}

function checkMinutes(raw: number, field: string): number {
  if (!Number.isInteger(raw) || raw < 1 || raw > DAY_MINUTES) {
    throw new BadUserInputError(`minutes must be a whole number from 1 to ${DAY_MINUTES}`, field);
  }
  return raw;
}

/** The earliest day time may be logged on for the project: a year before it was created. */
function earliestDay(projectId: Types.ObjectId): string {
  // Project ids are made when the project is created: the id's timestamp is its creation.
  const created = projectId.getTimestamp();
  created.setUTCFullYear(created.getUTCFullYear() - 1);
  return dayOf(created);
}

/** `date` when time may be logged on it for the project, else BAD_USER_INPUT naming `field`. */
function checkLoggableDay(rawDate: string, projectId: Types.ObjectId, field: string): string {
  const date = calendarDay(rawDate, field);
  // Tomorrow in UTC: every time zone's today is at most that.
  if (date > addDays(dayOf(new Date()), 1)) {
    throw new BadUserInputError('date must be at most tomorrow (UTC)', field);
  }
  if (date < earliestDay(projectId)) {
    throw new BadUserInputError('date must not be over a year before the project existed', field);
  }
  return date;
}

const money = (amount: string | null, currency: string | null): MoneyView | null =>
  amount !== null && currency ? { amount, currency } : null;

/**
 * The time service's rules, apart from GraphQL, for one request. Who may see a project comes from
 * the project access read model (through the request's DataLoader); every input is validated
 * before anything is written. Who may do what is the service's policy (`time.policy.ts`).
 *
 * Without transactions, writes that must hold together are ordered so a failure undoes what was
 * done: the day's total is reserved first (the 24-hour limit), the week claimed (its timesheet
 * must be editable), the entry written, the week checked again (a submission meanwhile undoes
 * the write), and only then the project's totals counted and the budget checked (outbox).
 */
export class TimeDomain {
  constructor(
    private readonly stores: TimeStores,
    private readonly accessOf: ProjectAccessLoader,
    private readonly weekOf: WeekLoader,
  ) {}

  // ---------------------------------------------------------------- entries

  /**
   * Logs `caller`'s time. Throws BAD_USER_INPUT naming the field at fault (and writes nothing),
   * NOT_FOUND for a project the caller may not see, FORBIDDEN for one they may not log on,
   * CONFLICT when the week is submitted or approved.
   */
  async logTime(caller: Identity, input: LogTimeInput): Promise<TimeEntryRecord> {
    const projectId = requiredId(input.projectId, 'input.projectId');
    const taskId = optionalId(input.taskId, 'input.taskId');
    const date = calendarDay(input.date, 'input.date');
    const minutes = checkMinutes(input.minutes, 'input.minutes');
    const billable = input.billable ?? true;
    const note = optionalText(input.note, 'input.note', NOTE_MAX);
    await this.loggableProject(caller, projectId);
    await this.checkTaskOf(projectId, taskId, 'input.taskId');
    checkLoggableDay(date, projectId, 'input.date');
    return this.writeEntry({
      userId: callerObjectId(caller),
      projectId,
      taskId,
      date,
      minutes,
      billable,
      note,
      actorId: callerObjectId(caller),
    });
  }

  /**
   * Changes an entry (its owner or an admin) of an OPEN or REJECTED week; moving it to another
   * week needs that week editable too. Same refusals as {@link logTime}.
   */
  async updateTimeEntry(caller: Identity, input: UpdateTimeEntryInput): Promise<TimeEntryRecord> {
    const id = requiredId(input.id, 'input.id');
    const entry = await this.changeableEntry(caller, id);
    const next = {
      taskId: input.taskId === undefined ? entry.taskId : optionalId(input.taskId, 'input.taskId'),
      date: entry.date,
      minutes: entry.minutes,
      billable: entry.billable,
      note:
        input.note === undefined ? entry.note : optionalText(input.note, 'input.note', NOTE_MAX),
    };
    if (next.taskId && !next.taskId.equals(entry.taskId ?? undefined)) {
      await this.checkTaskOf(entry.projectId, next.taskId, 'input.taskId');
    }
    if (input.date !== undefined) {
      if (input.date === null) throw new BadUserInputError('date cannot be null', 'input.date');
      next.date = checkLoggableDay(input.date, entry.projectId, 'input.date');
    }
    if (input.minutes !== undefined) {
      if (input.minutes === null) {
        throw new BadUserInputError('minutes cannot be null', 'input.minutes');
      }
      next.minutes = checkMinutes(input.minutes, 'input.minutes');
    }
    if (input.billable !== undefined) {
      if (input.billable === null) {
        throw new BadUserInputError('billable cannot be null', 'input.billable');
      }
      next.billable = input.billable;
    }
    const weekStart = weekStartOf(next.date);
    const sameDay = next.date === entry.date;
    // The new day's minutes first (the 24-hour limit); the old day's are given back at the end.
    const reserved = sameDay ? next.minutes - entry.minutes : next.minutes;
    if (reserved > 0) await this.reserveDay(entry.userId, next.date, reserved, 'input.minutes');
    const undoReservation = () =>
      reserved > 0 ? this.releaseDay(entry.userId, next.date, reserved) : Promise.resolve();
    let updated: TimeEntryRecord | null;
    try {
      const claims = [
        await this.claimWeek(entry.userId, entry.projectId, entry.weekStart, 'input.id'),
      ];
      if (weekStart !== entry.weekStart) {
        claims.push(await this.claimWeek(entry.userId, entry.projectId, weekStart, 'input.date'));
      }
      updated = await this.stores.entries
        .findOneAndUpdate(
          { _id: id, updatedAt: entry.updatedAt },
          { $set: { ...next, weekStart } },
          { returnDocument: 'after' },
        )
        .lean<TimeEntryRecord>()
        .exec();
      if (!updated) throw new ConflictError('The time entry changed meanwhile; reload it');
      if (!(await this.weeksStillClaimed(claims))) {
        const { _id, ...before } = entry;
        await this.stores.entries.updateOne({ _id }, { $set: before }).exec();
        throw new ConflictError('The week was submitted meanwhile: its entries are locked');
      }
    } catch (error) {
      await undoReservation();
      throw error;
    }
    if (sameDay && reserved < 0) await this.releaseDay(entry.userId, entry.date, -reserved);
    if (!sameDay) await this.releaseDay(entry.userId, entry.date, entry.minutes);
    await this.countingTime(entry.projectId, callerObjectId(caller), async () => {
      await this.countOnLedger(entry, -1);
      await this.countOnLedger(updated, 1);
    });
    return updated;
  }

  /** Deletes an entry (its owner or an admin) of an OPEN or REJECTED week. */
  async deleteTimeEntry(caller: Identity, rawId: string): Promise<boolean> {
    const id = requiredId(rawId, 'id');
    const entry = await this.changeableEntry(caller, id);
    const claim = await this.claimWeek(entry.userId, entry.projectId, entry.weekStart, 'id');
    const deleted = await this.stores.entries
      .findOneAndDelete({ _id: id })
      .lean<TimeEntryRecord>()
      .exec();
    if (!deleted) throw new NotFoundError('Time entry not found');
    if (!(await this.weeksStillClaimed([claim]))) {
      await this.stores.entries.collection.insertOne(deleted);
      throw new ConflictError('The week was submitted meanwhile: its entries are locked');
    }
    await this.releaseDay(deleted.userId, deleted.date, deleted.minutes);
    await this.countingTime(deleted.projectId, callerObjectId(caller), () =>
      this.countOnLedger(deleted, -1),
    );
    return true;
  }

  /** An entry `caller` may see (owner, the project's manager, admins); NOT_FOUND otherwise. */
  async visibleEntry(caller: Identity, rawId: string): Promise<TimeEntryRecord> {
    const id = toObjectId(rawId);
    const entry = id ? await this.stores.entries.findById(id).lean<TimeEntryRecord>().exec() : null;
    const access = entry ? await this.accessOf.load(entry.projectId.toHexString()) : null;
    return readableRecord(caller, entry, access, 'Time entry');
  }

  /** The status of an entry's week (OPEN when it has no timesheet yet). */
  async entryStatus(entry: TimeEntryRecord): Promise<TimesheetStatus> {
    const sheet = await this.weekOf.load(weekKey(entry.userId, entry.projectId, entry.weekStart));
    return sheet?.status ?? 'OPEN';
  }

  /**
   * A page of a project's entries matching `filter`: everyone's for its manager and admins, the
   * caller's own for a member. NOT_FOUND for a project they may not see, FORBIDDEN for a CLIENT.
   */
  async projectEntries(
    caller: Identity,
    rawProjectId: string,
    filter: TimeEntryFilter | null | undefined,
    args: ConnectionArgs,
  ): Promise<Connection<TimeEntryRecord>> {
    const conditions = this.entryConditions(filter);
    const access = projectTimeReader(caller, await this.accessOf.load(rawProjectId));
    const projectId = access._id;
    const own = seesAllTime(caller, access) ? null : callerObjectId(caller);
    conditions.push({ projectId });
    if (own) conditions.push({ userId: own });
    const byStatus = await this.statusCondition(filter, {
      projectId,
      ...(own ? { userId: own } : {}),
    });
    if (byStatus === false) return emptyConnection(args);
    if (byStatus) conditions.push(byStatus);
    return paginate(this.stores.entries, allOf(conditions), args);
  }

  /** A page of `userId`'s entries matching `filter` (their own, or an admin). FORBIDDEN otherwise. */
  async userEntries(
    caller: Identity,
    rawUserId: string,
    filter: TimeEntryFilter | null | undefined,
    args: ConnectionArgs,
  ): Promise<Connection<TimeEntryRecord>> {
    const userId = toObjectId(rawUserId);
    assertOwnTime(caller, userId);
    const conditions = this.entryConditions(filter);
    if (!userId) return emptyConnection(args);
    conditions.push({ userId });
    const byStatus = await this.statusCondition(filter, { userId });
    if (byStatus === false) return emptyConnection(args);
    if (byStatus) conditions.push(byStatus);
    return paginate(this.stores.entries, allOf(conditions), args);
  }

  /** Minutes logged on task `taskId`, of the projects `caller` may read. */
  async taskMinutes(caller: Identity, rawTaskId: string): Promise<number> {
    const taskId = toObjectId(rawTaskId);
    if (!taskId) return 0;
    const groups = await this.stores.entries
      .aggregate<{ _id: Types.ObjectId; minutes: number }>([
        { $match: { taskId } },
        { $group: { _id: '$projectId', minutes: { $sum: '$minutes' } } },
      ])
      .exec();
    let total = 0;
    for (const group of groups) {
      if (mayReadProject(caller, await this.accessOf.load(group._id.toHexString()))) {
        total += group.minutes;
      }
    }
    return total;
  }

  // ---------------------------------------------------------------- timers

  /** Starts `caller`'s timer on a project they may log on; CONFLICT when one runs already. */
  async startTimer(caller: Identity, input: StartTimerInput): Promise<TimerRecord> {
    const projectId = requiredId(input.projectId, 'input.projectId');
    const taskId = optionalId(input.taskId, 'input.taskId');
    const note = optionalText(input.note, 'input.note', NOTE_MAX);
    const billable = input.billable ?? true;
    await this.loggableProject(caller, projectId);
    await this.checkTaskOf(projectId, taskId, 'input.taskId');
    const userId = callerObjectId(caller);
    await this.stopExpiredTimerOf(userId);
    try {
      const created = await this.stores.timers.create({
        userId,
        projectId,
        taskId,
        note,
        billable,
        startedAt: new Date(),
      });
      return created.toObject<TimerRecord>();
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        throw new ConflictError('A timer is running already: stop it first');
      }
      throw error;
    }
  }

  /**
   * Stops `caller`'s timer into an entry on its start's date (minutes rounded up, at least 1, at
   * most what is left of that day). NOT_FOUND when none runs. A timer whose time cannot be logged
   * any more (the week was submitted, the day is full, the caller left the project) is discarded,
   * and the refusal says so.
   */
  async stopTimer(caller: Identity): Promise<TimeEntryRecord> {
    const userId = callerObjectId(caller);
    const timer = await this.stores.timers.findOne({ userId }).lean<TimerRecord>().exec();
    if (!timer) throw new NotFoundError('No timer is running');
    const stopped = await this.stopTimerRecord(timer, new Date());
    if ('entry' in stopped) return stopped.entry;
    throw stopped.refusal;
  }

  /** `userId`'s running timer, after stopping it if it ran past 24 hours. */
  async runningTimer(caller: Identity, rawUserId: string): Promise<TimerRecord | null> {
    const userId = toObjectId(rawUserId);
    assertOwnTime(caller, userId);
    if (!userId) return null;
    await this.stopExpiredTimerOf(userId);
    return this.stores.timers.findOne({ userId }).lean<TimerRecord>().exec();
  }

  /** Stops `userId`'s timer at 24 hours when it ran longer. */
  private async stopExpiredTimerOf(userId: Types.ObjectId): Promise<void> {
    const timer = await this.stores.timers
      .findOne({ userId, startedAt: trusted({ $lte: new Date(Date.now() - TIMER_LIMIT_MS) }) })
      .lean<TimerRecord>()
      .exec();
    if (timer)
      await this.stopTimerRecord(timer, new Date(timer.startedAt.getTime() + TIMER_LIMIT_MS));
  }

  /**
   * Stops `timer` at `stoppedAt` (at most 24 hours after it started): it is taken off first (so
   * two stops log once), then logged with the entries' rules, its minutes capped at what is left
   * of its day. Returns the entry, or the refusal when it could not be logged (it is discarded).
   */
  async stopTimerRecord(
    timer: TimerRecord,
    stoppedAt: Date,
  ): Promise<{ entry: TimeEntryRecord } | { refusal: Error }> {
    const taken = await this.stores.timers
      .findOneAndDelete({ _id: timer._id })
      .lean<TimerRecord>()
      .exec();
    if (!taken) return { refusal: new NotFoundError('No timer is running') };
    const elapsed =
      Math.min(stoppedAt.getTime(), timer.startedAt.getTime() + TIMER_LIMIT_MS) -
      timer.startedAt.getTime();
    const date = dayOf(timer.startedAt);
    const used =
      (await this.stores.dayTotals.findById(dayKey(timer.userId, date)).lean().exec())?.minutes ??
      0;
    const minutes = Math.min(Math.max(1, Math.ceil(elapsed / 60_000)), DAY_MINUTES - used);
    try {
      const access = await this.stores.access.find(timer.projectId);
      if (!access || access.deleted || !isOnProject(access, timer.userId)) {
        throw new ForbiddenError('You are no longer on the project; the timer was discarded');
      }
      if (minutes < 1) {
        throw new BadUserInputError(
          'The day holds 24 hours of time already; the timer was discarded',
          'minutes',
        );
      }
      const entry = await this.writeEntry({
        userId: timer.userId,
        projectId: timer.projectId,
        taskId: timer.taskId,
        date,
        minutes,
        billable: timer.billable,
        note: timer.note,
        actorId: timer.userId,
      });
      return { entry };
    } catch (error) {
      if (error instanceof Error) {
        if (error instanceof ConflictError) {
          return { refusal: new ConflictError(`${error.message}; the timer was discarded`) };
        }
        return { refusal: error };
      }
      throw error;
    }
  }

  // ---------------------------------------------------------------- timesheets

  /**
   * Submits `caller`'s week on a project: OPEN or REJECTED → SUBMITTED. BAD_USER_INPUT for a day
   * that is not a Monday or a week without entries; CONFLICT when it is submitted or approved.
   */
  async submitTimesheet(
    caller: Identity,
    input: { projectId: string; weekStart: string },
  ): Promise<TimesheetRecord> {
    const projectId = requiredId(input.projectId, 'input.projectId');
    const weekStart = calendarDay(input.weekStart, 'input.weekStart');
    if (!isMonday(weekStart)) {
      throw new BadUserInputError('weekStart must be a Monday (the ISO week)', 'input.weekStart');
    }
    await this.loggableProject(caller, projectId);
    const userId = callerObjectId(caller);
    const hasEntries = await this.stores.entries.exists({ userId, projectId, weekStart }).exec();
    if (!hasEntries) {
      throw new BadUserInputError('The week has no time entries to submit', 'input.weekStart');
    }
    const now = new Date();
    const submitted = await this.stores.sheets
      .findOneAndUpdate(
        { userId, projectId, weekStart, status: trusted({ $in: EDITABLE_STATUSES }) },
        {
          $set: { status: 'SUBMITTED', submittedAt: now },
          $inc: { submissions: 1 },
          $push: { transitions: { status: 'SUBMITTED', byId: userId, at: now, reason: '' } },
        },
        { returnDocument: 'after' },
      )
      .lean<TimesheetRecord>()
      .exec();
    if (!submitted) throw new ConflictError('The week is submitted or approved already');
    await this.announceSheet(timesheetSubmitted, submitted, caller);
    return submitted;
  }

  /** Approves a SUBMITTED timesheet (the project's manager or an admin, never one's own). */
  async approveTimesheet(caller: Identity, rawId: string): Promise<TimesheetRecord> {
    const sheet = await this.decidableSheet(caller, rawId);
    const entry = await this.stores.outbox.record(TIME_APPROVED, {
      projectId: sheet.projectId.toHexString(),
    });
    try {
      const approved = await this.decide(caller, sheet, 'APPROVED', null);
      await this.stores.ledgers
        .updateOne({ _id: sheet.projectId }, { $set: { approvedTime: true } }, { upsert: true })
        .exec();
      return approved;
    } finally {
      // Delivered whatever the outcome: the relay announces only that time was approved, which
      // holds once any timesheet of the project was (a failed approval changes nothing there).
      await this.stores.outbox.deliver(entry);
    }
  }

  /** Rejects a SUBMITTED timesheet with a reason; the week opens for changes again. */
  async rejectTimesheet(
    caller: Identity,
    input: { timesheetId: string; reason: string },
  ): Promise<TimesheetRecord> {
    const reason = requiredText(input.reason, 'input.reason', REASON_MAX);
    const sheet = await this.decidableSheet(caller, input.timesheetId);
    return this.decide(caller, sheet, 'REJECTED', reason);
  }

  /** A timesheet `caller` may see (owner, the project's manager, admins); NOT_FOUND otherwise. */
  async visibleSheet(caller: Identity, rawId: string): Promise<TimesheetRecord> {
    const id = toObjectId(rawId);
    const sheet = id ? await this.stores.sheets.findById(id).lean<TimesheetRecord>().exec() : null;
    const access = sheet ? await this.accessOf.load(sheet.projectId.toHexString()) : null;
    return readableRecord(caller, sheet, access, 'Timesheet');
  }

  /** A timesheet's entries, by date then creation (one week: at most 7 days of entries). */
  sheetEntries(sheet: TimesheetRecord): Promise<TimeEntryRecord[]> {
    const { userId, projectId, weekStart } = sheet;
    return this.stores.entries
      .find({ userId, projectId, weekStart })
      .sort({ date: 1, createdAt: 1, _id: 1 })
      .lean<TimeEntryRecord[]>()
      .exec();
  }

  /** A timesheet's total and billable minutes, in one aggregation. */
  async sheetTotals(sheet: TimesheetRecord): Promise<{ total: number; billable: number }> {
    const { userId, projectId, weekStart } = sheet;
    const [row] = await this.stores.entries
      .aggregate<{ total: number; billable: number }>([
        { $match: { userId, projectId, weekStart } },
        {
          $group: {
            _id: null,
            total: { $sum: '$minutes' },
            billable: { $sum: { $cond: ['$billable', '$minutes', 0] } },
          },
        },
      ])
      .exec();
    return row ?? { total: 0, billable: 0 };
  }

  /** A page of `userId`'s timesheets (their own, or an admin's view). */
  async userSheets(
    caller: Identity,
    rawUserId: string,
    filter: TimesheetFilter | null | undefined,
    args: ConnectionArgs,
  ): Promise<Connection<TimesheetRecord>> {
    const userId = toObjectId(rawUserId);
    assertOwnTime(caller, userId);
    const conditions: QueryFilter<TimesheetRecord>[] = [];
    if (filter?.status !== null && filter?.status !== undefined) {
      conditions.push({ status: oneOf(filter.status, TIMESHEET_STATUSES, 'filter.status') });
    }
    if (filter?.projectId !== null && filter?.projectId !== undefined) {
      conditions.push({ projectId: requiredId(filter.projectId, 'filter.projectId') });
    }
    if (!userId) return emptyConnection(args);
    return paginate<TimesheetRecord>(this.stores.sheets, allOf([{ userId }, ...conditions]), args);
  }

  /**
   * SUBMITTED timesheets waiting for `caller`'s decision: of the projects they manage (admins:
   * every project), never their own.
   */
  async sheetsToApprove(
    caller: Identity,
    args: ConnectionArgs,
  ): Promise<Connection<TimesheetRecord>> {
    const callerId = callerObjectId(caller);
    const conditions: QueryFilter<TimesheetRecord>[] = [
      { status: 'SUBMITTED' },
      { userId: trusted({ $ne: callerId }) },
    ];
    if (!decidesEveryProject(caller)) {
      const managed = await this.stores.accessRecords
        .find({ managerId: callerId, deleted: false })
        .select({ _id: 1 })
        .lean<Pick<ProjectAccessRecord, '_id'>[]>()
        .exec();
      if (managed.length === 0) return emptyConnection(args);
      conditions.push({ projectId: trusted({ $in: managed.map((p) => p._id) }) });
    }
    return paginate<TimesheetRecord>(this.stores.sheets, allOf(conditions), args);
  }

  // ---------------------------------------------------------------- money and budgets

  /**
   * Sets the project's default hourly rate (`userId` absent) or a member's (the manager or an
   * admin). The first rate or budget amount fixes the project's currency; another is BAD_USER_INPUT.
   */
  async setBillingRate(caller: Identity, input: SetBillingRateInput): Promise<BillingRateRecord> {
    const projectId = requiredId(input.projectId, 'input.projectId');
    const userId = optionalId(input.userId, 'input.userId');
    const currency = currencyCode(input.currency, 'input.currency');
    const hourlyRate = amountOf(input.hourlyRate, currency, 'input.hourlyRate');
    const access = projectToPrice(caller, await this.accessOf.load(projectId.toHexString()));
    if (userId && !isOnProject(access, userId)) {
      throw new BadUserInputError(
        "userId must be the project's manager or a member",
        'input.userId',
      );
    }
    await this.fixCurrency(projectId, currency);
    const rate = await this.stores.rates
      .findOneAndUpdate(
        { projectId, userId },
        { $set: { hourlyRate, currency } },
        { upsert: true, returnDocument: 'after' },
      )
      .lean<BillingRateRecord>()
      .exec();
    if (!rate) throw new NotFoundError('Project not found');
    // A rate changes what the time is worth: an amount budget may be crossed now.
    await this.countingTime(projectId, callerObjectId(caller), () => Promise.resolve());
    return rate;
  }

  /** The project's rates (the manager and admins): the default first, then by member. */
  async billingRates(caller: Identity, rawProjectId: string): Promise<BillingRateRecord[]> {
    const access = projectToPrice(caller, await this.accessOf.load(rawProjectId));
    const rates = await this.stores.rates
      .find({ projectId: access._id })
      .lean<BillingRateRecord[]>()
      .exec();
    return rates.sort((a, b) =>
      (a.userId?.toHexString() ?? '').localeCompare(b.userId?.toHexString() ?? ''),
    );
  }

  /**
   * Sets the project's budget (the manager or an admin): absent fields stay, null clears them.
   * Setting it re-arms the 80% and 100% announcements that the new budget is no longer over.
   */
  async setProjectBudget(caller: Identity, input: SetProjectBudgetInput): Promise<BudgetView> {
    const projectId = requiredId(input.projectId, 'input.projectId');
    const changes: Partial<Pick<ProjectLedgerRecord, 'budgetMinutes' | 'budgetAmount'>> = {};
    if (input.minutes !== undefined) {
      if (
        input.minutes !== null &&
        (!Number.isInteger(input.minutes) ||
          input.minutes < 1 ||
          input.minutes > MAX_BUDGET_MINUTES)
      ) {
        throw new BadUserInputError(
          `minutes must be a whole number from 1 to ${MAX_BUDGET_MINUTES.toLocaleString('en')}`,
          'input.minutes',
        );
      }
      changes.budgetMinutes = input.minutes;
    }
    const currency =
      input.currency === null || input.currency === undefined
        ? null
        : currencyCode(input.currency, 'input.currency');
    const access = projectToPrice(caller, await this.accessOf.load(projectId.toHexString()));
    if (input.amount !== undefined) {
      if (input.amount === null) {
        changes.budgetAmount = null;
      } else {
        const ledger = await this.stores.ledgers
          .findById(projectId)
          .lean<ProjectLedgerRecord>()
          .exec();
        const code = currency ?? ledger?.currency;
        if (!code) {
          throw new BadUserInputError(
            'currency is required with the first amount',
            'input.currency',
          );
        }
        changes.budgetAmount = amountOf(input.amount, code, 'input.amount', true);
        await this.fixCurrency(projectId, code);
      }
    } else if (currency) {
      await this.fixCurrency(projectId, currency);
    }
    await this.countingTime(
      projectId,
      callerObjectId(caller),
      async () => {
        await this.stores.ledgers
          .updateOne({ _id: projectId }, { $set: changes }, { upsert: true })
          .exec();
      },
      true,
    );
    return (await this.budgetOf(access)) ?? this.emptyBudget(access);
  }

  /** The project's budget, or null when none is set. NOT_FOUND / FORBIDDEN as for its time. */
  async budget(caller: Identity, rawProjectId: string): Promise<BudgetView | null> {
    return this.budgetOf(projectTimeReader(caller, await this.accessOf.load(rawProjectId)));
  }

  /**
   * The project's time from `from` to `to` per user (the manager and admins: every user; a
   * member: their own row), priced at the current rates, each row rounded on its own.
   */
  async timeReport(
    caller: Identity,
    rawProjectId: string,
    rawFrom: string,
    rawTo: string,
  ): Promise<TimeReportView> {
    const { from, to } = dayRange(rawFrom, rawTo);
    const access = projectTimeReader(caller, await this.accessOf.load(rawProjectId));
    const scope = seesAllTime(caller, access)
      ? { projectId: access._id }
      : { projectId: access._id, userId: callerObjectId(caller) };
    const [groups, ledger, rates] = await Promise.all([
      this.rolledUp(scope, from, to),
      this.stores.ledgers.findById(access._id).lean<ProjectLedgerRecord>().exec(),
      this.stores.rates.find({ projectId: access._id }).lean<BillingRateRecord[]>().exec(),
    ]);
    const currency = rates.length ? (ledger?.currency ?? null) : null;
    const fallback = rates.find((rate) => rate.userId === null);
    const byUser = groups.map((group): TimeReportRowView => {
      const rate = rates.find((r) => r.userId?.equals(group.userId)) ?? fallback;
      const amount = currency && rate ? priceOf(group.billable, rate.hourlyRate, currency) : null;
      return {
        access,
        userId: group.userId,
        totalMinutes: group.total,
        billableMinutes: group.billable,
        billableAmount: money(amount, currency),
      };
    });
    const amounts = byUser.flatMap((row) =>
      row.billableAmount ? [row.billableAmount.amount] : [],
    );
    return {
      access,
      from,
      to,
      totalMinutes: byUser.reduce((sum, row) => sum + row.totalMinutes, 0),
      billableMinutes: byUser.reduce((sum, row) => sum + row.billableMinutes, 0),
      billableAmount: currency ? money(sumOf(amounts, currency), currency) : null,
      byUser,
    };
  }

  /** `userId`'s logged and billable minutes against their capacity (their own, or an admin's). */
  async utilization(
    caller: Identity,
    rawUserId: string,
    rawFrom: string,
    rawTo: string,
  ): Promise<UtilizationView> {
    const { from, to } = dayRange(rawFrom, rawTo);
    const userId = toObjectId(rawUserId);
    assertOwnTime(caller, userId);
    // Across the user's projects: their rows group into one.
    const [row] = userId ? await this.rolledUp({ userId }, from, to) : [];
    const capacityMinutes = weekdaysBetween(from, to) * this.stores.capacityMinutesPerWeekday;
    const billableMinutes = row?.billable ?? 0;
    return {
      from,
      to,
      capacityMinutes,
      totalMinutes: row?.total ?? 0,
      billableMinutes,
      billableRatio:
        capacityMinutes === 0 ? 0 : Math.round((billableMinutes / capacityMinutes) * 1000) / 1000,
    };
  }

  // ---------------------------------------------------------------- internals

  /**
   * The minutes from `from` to `to` of the roll-up rows in `scope`, by user (ascending id, users
   * without time left out): the range's whole months from `project_months`, the parts of its edge
   * months from `project_days` (added, or taken off a month read whole; see `planRange`). So it
   * reads at most one row per user and month, and per user and day of at most a month's worth of
   * edge days, however many entries there are.
   */
  private async rolledUp(
    scope: { projectId?: Types.ObjectId; userId?: Types.ObjectId },
    from: string,
    to: string,
  ): Promise<RolledUp[]> {
    type Group = { _id: Types.ObjectId; total: number; billable: number };
    const sumByUser = {
      $group: {
        _id: '$userId',
        total: { $sum: '$minutes' },
        billable: { $sum: '$billableMinutes' },
      },
    };
    const plan = planRange(from, to);
    const daysOf = (span: DaySpan) =>
      this.stores.projectDays
        .aggregate<Group>([
          { $match: { ...scope, date: { $gte: span.from, $lte: span.to } } },
          sumByUser,
        ])
        .exec();
    const [months, added, subtracted] = await Promise.all([
      plan.months
        ? this.stores.projectMonths
            .aggregate<Group>([
              {
                $match: { ...scope, month: { $gte: plan.months.from, $lte: plan.months.to } },
              },
              sumByUser,
            ])
            .exec()
        : Promise.resolve([]),
      Promise.all(plan.add.map(daysOf)),
      Promise.all(plan.subtract.map(daysOf)),
    ]);
    const sums = new Map<string, RolledUp>();
    const count = (groups: Group[], sign: 1 | -1) => {
      for (const group of groups) {
        const key = group._id.toHexString();
        const sum = sums.get(key) ?? { userId: group._id, total: 0, billable: 0 };
        sum.total += group.total * sign;
        sum.billable += group.billable * sign;
        sums.set(key, sum);
      }
    };
    count(months, 1);
    for (const groups of added) count(groups, 1);
    for (const groups of subtracted) count(groups, -1);
    return [...sums.entries()]
      .filter(([, sum]) => sum.total > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, sum]) => sum);
  }

  /** The project's access record when `caller` may log on it (the policy's projectToLogOn). */
  private async loggableProject(
    caller: Identity,
    projectId: Types.ObjectId,
  ): Promise<ProjectAccessRecord> {
    return projectToLogOn(caller, await this.accessOf.load(projectId.toHexString()));
  }

  /**
   * BAD_USER_INPUT on `field` unless `taskId` (when given) is a task of the project that has not
   * been deleted, as the tasks service's events told. A task created a moment ago is known once
   * its `task.changed` event arrived (milliseconds on the same machine).
   */
  private async checkTaskOf(
    projectId: Types.ObjectId,
    taskId: Types.ObjectId | null,
    field: string,
  ): Promise<void> {
    if (!taskId) return;
    const task = await this.stores.projectTasks.findById(taskId).lean().exec();
    if (!task || task.deleted || !task.projectId.equals(projectId)) {
      throw new BadUserInputError('taskId is not a task of this project', field);
    }
  }

  /** The entry when `caller` may change it: NOT_FOUND when they may not see it, else FORBIDDEN. */
  private async changeableEntry(caller: Identity, id: Types.ObjectId): Promise<TimeEntryRecord> {
    const entry = await this.visibleEntry(caller, id.toHexString());
    assertMayChangeEntry(caller, entry);
    return entry;
  }

  /**
   * Writes a new entry under the rules every entry keeps (the day's limit, an editable week),
   * counts it on the project and checks the budget. The input is validated already.
   */
  private async writeEntry(entry: {
    userId: Types.ObjectId;
    projectId: Types.ObjectId;
    taskId: Types.ObjectId | null;
    date: string;
    minutes: number;
    billable: boolean;
    note: string | null;
    actorId: Types.ObjectId;
  }): Promise<TimeEntryRecord> {
    const { actorId, ...fields } = entry;
    const weekStart = weekStartOf(fields.date);
    await this.reserveDay(fields.userId, fields.date, fields.minutes, 'input.minutes');
    let created: TimeEntryRecord;
    try {
      const claim = await this.claimWeek(fields.userId, fields.projectId, weekStart, 'input.date');
      created = (
        await this.stores.entries.create({ ...fields, weekStart })
      ).toObject<TimeEntryRecord>();
      if (!(await this.weeksStillClaimed([claim]))) {
        await this.stores.entries.deleteOne({ _id: created._id }).exec();
        throw new ConflictError('The week was submitted meanwhile: its entries are locked');
      }
    } catch (error) {
      await this.releaseDay(fields.userId, fields.date, fields.minutes);
      throw error;
    }
    await this.countingTime(fields.projectId, actorId, () => this.countOnLedger(created, 1));
    return created;
  }

  /**
   * Adds `minutes` to `userId`'s day, or BAD_USER_INPUT naming `field` when the day would hold
   * more than 24 hours: one conditional write, so concurrent entries cannot pass it together.
   */
  private async reserveDay(
    userId: Types.ObjectId,
    date: string,
    minutes: number,
    field: string,
  ): Promise<void> {
    try {
      await this.stores.dayTotals
        .updateOne(
          { _id: dayKey(userId, date), minutes: trusted({ $lte: DAY_MINUTES - minutes }) },
          { $inc: { minutes } },
          { upsert: true },
        )
        .exec();
    } catch (error) {
      // The day's document exists and has no room: the filter missed it and the upsert collided.
      if (isDuplicateKeyError(error)) {
        throw new BadUserInputError(
          `A day holds at most ${DAY_MINUTES} minutes (24 hours) of time across all projects`,
          field,
        );
      }
      throw error;
    }
  }

  private async releaseDay(userId: Types.ObjectId, date: string, minutes: number): Promise<void> {
    await this.stores.dayTotals
      .updateOne({ _id: dayKey(userId, date) }, { $inc: { minutes: -minutes } })
      .exec();
  }

  /**
   * Claims a week for a write to its entries: its timesheet (created OPEN when it has none) must
   * be OPEN or REJECTED, else CONFLICT naming `field`. Returns the claim to check after writing.
   */
  private async claimWeek(
    userId: Types.ObjectId,
    projectId: Types.ObjectId,
    weekStart: string,
    field: string,
  ): Promise<TimesheetRecord> {
    let sheet: TimesheetRecord | null;
    try {
      sheet = await this.stores.sheets
        .findOneAndUpdate(
          { userId, projectId, weekStart, status: trusted({ $in: EDITABLE_STATUSES }) },
          { $setOnInsert: { status: 'OPEN', submissions: 0 } },
          { upsert: true, returnDocument: 'after' },
        )
        .lean<TimesheetRecord>()
        .exec();
    } catch (error) {
      // The week's timesheet exists and is locked: the filter missed it and the upsert collided.
      if (!isDuplicateKeyError(error)) throw error;
      sheet = null;
    }
    if (!sheet) {
      throw new ConflictError(
        `The week of ${weekStart} is submitted or approved: its entries are locked`,
        field,
      );
    }
    return sheet;
  }

  /** Are the claimed weeks still editable and unsubmitted since they were claimed? */
  private async weeksStillClaimed(claims: TimesheetRecord[]): Promise<boolean> {
    for (const claim of claims) {
      const now = await this.stores.sheets.findById(claim._id).lean<TimesheetRecord>().exec();
      if (
        !now ||
        !EDITABLE_STATUSES.includes(now.status) ||
        now.submissions !== claim.submissions
      ) {
        return false;
      }
    }
    return true;
  }

  /**
   * Adds (`sign` 1) or takes away (-1) `entry`'s minutes on its project's totals, day row and
   * month row. Every change of an entry comes here, as its old state taken away and its new one
   * added (a move to another day, month or billable state included); `$inc` keeps the rows exact
   * under concurrent writes.
   */
  private async countOnLedger(entry: TimeEntryRecord, sign: 1 | -1): Promise<void> {
    const billable = entry.billable ? entry.minutes * sign : 0;
    const { projectId, userId, date } = entry;
    const counts = { $inc: { minutes: entry.minutes * sign, billableMinutes: billable } };
    const key = `${projectId.toHexString()}:${userId.toHexString()}`;
    const month = monthOf(date);
    await this.stores.projectDays
      .updateOne(
        { _id: `${key}:${date}` },
        { ...counts, $setOnInsert: { projectId, userId, date } },
        { upsert: true },
      )
      .exec();
    await this.stores.projectMonths
      .updateOne(
        { _id: `${key}:${month}` },
        { ...counts, $setOnInsert: { projectId, userId, month } },
        { upsert: true },
      )
      .exec();
    await this.stores.ledgers
      .updateOne(
        { _id: entry.projectId },
        {
          $inc: {
            totalMinutes: entry.minutes * sign,
            billableMinutes: billable,
            [`billableByUser.${entry.userId.toHexString()}`]: billable,
          },
        },
        { upsert: true },
      )
      .exec();
  }

  /**
   * Runs a change to the project's time or budget, then checks the budget's thresholds through
   * the outbox (the intent is recorded first, so a crash right after the write still checks).
   */
  private async countingTime(
    projectId: Types.ObjectId,
    actorId: Types.ObjectId,
    write: () => Promise<void>,
    rearm = false,
  ): Promise<void> {
    const entry = await this.stores.outbox.record(BUDGET_CHECK, {
      projectId: projectId.toHexString(),
      actorId: actorId.toHexString(),
      rearm,
    });
    try {
      await write();
    } finally {
      await this.stores.outbox.deliver(entry);
    }
  }

  /** Fixes the project's currency to `currency`, or BAD_USER_INPUT when it has another. */
  private async fixCurrency(projectId: Types.ObjectId, currency: string): Promise<void> {
    try {
      await this.stores.ledgers
        .updateOne(
          { _id: projectId, $or: [{ currency: null }, { currency }] },
          { $set: { currency } },
          { upsert: true },
        )
        .exec();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const ledger = await this.stores.ledgers
        .findById(projectId)
        .lean<ProjectLedgerRecord>()
        .exec();
      throw new BadUserInputError(
        `currency must be the project's currency, ${ledger?.currency ?? 'set already'}`,
        'input.currency',
      );
    }
  }

  private async budgetOf(access: ProjectAccessRecord): Promise<BudgetView | null> {
    const ledger = await this.stores.ledgers
      .findById(access._id)
      .lean<ProjectLedgerRecord>()
      .exec();
    if (!ledger || (ledger.budgetMinutes === null && ledger.budgetAmount === null)) return null;
    const rates = await this.stores.rates
      .find({ projectId: access._id })
      .lean<BillingRateRecord[]>()
      .exec();
    return {
      access,
      minutes: ledger.budgetMinutes,
      amount: money(ledger.budgetAmount, ledger.currency),
      spentMinutes: ledger.totalMinutes,
      billableMinutes: ledger.billableMinutes,
      spentAmount: money(spentAmountOf(ledger, rates), ledger.currency),
      percentUsed: percentUsedOf(ledger, rates),
    };
  }

  private emptyBudget(access: ProjectAccessRecord): BudgetView {
    return {
      access,
      minutes: null,
      amount: null,
      spentMinutes: 0,
      billableMinutes: 0,
      spentAmount: null,
      percentUsed: null,
    };
  }

  /** The timesheet `caller` may decide: NOT_FOUND when they may not see it, else FORBIDDEN. */
  private async decidableSheet(caller: Identity, rawId: string): Promise<TimesheetRecord> {
    requiredId(rawId, 'input.timesheetId');
    const sheet = await this.visibleSheet(caller, rawId);
    assertMayDecide(caller, sheet, await this.accessOf.load(sheet.projectId.toHexString()));
    return sheet;
  }

  /** SUBMITTED → `status`, recorded; CONFLICT when the sheet is not SUBMITTED (any more). */
  private async decide(
    caller: Identity,
    sheet: TimesheetRecord,
    status: 'APPROVED' | 'REJECTED',
    reason: string | null,
  ): Promise<TimesheetRecord> {
    const byId = callerObjectId(caller);
    const at = new Date();
    const decided = await this.stores.sheets
      .findOneAndUpdate(
        { _id: sheet._id, status: 'SUBMITTED' },
        {
          $set: { status, decidedAt: at, decidedById: byId, rejectionReason: reason },
          $push: { transitions: { status, byId, at, reason: reason ?? '' } },
        },
        { returnDocument: 'after' },
      )
      .lean<TimesheetRecord>()
      .exec();
    if (!decided) {
      throw new ConflictError(
        `Only a SUBMITTED timesheet can be decided (this one is ${sheet.status})`,
      );
    }
    await this.announceSheet(
      status === 'APPROVED' ? timesheetApproved : timesheetRejected,
      decided,
      caller,
    );
    return decided;
  }

  /** Tells other services that `caller` submitted or decided `sheet`. */
  private announceSheet(
    kind: typeof timesheetSubmitted | typeof timesheetApproved | typeof timesheetRejected,
    sheet: TimesheetRecord,
    caller: Identity,
  ): Promise<void> {
    return announce(this.stores.outbox, kind, {
      timesheetId: sheet._id.toHexString(),
      projectId: sheet.projectId.toHexString(),
      userId: sheet.userId.toHexString(),
      weekStart: sheet.weekStart,
      reason: sheet.rejectionReason ?? '',
      actorId: callerObjectId(caller).toHexString(),
    });
  }

  /** The filter's conditions on the entries themselves (validated; BAD_USER_INPUT naming them). */
  private entryConditions(
    filter: TimeEntryFilter | null | undefined,
  ): QueryFilter<TimeEntryRecord>[] {
    const conditions: QueryFilter<TimeEntryRecord>[] = [];
    if (filter?.userId !== null && filter?.userId !== undefined) {
      conditions.push({ userId: requiredId(filter.userId, 'filter.userId') });
    }
    if (filter?.from !== null && filter?.from !== undefined) {
      conditions.push({ date: trusted({ $gte: calendarDay(filter.from, 'filter.from') }) });
    }
    if (filter?.to !== null && filter?.to !== undefined) {
      conditions.push({ date: trusted({ $lte: calendarDay(filter.to, 'filter.to') }) });
    }
    if (filter?.billable !== null && filter?.billable !== undefined) {
      conditions.push({ billable: filter.billable });
    }
    if (filter?.status !== null && filter?.status !== undefined) {
      oneOf(filter.status, TIMESHEET_STATUSES, 'filter.status');
    }
    return conditions;
  }

  /**
   * The condition "the entry's week has `filter.status`": the weeks (timesheets) of `scope` with
   * that status, within the filter's dates. Null without a status filter, false when no week has it.
   */
  private async statusCondition(
    filter: TimeEntryFilter | null | undefined,
    scope: { projectId?: Types.ObjectId; userId?: Types.ObjectId },
  ): Promise<QueryFilter<TimeEntryRecord> | null | false> {
    if (filter?.status === null || filter?.status === undefined) return null;
    const weekRange: Record<string, string> = {};
    if (filter.from) weekRange.$gte = weekStartOf(filter.from);
    if (filter.to) weekRange.$lte = filter.to;
    const sheets = await this.stores.sheets
      .find({
        ...scope,
        status: filter.status,
        ...(Object.keys(weekRange).length ? { weekStart: trusted(weekRange) } : {}),
      })
      .select({ userId: 1, projectId: 1, weekStart: 1 })
      .lean<Pick<TimesheetRecord, 'userId' | 'projectId' | 'weekStart'>[]>()
      .exec();
    if (sheets.length === 0) return false;
    return {
      $or: sheets.map(({ userId, projectId, weekStart }) => ({ userId, projectId, weekStart })),
    };
  }
}
