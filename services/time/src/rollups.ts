import type { Types } from 'mongoose';
import { monthOf } from './calendar';
import type { ProjectDayModel, ProjectDayRecord } from './models/project-day.model';
import type { ProjectMonthModel, ProjectMonthRecord } from './models/project-month.model';
import type { TimeEntryModel } from './models/time-entry.model';

/** What the reports' roll-ups are made from and kept in. */
export interface RollupStores {
  entries: TimeEntryModel;
  projectDays: ProjectDayModel;
  projectMonths: ProjectMonthModel;
}

const BATCH = 1_000;

/**
 * Recomputes the day rows and month rows of `projectId` (every project when absent) from the
 * entries, replacing what they held. Exact only while nothing writes the project's time
 * meanwhile: it runs before the service serves (see {@link rebuildRollupsIfMissing}) and in the
 * benchmarks after seeding entries. Holds one summary per user and day in memory, not the entries.
 */
export async function rebuildRollups(
  stores: RollupStores,
  projectId?: Types.ObjectId,
): Promise<{ days: number; months: number }> {
  const scope = projectId ? { projectId } : {};
  const days = await stores.entries
    .aggregate<{
      _id: { projectId: Types.ObjectId; userId: Types.ObjectId; date: string };
      minutes: number;
      billableMinutes: number;
    }>([
      { $match: scope },
      {
        $group: {
          _id: { projectId: '$projectId', userId: '$userId', date: '$date' },
          minutes: { $sum: '$minutes' },
          billableMinutes: { $sum: { $cond: ['$billable', '$minutes', 0] } },
        },
      },
    ])
    .exec();
  const dayRows: ProjectDayRecord[] = [];
  const monthRows = new Map<string, ProjectMonthRecord>();
  for (const { _id: day, minutes, billableMinutes } of days) {
    const key = `${day.projectId.toHexString()}:${day.userId.toHexString()}`;
    dayRows.push({ _id: `${key}:${day.date}`, ...day, minutes, billableMinutes });
    const month = monthOf(day.date);
    const row = monthRows.get(`${key}:${month}`) ?? {
      _id: `${key}:${month}`,
      projectId: day.projectId,
      userId: day.userId,
      month,
      minutes: 0,
      billableMinutes: 0,
    };
    row.minutes += minutes;
    row.billableMinutes += billableMinutes;
    monthRows.set(row._id, row);
  }
  await stores.projectDays.deleteMany(scope).exec();
  await stores.projectMonths.deleteMany(scope).exec();
  const months = [...monthRows.values()];
  for (let i = 0; i < dayRows.length; i += BATCH) {
    await stores.projectDays.insertMany(dayRows.slice(i, i + BATCH), { lean: true });
  }
  for (let i = 0; i < months.length; i += BATCH) {
    await stores.projectMonths.insertMany(months.slice(i, i + BATCH), { lean: true });
  }
  return { days: dayRows.length, months: months.length };
}

/**
 * Builds the roll-ups of a database written before the month rows existed (entries, but no
 * `project_months`): the upgrade step, run once connected and before the service reports ready.
 * Returns what it built, or null when nothing was missing.
 */
export async function rebuildRollupsIfMissing(
  stores: RollupStores,
): Promise<{ days: number; months: number } | null> {
  if (await stores.projectMonths.exists({}).exec()) return null;
  if (!(await stores.entries.exists({}).exec())) return null;
  return rebuildRollups(stores);
}
