import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuthPayload } from '../api/operations';
import { sharedOrigin } from '../testing/shared-origin';
import {
  SESSION_ENDED_ELSEWHERE_MESSAGE,
  SESSION_EXPIRED_MESSAGE,
  SESSION_KEY,
  SessionStore,
} from './session-store';

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

/**
 * The users service's refresh rule: each refresh token works once, and a reused one revokes the
 * session (every later refresh is refused). Answers after `latencyMs`, so that tabs overlap.
 */
function refreshServer(latencyMs = 200) {
  let issued = 1;
  let revoked = false;
  const spent = new Set<string>();
  const refreshSession = vi.fn(async (refreshToken: string): Promise<AuthPayload> => {
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (revoked) throw new Error('Session has ended');
    if (spent.has(refreshToken) || refreshToken !== `refresh-${issued}`) {
      revoked = true;
      throw new Error('Refresh token reused: session revoked');
    }
    spent.add(refreshToken);
    issued += 1;
    return pair(issued);
  });
  return {
    refreshSession,
    get revoked() {
      return revoked;
    },
    revoke() {
      revoked = true;
    },
  };
}

function memoryStorage(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries(initial));
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

const stored = (n: number) => ({ [SESSION_KEY]: JSON.stringify(pair(n)) });

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

describe('SessionStore', () => {
  it('refreshes before expiry and stores the rotated session', async () => {
    const storage = memoryStorage();
    const server = refreshServer(0);
    const store = new SessionStore({ storage, refreshSession: server.refreshSession });
    store.start(pair(1));
    expect(store.accessToken).toBe('access-1');

    await vi.advanceTimersByTimeAsync(14 * 60_000);
    expect(server.refreshSession).toHaveBeenCalledWith('refresh-1');
    expect(store.accessToken).toBe('access-2');
    expect(JSON.parse(storage.getItem(SESSION_KEY) ?? '{}')).toMatchObject({
      accessToken: 'access-2',
      refreshToken: 'refresh-2',
    });
    store.signOut();
    expect(storage.getItem(SESSION_KEY)).toBeNull();
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
    expect(storage.getItem(SESSION_KEY)).toBeNull();
  });

  it('resumes the stored session with a new access token (the role may have changed)', async () => {
    const server = refreshServer(0);
    const store = new SessionStore({
      storage: memoryStorage(stored(1)),
      refreshSession: server.refreshSession,
    });
    expect(store.getState().status).toBe('restoring');
    await store.restore();
    expect(server.refreshSession).toHaveBeenCalledWith('refresh-1');
    expect(store.getState().status).toBe('signedIn');
    expect(store.accessToken).toBe('access-2');
    store.signOut();
  });

  it('starts signed out without a stored session, or with one it cannot read', async () => {
    const unreadable: Record<string, string>[] = [
      {},
      { [SESSION_KEY]: '{"refreshToken":"r"}' },
      { [SESSION_KEY]: '{' },
    ];
    for (const entries of unreadable) {
      const store = new SessionStore({ storage: memoryStorage(entries), refreshSession: vi.fn() });
      await store.restore();
      expect(store.getState()).toEqual({ status: 'signedOut' });
    }
  });

  it('works without storage, for this tab alone', async () => {
    const server = refreshServer(0);
    const store = new SessionStore({ refreshSession: server.refreshSession });
    store.start(pair(1));
    await store.refreshNow();
    expect(store.accessToken).toBe('access-2');
    store.signOut();
  });
});

