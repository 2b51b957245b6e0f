/**
 * The Time screen's arithmetic, without React: ISO weeks of calendar days (`YYYY-MM-DD`, no time
 * zone: the API's `Date`), hours as people type them, what a changed cell of the week grid sends,
 * and the budget burn series.
 */

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` → UTC midnight in ms; throws on anything else (a bug, not user input). */
function toMs(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(ms)) throw new Error(`not a date: ${date}`);
  return ms;
}

const fromMs = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export function addDays(date: string, days: number): string {
  return fromMs(toMs(date) + days * DAY_MS);
}

/** The Monday of `date`'s ISO week. */
export function mondayOf(date: string): string {
  const weekday = (new Date(toMs(date)).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(date, -weekday);
}

/** Today in the viewer's own time zone (the day they are logging), as `YYYY-MM-DD`. */
export function localToday(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The seven days of the week starting on Monday `weekStart`. */
export function weekDays(weekStart: string): string[] {
  return Array.from({ length: 7 }, (_, i) => addDays(weekStart, i));
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** "Mon 30 Nov": a column heading of the grid. */
export function dayLabel(date: string): string {
  const d = new Date(toMs(date));
  const weekday = DAY_NAMES[(d.getUTCDay() + 6) % 7] ?? '';
  const month = d.toLocaleString('en', { month: 'short', timeZone: 'UTC' });
  return `${weekday} ${d.getUTCDate()} ${month}`;
}

/** Is `value` a Monday in `YYYY-MM-DD`? (The week a URL names.) */
export function isMonday(value: string): boolean {
  try {
    return mondayOf(value) === value;
  } catch {
    return false;
  }
}

export type ParsedHours = { minutes: number } | { error: string };

/**
 * What a person typed into a cell, in minutes: decimal hours (`1.5`, `1,5`), `h:mm` (`1:30`), or
 * empty for none. Minutes are whole (the API's unit): `0.1` h is 6 min; a value that is not a whole
 * number of minutes is refused rather than silently rounded.
 */
export function parseHours(input: string): ParsedHours {
  const text = input.trim();
  if (text === '') return { minutes: 0 };
  const clock = /^(\d{1,2}):([0-5]\d)$/.exec(text);
  if (clock) return { minutes: Number(clock[1]) * 60 + Number(clock[2]) };
  if (!/^\d{1,2}([.,]\d{1,4})?$/.test(text)) {
    return { error: `“${text}” is not a number of hours (e.g. 1.5 or 1:30)` };
  }
  const minutes = Number(text.replace(',', '.')) * 60;
  const whole = Math.round(minutes);
  if (Math.abs(minutes - whole) > 1e-9) {
    return { error: `${text} h is not a whole number of minutes` };
  }
  return { minutes: whole };
}

/** Minutes as the grid shows them: `1:30`, empty for none. */
export function formatHours(minutes: number): string {
  if (minutes === 0) return '';
  const sign = minutes < 0 ? '-' : '';
  const abs = Math.abs(minutes);
  return `${sign}${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, '0')}`;
}

/** Minutes as a sentence-friendly total: `7.5 h`, `0 h`. */
export function hoursText(minutes: number): string {
  const hours = Math.round((minutes / 60) * 100) / 100;
  return `${hours} h`;
}

/** An entry as the grid needs it. */
export interface CellEntry {
  id: string;
  minutes: number;
}

export type CellChange =
  | { kind: 'log'; minutes: number }
  | { kind: 'update'; id: string; minutes: number }
  | { kind: 'delete'; id: string };

/**
 * What to send so that a cell (one task, one day) holding `entries` comes to `minutes` in total.
 * A cell usually holds one entry; a stopped timer can add more: those are kept while the first
 * absorbs the difference, and all go when the new total is below what the others hold.
 */
export function planCellChange(entries: readonly CellEntry[], minutes: number): CellChange[] {
  const current = entries.reduce((sum, e) => sum + e.minutes, 0);
  if (minutes === current) return [];
  const [first, ...others] = entries;
  if (!first) return minutes > 0 ? [{ kind: 'log', minutes }] : [];
  const rest = others.reduce((sum, e) => sum + e.minutes, 0);
  if (minutes > rest) return [{ kind: 'update', id: first.id, minutes: minutes - rest }];
  const deletes: CellChange[] = entries.map((e) => ({ kind: 'delete', id: e.id }));
  return minutes > 0 ? [...deletes, { kind: 'log', minutes }] : deletes;
}

/** One point of the burn chart: the time logged up to the end of that week. */
export interface BurnPoint {
  weekStart: string;
  /** Logged that week. */
  weekMinutes: number;
  /** Logged on the project up to the end of that week. */
  cumulativeMinutes: number;
}

/**
 * The cumulative series from weekly totals, oldest first, anchored on the project's total spent
 * minutes (which includes time before the first week): the last week ends at the total.
 */
export function burnSeries(
  weeks: readonly { from: string; totalMinutes: number }[],
  spentMinutes: number,
): BurnPoint[] {
  const points: BurnPoint[] = [];
  let after = 0;
  for (let i = weeks.length - 1; i >= 0; i--) {
    const week = weeks[i];
    if (!week) continue;
    points.unshift({
      weekStart: week.from,
      weekMinutes: week.totalMinutes,
      cumulativeMinutes: spentMinutes - after,
    });
    after += week.totalMinutes;
  }
  return points;
}

/** The `count` week ranges (Monday–Sunday) ending with the week of `today`, oldest first. */
export function weekRanges(today: string, count: number): { from: string; to: string }[] {
  const last = mondayOf(today);
  return Array.from({ length: count }, (_, i) => {
    const from = addDays(last, -7 * (count - 1 - i));
    return { from, to: addDays(from, 6) };
  });
}
