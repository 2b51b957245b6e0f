import { describe, expect, it } from 'vitest';
import {
  addDays,
  burnSeries,
  dayLabel,
  formatHours,
  isMonday,
  mondayOf,
  parseHours,
  planCellChange,
  weekDays,
  weekRanges,
} from './timesheet';

describe('ISO weeks', () => {
  it('finds the Monday of any day, across months and years', () => {
    expect(mondayOf('2026-12-03')).toBe('2026-11-30');
    expect(mondayOf('2026-11-30')).toBe('2026-11-30');
    expect(mondayOf('2026-12-06')).toBe('2026-11-30');
    expect(mondayOf('2027-01-01')).toBe('2026-12-28');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(isMonday('2026-11-30')).toBe(true);
    expect(isMonday('2026-12-01')).toBe(false);
    expect(isMonday('garbage')).toBe(false);
  });
  it('lists the week and labels its days', () => {
    expect(weekDays('2026-11-30')).toEqual([
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
      '2026-12-04',
      '2026-12-05',
      '2026-12-06',
    ]);
    expect(dayLabel('2026-11-30')).toBe('Mon 30 Nov');
    expect(dayLabel('2026-12-06')).toBe('Sun 6 Dec');
  });
  it('gives the week ranges ending with this week', () => {
    expect(weekRanges('2026-12-03', 2)).toEqual([
      { from: '2026-11-23', to: '2026-11-29' },
      { from: '2026-11-30', to: '2026-12-06' },
    ]);
  });
});

describe('hours as typed', () => {
  it('reads decimal hours and h:mm', () => {
    expect(parseHours('')).toEqual({ minutes: 0 });
    expect(parseHours(' 2 ')).toEqual({ minutes: 120 });
    expect(parseHours('1.5')).toEqual({ minutes: 90 });
    expect(parseHours('1,25')).toEqual({ minutes: 75 });
    expect(parseHours('0.1')).toEqual({ minutes: 6 });
    expect(parseHours('1:05')).toEqual({ minutes: 65 });
  });
  it('refuses what is not a whole number of minutes or not hours at all', () => {
    expect(parseHours('0.01')).toEqual({ error: '0.01 h is not a whole number of minutes' });
    expect(parseHours('abc')).toHaveProperty('error');
    expect(parseHours('-1')).toHaveProperty('error');
    expect(parseHours('1:75')).toHaveProperty('error');
  });
  it('shows minutes as h:mm', () => {
    expect(formatHours(0)).toBe('');
    expect(formatHours(90)).toBe('1:30');
    expect(formatHours(605)).toBe('10:05');
  });
});

describe('a changed cell', () => {
  it('logs into an empty cell and changes or deletes a single entry', () => {
    expect(planCellChange([], 0)).toEqual([]);
    expect(planCellChange([], 90)).toEqual([{ kind: 'log', minutes: 90 }]);
    expect(planCellChange([{ id: 'a', minutes: 60 }], 60)).toEqual([]);
    expect(planCellChange([{ id: 'a', minutes: 60 }], 30)).toEqual([
      { kind: 'update', id: 'a', minutes: 30 },
    ]);
    expect(planCellChange([{ id: 'a', minutes: 60 }], 0)).toEqual([{ kind: 'delete', id: 'a' }]);
  });
  it('keeps the other entries of a cell while the first absorbs the difference', () => {
    const cell = [
      { id: 'a', minutes: 60 },
      { id: 'b', minutes: 30 },
    ];
    expect(planCellChange(cell, 120)).toEqual([{ kind: 'update', id: 'a', minutes: 90 }]);
    expect(planCellChange(cell, 20)).toEqual([
      { kind: 'delete', id: 'a' },
      { kind: 'delete', id: 'b' },
      { kind: 'log', minutes: 20 },
    ]);
    expect(planCellChange(cell, 0)).toEqual([
      { kind: 'delete', id: 'a' },
      { kind: 'delete', id: 'b' },
    ]);
  });
});

describe('the burn series', () => {
  it('accumulates weeks up to the total spent, which may include older time', () => {
    expect(
      burnSeries(
        [
          { from: '2026-11-16', totalMinutes: 60 },
          { from: '2026-11-23', totalMinutes: 0 },
          { from: '2026-11-30', totalMinutes: 120 },
        ],
        600,
      ),
    ).toEqual([
      { weekStart: '2026-11-16', weekMinutes: 60, cumulativeMinutes: 480 },
      { weekStart: '2026-11-23', weekMinutes: 0, cumulativeMinutes: 480 },
      { weekStart: '2026-11-30', weekMinutes: 120, cumulativeMinutes: 600 },
    ]);
  });
});
