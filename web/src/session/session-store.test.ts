import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuthPayload } from '../api/operations';
import { REFRESH_TOKEN_KEY, SESSION_EXPIRED_MESSAGE, SessionStore } from './session-store';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const user = {
  id: 'u1',
  username: 'alice',
  email: null,
  displayName: null,
  role: 'MEMBER' as const,
};
const pair = (n: number, expiresInMs = 15 * 60_000): AuthPayload => ({
  accessToken: `access-${n}`,
  refreshToken: `refresh-${n}`,
  expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
  user,
});
function memoryStorage(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries(initial));
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

describe('SessionStore', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it('refreshes before expiry and stores the rotated refresh token', async () => {
    const storage = memoryStorage();
    const refreshSession = vi.fn(async () => pair(2));
    const store = new SessionStore({ storage, refreshSession });
    store.start(pair(1));
    expect(store.accessToken).toBe('access-1');

    await vi.advanceTimersByTimeAsync(14 * 60_000);
    expect(refreshSession).toHaveBeenCalledWith('refresh-1');
    expect(store.accessToken).toBe('access-2');
    expect(storage.getItem(REFRESH_TOKEN_KEY)).toBe('refresh-2');
    store.signOut();
    expect(storage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
  });

  it('returns to the login page with a message when a refresh fails', async () => {
    const storage = memoryStorage();
    const store = new SessionStore({
      storage,
      refreshSession: () => Promise.reject(new Error('revoked')),
    });
    store.start(pair(1));
    await vi.advanceTimersByTimeAsync(14 * 60_000);
    expect(store.getState()).toEqual({ status: 'signedOut', message: SESSION_EXPIRED_MESSAGE });
    expect(store.accessToken).toBeNull();
    expect(storage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
  });

  it('resumes from a stored refresh token', async () => {
    const refreshSession = vi.fn(async () => pair(5));
    const store = new SessionStore({
      storage: memoryStorage({ [REFRESH_TOKEN_KEY]: 'refresh-4' }),
      refreshSession,
    });
    expect(store.getState().status).toBe('restoring');
    await store.restore();
    expect(refreshSession).toHaveBeenCalledWith('refresh-4');
    expect(store.getState().status).toBe('signedIn');
    store.signOut();
  });

  it('starts signed out without a stored token', async () => {
    const store = new SessionStore({ storage: memoryStorage(), refreshSession: vi.fn() });
    await store.restore();
    expect(store.getState()).toEqual({ status: 'signedOut' });
  });
});
