import type { Sink } from 'graphql-ws';
import { describe, expect, it, vi } from 'vitest';
import { SESSION_EXPIRED_MESSAGE } from '../session/session-store';
import type { LiveSession } from './live-subscription';
import { SESSION_ENDED_MESSAGE, subscribeLive } from './live-subscription';

/**
 * A graphql-ws client stand-in: each subscribe is recorded with its sink, to be driven by hand;
 * `accept()` plays a connection the server accepted (the `connected` event).
 */
function fakeWs() {
  const sinks: Sink[] = [];
  const unsubscribed: number[] = [];
  const connected = new Set<() => void>();
  return {
    sinks,
    unsubscribed,
    subscribe: vi.fn((_payload: unknown, sink: Sink) => {
      const index = sinks.push(sink) - 1;
      return () => void unsubscribed.push(index);
    }),
    on: vi.fn((event: string, listener: () => void) => {
      if (event === 'connected') connected.add(listener);
      return () => void connected.delete(listener);
    }),
    accept: () => connected.forEach((listener) => listener()),
  };
}

function fakeSession(refreshOk = true) {
  const state = { signedIn: true, refreshes: 0, expired: [] as string[] };
  const session: LiveSession & { refreshes: number; expired: string[] } = {
    get signedIn() {
      return state.signedIn;
    },
    get refreshes() {
      return state.refreshes;
    },
    expired: state.expired,
    // Like the session store: a refused refresh ends the session with the caller's message.
    refresh: async (failureMessage = SESSION_EXPIRED_MESSAGE) => {
      state.refreshes += 1;
      if (!refreshOk) session.expire(failureMessage);
    },
    expire: (message: string) => {
      state.signedIn = false;
      state.expired.push(message);
    },
  };
  return session;
}

const close = (code: number) => ({ code, reason: '', wasClean: true });
const payload = { query: 'subscription { statusUpdated(projectId: "p") { id } }' };
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
const sink = () => ({ next: vi.fn(), error: vi.fn(), complete: vi.fn() });

describe('subscribeLive', () => {
  it('refreshes the session on 4401 and subscribes again with the new token', async () => {
    const ws = fakeWs();
    const session = fakeSession();
    const out = sink();
    subscribeLive(ws, payload, out, session);
    ws.sinks[0]?.error(close(4401));
    await flush();
    expect(session.refreshes).toBe(1);
    expect(ws.subscribe).toHaveBeenCalledTimes(2);
    ws.sinks[1]?.next({ data: { statusUpdated: { id: 'u1' } } });
    expect(out.next).toHaveBeenCalledWith({ data: { statusUpdated: { id: 'u1' } } });
    expect(out.error).not.toHaveBeenCalled();
  });

  it('refreshes once on 4403 (a role change) and subscribes again with the new role', async () => {
    const ws = fakeWs();
    const session = fakeSession();
    const out = sink();
    subscribeLive(ws, payload, out, session);
    ws.sinks[0]?.error(close(4403));
    await flush();
    expect(session.refreshes).toBe(1);
    expect(ws.subscribe).toHaveBeenCalledTimes(2);
    expect(session.expired).toEqual([]);
    expect(out.error).not.toHaveBeenCalled();
  });

  it('ends the session with a message on 4403 when the refresh is refused, without reconnecting', async () => {
    const ws = fakeWs();
    const session = fakeSession(false);
    const out = sink();
    subscribeLive(ws, payload, out, session);
    ws.sinks[0]?.error(close(4403));
    await flush();
    expect(session.expired).toEqual([SESSION_ENDED_MESSAGE]);
    expect(ws.subscribe).toHaveBeenCalledTimes(1);
    expect(out.error).toHaveBeenCalledWith(close(4403));
  });

  it('gives up when the refresh is refused, and after repeated refusals', async () => {
    const refused = fakeWs();
    const out = sink();
    subscribeLive(refused, payload, out, fakeSession(false));
    refused.sinks[0]?.error(close(4401));
    await flush();
    expect(refused.subscribe).toHaveBeenCalledTimes(1);
    expect(out.error).toHaveBeenCalledWith(close(4401));

    // The server refuses every new token at connect: no connection is accepted in between.
    const looping = fakeWs();
    const session = fakeSession();
    subscribeLive(looping, payload, sink(), session);
    for (let i = 0; i < 3; i += 1) {
      looping.sinks[i]?.error(close(4401));
      await flush();
    }
    expect(looping.subscribe).toHaveBeenCalledTimes(3);
    expect(session.expired).toEqual([SESSION_EXPIRED_MESSAGE]);
  });

  it('follows any number of token expiries of accepted connections', async () => {
    const ws = fakeWs();
    const session = fakeSession();
    const out = sink();
    subscribeLive(ws, payload, out, session);
    for (let i = 0; i < 5; i += 1) {
      ws.accept();
      ws.sinks[i]?.error(close(4401));
      await flush();
    }
    expect(ws.subscribe).toHaveBeenCalledTimes(6);
    expect(session.expired).toEqual([]);
    expect(out.error).not.toHaveBeenCalled();
  });

  it('does not resubscribe once unsubscribed while refreshing', async () => {
    const ws = fakeWs();
    const unsubscribe = subscribeLive(ws, payload, sink(), fakeSession());
    ws.sinks[0]?.error(close(4401));
    unsubscribe();
    await flush();
    expect(ws.subscribe).toHaveBeenCalledTimes(1);
    expect(ws.on).toHaveBeenCalledTimes(1);
  });
});
