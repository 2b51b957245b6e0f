import type { Sink } from 'graphql-ws';
import { describe, expect, it, vi } from 'vitest';
import { SESSION_EXPIRED_MESSAGE } from '../session/session-store';
import type { LiveSession } from './live-subscription';
import { SESSION_ENDED_MESSAGE, subscribeLive } from './live-subscription';

/** A graphql-ws client stand-in: each subscribe is recorded with its sink, to be driven by hand. */
function fakeWs() {
  const sinks: Sink[] = [];
  const unsubscribed: number[] = [];
  return {
    sinks,
    unsubscribed,
    subscribe: vi.fn((_payload: unknown, sink: Sink) => {
      const index = sinks.push(sink) - 1;
      return () => void unsubscribed.push(index);
    }),
  };
}

function fakeSession(refreshOk = true): LiveSession & { refreshes: number; expired: string[] } {
  const state = { signedIn: true, refreshes: 0, expired: [] as string[] };
  return {
    get signedIn() {
      return state.signedIn;
    },
    get refreshes() {
      return state.refreshes;
    },
    expired: state.expired,
    refresh: async () => {
      state.refreshes += 1;
      if (!refreshOk) state.signedIn = false;
    },
    expire: (message: string) => {
      state.signedIn = false;
      state.expired.push(message);
    },
  };
}

const close = (code: number) => ({ code, reason: '', wasClean: true });
const payload = { query: 'subscription { statusUpdated(projectId: "p") { id } }' };
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('subscribeLive', () => {
  it('refreshes the session on 4401 and subscribes again with the new token', async () => {
    const ws = fakeWs();
    const session = fakeSession();
    const sink = { next: vi.fn(), error: vi.fn(), complete: vi.fn() };
    subscribeLive(ws, payload, sink, session);
    ws.sinks[0]?.error(close(4401));
    await flush();
    expect(session.refreshes).toBe(1);
    expect(ws.subscribe).toHaveBeenCalledTimes(2);
    ws.sinks[1]?.next({ data: { statusUpdated: { id: 'u1' } } });
    expect(sink.next).toHaveBeenCalledWith({ data: { statusUpdated: { id: 'u1' } } });
    expect(sink.error).not.toHaveBeenCalled();
  });

  it('ends the session with a message on 4403, without reconnecting', async () => {
    const ws = fakeWs();
    const session = fakeSession();
    const sink = { next: vi.fn(), error: vi.fn(), complete: vi.fn() };
    subscribeLive(ws, payload, sink, session);
    ws.sinks[0]?.error(close(4403));
    await flush();
    expect(session.expired).toEqual([SESSION_ENDED_MESSAGE]);
    expect(ws.subscribe).toHaveBeenCalledTimes(1);
    expect(sink.error).toHaveBeenCalledWith(close(4403));
  });

  it('gives up when the refresh is refused, and after repeated 4401s', async () => {
    const refused = fakeWs();
    const sink = { next: vi.fn(), error: vi.fn(), complete: vi.fn() };
    subscribeLive(refused, payload, sink, fakeSession(false));
    refused.sinks[0]?.error(close(4401));
    await flush();
    expect(refused.subscribe).toHaveBeenCalledTimes(1);
    expect(sink.error).toHaveBeenCalledWith(close(4401));

    const looping = fakeWs();
    const session = fakeSession();
    subscribeLive(looping, payload, { next: vi.fn(), error: vi.fn(), complete: vi.fn() }, session);
    for (let i = 0; i < 3; i += 1) {
      looping.sinks[i]?.error(close(4401));
      await flush();
    }
    expect(looping.subscribe).toHaveBeenCalledTimes(3);
    expect(session.expired).toEqual([SESSION_EXPIRED_MESSAGE]);
  });

  it('does not resubscribe once unsubscribed while refreshing', async () => {
    const ws = fakeWs();
    const unsubscribe = subscribeLive(
      ws,
      payload,
      { next: vi.fn(), error: vi.fn(), complete: vi.fn() },
      fakeSession(),
    );
    ws.sinks[0]?.error(close(4401));
    unsubscribe();
    await flush();
    expect(ws.subscribe).toHaveBeenCalledTimes(1);
  });
});
