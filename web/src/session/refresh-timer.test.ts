import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRefreshScheduler, refreshDelayMs } from './refresh-timer';

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

describe('createRefreshScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refreshes shortly before expiry and re-arms with the new expiry', async () => {
    const expiries = [at(30 * 60_000)];
    const refresh = vi.fn(async () => expiries.shift() ?? at(60 * 60_000));
    const onFailure = vi.fn();
    const scheduler = createRefreshScheduler({ refresh, onFailure });
    scheduler.schedule(at(15 * 60_000));

    await vi.advanceTimersByTimeAsync(14 * 60_000 - 1);
    expect(refresh).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(refresh).toHaveBeenCalledTimes(1);

    // The new token expires at 30 min: the next refresh is at 29 min.
    await vi.advanceTimersByTimeAsync(15 * 60_000 - 1);
    expect(refresh).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(refresh).toHaveBeenCalledTimes(2);
    expect(onFailure).not.toHaveBeenCalled();
    scheduler.cancel();
  });

  it('reports a failed refresh once and stops', async () => {
    const refresh = vi.fn(() => Promise.reject(new Error('revoked')));
    const onFailure = vi.fn();
    const scheduler = createRefreshScheduler({ refresh, onFailure });
    scheduler.schedule(at(120_000));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(onFailure).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('does nothing after cancel', async () => {
    const refresh = vi.fn(async () => at(30 * 60_000));
    const scheduler = createRefreshScheduler({ refresh, onFailure: vi.fn() });
    scheduler.schedule(at(120_000));
    scheduler.cancel();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(refresh).not.toHaveBeenCalled();
  });

  it('runs one refresh at a time', async () => {
    let resolve: (value: string) => void = () => undefined;
    const refresh = vi.fn(() => new Promise<string>((r) => (resolve = r)));
    const scheduler = createRefreshScheduler({ refresh, onFailure: vi.fn() });
    const first = scheduler.refreshNow();
    const second = scheduler.refreshNow();
    expect(refresh).toHaveBeenCalledTimes(1);
    resolve(at(15 * 60_000));
    await Promise.all([first, second]);
    scheduler.cancel();
  });
});
