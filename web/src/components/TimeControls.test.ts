import { describe, expect, it } from 'vitest';
import { checkMoney } from './ProjectTimePanel';
import { elapsedText } from './TimerControl';

describe('money as typed', () => {
  it('keeps the decimal text exact (no floating point) and refuses what is not an amount', () => {
    expect(checkMoney('120', 'The rate')).toEqual({ value: '120' });
    expect(checkMoney(' 120,50 ', 'The rate')).toEqual({ value: '120.50' });
    expect(checkMoney('0.1', 'The rate')).toEqual({ value: '0.1' });
    expect(checkMoney('-5', 'The rate')).toEqual({
      error: 'The rate must be an amount such as 120.00',
    });
    expect(checkMoney('1e3', 'The rate')).toHaveProperty('error');
    expect(checkMoney('', 'The rate')).toHaveProperty('error');
  });
});

describe('the timer', () => {
  it('shows the time since it started as h:mm:ss', () => {
    const start = '2026-12-03T09:00:00.000Z';
    expect(elapsedText(start, Date.parse(start))).toBe('0:00:00');
    expect(elapsedText(start, Date.parse('2026-12-03T10:02:03.900Z'))).toBe('1:02:03');
    // A clock slightly behind the server's never shows a negative time.
    expect(elapsedText(start, Date.parse(start) - 5000)).toBe('0:00:00');
  });
});
