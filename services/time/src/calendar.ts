import { BadUserInputError } from '@psa/shared';

/**
 * Calendar days as `YYYY-MM-DD` strings (the `Date` scalar): no time and no zone, so they sort
 * as strings and mean the same day wherever the user is. Arithmetic goes through UTC midnights.
 */
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

const toUtc = (day: string): number => Date.parse(`${day}T00:00:00Z`);
const fromUtc = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** `raw` when it is a real calendar day `YYYY-MM-DD`, else BAD_USER_INPUT naming `field`. */
export function calendarDay(raw: string, field: string): string {
  const match = DAY_PATTERN.exec(raw);
  // Date.parse rolls 2026-02-30 over to March: a day is real when it survives the round trip.
  if (!match || Number.isNaN(toUtc(raw)) || fromUtc(toUtc(raw)) !== raw) {
    throw new BadUserInputError(
      `${field.replace(/^(input|filter)\./, '')} must be a calendar day YYYY-MM-DD`,
      field,
    );
  }
  return raw;
}

/** The day `count` days after `day` (before, when negative). */
export const addDays = (day: string, count: number): string => fromUtc(toUtc(day) + count * DAY_MS);

/** The UTC calendar day of `instant`. */
export const dayOf = (instant: Date): string => fromUtc(instant.getTime());

/** The Monday of `day`'s ISO week. */
export function weekStartOf(day: string): string {
  const weekday = new Date(toUtc(day)).getUTCDay(); // 0 = Sunday
  return addDays(day, -((weekday + 6) % 7));
}

/** Is `day` a Monday? */
export const isMonday = (day: string): boolean => new Date(toUtc(day)).getUTCDay() === 1;

/** Days from `from` to `to`, both included (0 when `to` is before `from`). */
export const daysBetween = (from: string, to: string): number =>
  Math.max(0, Math.round((toUtc(to) - toUtc(from)) / DAY_MS) + 1);

/** Monday-to-Friday days from `from` to `to`, both included. */
export function weekdaysBetween(from: string, to: string): number {
  const days = daysBetween(from, to);
  const fullWeeks = Math.floor(days / 7);
  let weekdays = fullWeeks * 5;
  for (let i = fullWeeks * 7; i < days; i += 1) {
    const weekday = new Date(toUtc(from) + i * DAY_MS).getUTCDay();
    if (weekday !== 0 && weekday !== 6) weekdays += 1;
  }
  return weekdays;
}

/** The longest range a report or a utilization covers, in days. */
export const MAX_RANGE_DAYS = 366;

/** `from` and `to` as a valid range of at most {@link MAX_RANGE_DAYS}, else BAD_USER_INPUT. */
export function dayRange(rawFrom: string, rawTo: string): { from: string; to: string } {
  const from = calendarDay(rawFrom, 'from');
  const to = calendarDay(rawTo, 'to');
  if (to < from) throw new BadUserInputError('to must not be before from', 'to');
  if (daysBetween(from, to) > MAX_RANGE_DAYS) {
    throw new BadUserInputError(`the range must be at most ${MAX_RANGE_DAYS} days`, 'to');
  }
  return { from, to };
}

/** The calendar month `YYYY-MM` of `day`. */
export const monthOf = (day: string): string => day.slice(0, 7);

/** The first day of `day`'s month. */
const firstOfMonth = (day: string): string => `${monthOf(day)}-01`;

/** The last day of `day`'s month. */
function lastOfMonth(day: string): string {
  const [year, month] = monthOf(day).split('-').map(Number) as [number, number];
  // Day 0 of the next month is the last of this one (UTC: no zone shifts it).
  return fromUtc(Date.UTC(year, month, 0));
}

/** Days from `from` to `to`, both included. */
export interface DaySpan {
  from: string;
  to: string;
}

/**
 * How a sum over the days `from`..`to` is read from monthly roll-ups and day rows: the months
 * `months.from`..`months.to` (`YYYY-MM`, whole; null for none), plus the day rows of `add`, minus
 * those of `subtract`. A month the range covers only in part is read from its days when they
 * are at most half of it, else whole minus the days outside the range; so at most two spans of
 * at most half a month each are read day by day, whatever the range.
 */
export interface RangePlan {
  months: { from: string; to: string } | null;
  add: DaySpan[];
  subtract: DaySpan[];
}

/** The {@link RangePlan} of `from`..`to` (valid days, `from` ≤ `to`). */
export function planRange(from: string, to: string): RangePlan {
  const wholeMonths: string[] = [];
  const add: DaySpan[] = [];
  const subtract: DaySpan[] = [];
  for (let start = firstOfMonth(from); start <= to; start = addDays(lastOfMonth(start), 1)) {
    const end = lastOfMonth(start);
    const first = from > start ? from : start;
    const last = to < end ? to : end;
    const covered = daysBetween(first, last);
    if (covered * 2 <= daysBetween(start, end)) {
      add.push({ from: first, to: last });
      continue;
    }
    wholeMonths.push(monthOf(start));
    if (first > start) subtract.push({ from: start, to: addDays(first, -1) });
    if (last < end) subtract.push({ from: addDays(last, 1), to: end });
  }
  // Only the first and the last month can be read by days: the months read whole are contiguous.
  const [firstWhole] = wholeMonths;
  const lastWhole = wholeMonths.at(-1);
  const months = firstWhole && lastWhole ? { from: firstWhole, to: lastWhole } : null;
  return { months, add, subtract };
}