describe('SessionStore across tabs', () => {
  const stores: SessionStore[] = [];
  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
  });
  function openTab(
    origin: ReturnType<typeof sharedOrigin>,
    server: ReturnType<typeof refreshServer>,
  ) {
    const store = new SessionStore({ ...origin.tab(), refreshSession: server.refreshSession });
    stores.push(store);
    return store;
  }

  it('resumes two tabs opened at once with one refresh', async () => {
    const origin = sharedOrigin(stored(1));
    const server = refreshServer();
    const [a, b] = [openTab(origin, server), openTab(origin, server)];
    const both = Promise.all([a.restore(), b.restore()]);
    await vi.advanceTimersByTimeAsync(1_000);
    await both;
    expect(server.refreshSession).toHaveBeenCalledTimes(1);
    expect([a.accessToken, b.accessToken]).toEqual(['access-2', 'access-2']);
    expect(server.revoked).toBe(false);
  });

  it('refreshes once per expiry: the leading tab refreshes, the others take its tokens', async () => {
    const origin = sharedOrigin();
    const server = refreshServer();
    const tabs = [openTab(origin, server), openTab(origin, server), openTab(origin, server)];
    tabs[0]?.start(pair(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(tabs.map((tab) => tab.accessToken)).toEqual(['access-1', 'access-1', 'access-1']);

    for (let expiry = 1; expiry <= 4; expiry += 1) {
      await vi.advanceTimersByTimeAsync(14 * 60_000 + 1_000);
      expect(server.refreshSession).toHaveBeenCalledTimes(expiry);
      const token = `access-${expiry + 1}`;
      expect(tabs.map((tab) => tab.accessToken)).toEqual([token, token, token]);
    }
    expect(server.revoked).toBe(false);
  });

  it('sends one refresh when several tabs need a new token at the same moment', async () => {
    const origin = sharedOrigin();
    const server = refreshServer();
    const [a, b] = [openTab(origin, server), openTab(origin, server)];
    a.start(pair(1));
    await vi.advanceTimersByTimeAsync(0);
    // E.g. both tabs' requests refused after a role change, each refreshing before giving up.
    const both = Promise.all([a.refreshNow(), b.refreshNow(), b.refreshNow()]);
    await vi.advanceTimersByTimeAsync(1_000);
    await both;
    expect(server.refreshSession).toHaveBeenCalledTimes(1);
    expect([a.accessToken, b.accessToken]).toEqual(['access-2', 'access-2']);
    expect([a.signedIn, b.signedIn]).toEqual([true, true]);
    expect(server.revoked).toBe(false);
  });

  it('hands the refreshing to the next tab when the leading one closes', async () => {
    const origin = sharedOrigin();
    const server = refreshServer();
    const [a, b] = [openTab(origin, server), openTab(origin, server)];
    a.start(pair(1));
    await vi.advanceTimersByTimeAsync(0);
    a.close();
    await vi.advanceTimersByTimeAsync(14 * 60_000 + 1_000);
    expect(server.refreshSession).toHaveBeenCalledTimes(1);
    expect(b.accessToken).toBe('access-2');
  });

  it('signs every tab out when one logs out, and in when one logs in', async () => {
    const origin = sharedOrigin();
    const server = refreshServer();
    const [a, b] = [openTab(origin, server), openTab(origin, server)];
    a.start(pair(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(b.getState()).toMatchObject({ status: 'signedIn', user });
    a.signOut();
    await vi.advanceTimersByTimeAsync(0);
    expect(b.getState()).toEqual({ status: 'signedOut', message: SESSION_ENDED_ELSEWHERE_MESSAGE });
    expect(a.getState()).toEqual({ status: 'signedOut' });
  });

  it('ends the session in every tab when the refresh is refused, sending the token once', async () => {
    const origin = sharedOrigin();
    const server = refreshServer();
    const [a, b] = [openTab(origin, server), openTab(origin, server)];
    a.start(pair(1));
    await vi.advanceTimersByTimeAsync(0);
    server.revoke(); // Logged out everywhere from another device.
    const both = Promise.all([a.refreshNow(), b.refreshNow()]);
    await vi.advanceTimersByTimeAsync(1_000);
    await both;
    expect(server.refreshSession).toHaveBeenCalledTimes(1);
    expect(a.getState()).toEqual({ status: 'signedOut', message: SESSION_EXPIRED_MESSAGE });
    expect(b.getState().status).toBe('signedOut');
    expect(origin.entries.has(SESSION_KEY)).toBe(false);
  });
});
