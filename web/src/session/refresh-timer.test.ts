import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRefreshTimer, refreshDelayMs } from './refresh-timer';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

describe('refreshDelayMs', () => {
  it('refreshes a minute before a 15-minute token expires', () => {
    expect(refreshDelayMs(at(15 * 60_000), T0)).toBe(14 * 60_000);
  });
  it('uses half the remaining life for short tokens', () => {
    expect(refreshDelayMs(at(30_000), T0)).toBe(15_000);
  });
  it('is 0 for an expired or unreadable expiry', () => {
    expect(refreshDelayMs(at(-1), T0)).toBe(0);
    expect(refreshDelayMs('not a date', T0)).toBe(0);
  });
  it('stays within what setTimeout accepts', () => {
    expect(refreshDelayMs(at(60 * 86_400_000), T0)).toBe(2_147_483_647);
  });
});

describe('createRefreshTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is due shortly before expiry, once per schedule', async () => {
    const onDue = vi.fn();
    const timer = createRefreshTimer({ onDue });
    timer.schedule(at(15 * 60_000));
    await vi.advanceTimersByTimeAsync(14 * 60_000 - 1);
    expect(onDue).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(onDue).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(onDue).toHaveBeenCalledTimes(1);
  });

  it('replaces the earlier expiry when scheduled again', async () => {
    const onDue = vi.fn();
    const timer = createRefreshTimer({ onDue });
    timer.schedule(at(15 * 60_000));
    timer.schedule(at(30 * 60_000));
    await vi.advanceTimersByTimeAsync(29 * 60_000 - 1);
    expect(onDue).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(onDue).toHaveBeenCalledTimes(1);
  });

  it('does nothing after cancel', async () => {
    const onDue = vi.fn();
    const timer = createRefreshTimer({ onDue });
    timer.schedule(at(120_000));
    timer.cancel();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(onDue).not.toHaveBeenCalled();
  });
});
