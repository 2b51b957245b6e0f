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
