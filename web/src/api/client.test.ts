import { afterEach, describe, expect, it, vi } from 'vitest';
import { SESSION_EXPIRED_MESSAGE, SessionStore } from '../session/session-store';
import { closeReason, createApiClient, webSocketUrl } from './client';
import { MyWorkQuery, LoginMutation } from './operations';
import type { AuthPayload } from './operations';

function jsonResponse(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
}

const unauthenticated = {
  data: null,
  errors: [{ message: 'Not signed in', extensions: { code: 'UNAUTHENTICATED' } }],
};

const pair = (n: number, role: 'MEMBER' | 'MANAGER' = 'MEMBER'): AuthPayload => ({
  accessToken: `token-${n}`,
  refreshToken: `refresh-${n}`,
  expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
  user: { id: 'u1', username: 'alice', email: null, displayName: null, role },
});

function signedInSession(refreshSession: (token: string) => Promise<AuthPayload> = vi.fn()) {
  const session = new SessionStore({ refreshSession });
  session.start(pair(1));
  return session;
}

const roleChanged = {
  data: null,
  errors: [
    { message: 'Role changed: refresh the session', extensions: { code: 'UNAUTHENTICATED' } },
  ],
};
const myWork = {
  data: {
    me: {
      __typename: 'User',
      id: 'u1',
      assignedTasks: {
        __typename: 'TaskConnection',
        totalCount: 0,
        pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
        edges: [],
      },
    },
  },
};
const sentToken = (call: unknown) =>
  new Headers((call as [string, RequestInit])[1].headers).get('authorization');

describe('createApiClient', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('refreshes once when the access token is refused (role changed) and sends again', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(jsonResponse(roleChanged))
      .mockResolvedValueOnce(jsonResponse(myWork));
    vi.stubGlobal('fetch', fetchMock);
    const refreshSession = vi.fn(async () => pair(2, 'MANAGER'));
    const session = signedInSession(refreshSession);
    const api = createApiClient(session, 'http://localhost/graphql');

    const result = await api.client.query(MyWorkQuery, {}).toPromise();
    expect(result.error).toBeUndefined();
    expect(result.data?.me?.id).toBe('u1');
    expect(refreshSession).toHaveBeenCalledTimes(1);
    expect(fetchMock.mock.calls.map(sentToken)).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect((fetchMock.mock.calls[0] as [string, RequestInit])[1].method).toBe('POST');
    expect(session.getState()).toMatchObject({ status: 'signedIn', user: { role: 'MANAGER' } });
    session.signOut();
    api.dispose();
  });

  it('ends the session when the refreshed token is refused too', async () => {
    const fetchMock = vi.fn(async () => jsonResponse(roleChanged));
    vi.stubGlobal('fetch', fetchMock);
    const refreshSession = vi.fn(async () => pair(2));
    const session = signedInSession(refreshSession);
    const api = createApiClient(session, 'http://localhost/graphql');

    const result = await api.client.query(MyWorkQuery, {}).toPromise();
    expect(result.error?.graphQLErrors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(refreshSession).toHaveBeenCalledTimes(1);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(session.getState()).toEqual({ status: 'signedOut', message: SESSION_EXPIRED_MESSAGE });
    api.dispose();
  });

  it('ends the session without sending again when the refresh is refused', async () => {
    const fetchMock = vi.fn(async () => jsonResponse(unauthenticated));
    vi.stubGlobal('fetch', fetchMock);
    const session = signedInSession(() => Promise.reject(new Error('Session has ended')));
    const api = createApiClient(session, 'http://localhost/graphql');

    const result = await api.client.query(MyWorkQuery, {}).toPromise();
    expect(result.error).toBeDefined();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(session.getState()).toEqual({ status: 'signedOut', message: SESSION_EXPIRED_MESSAGE });
    api.dispose();
  });

  it('refreshes an expired access token before sending (a tab whose timers slept)', async () => {
    const fetchMock = vi.fn(async () => jsonResponse(myWork));
    vi.stubGlobal('fetch', fetchMock);
    const refreshSession = vi.fn(async () => pair(2));
    const session = new SessionStore({ refreshSession });
    session.start({ ...pair(1), expiresAt: new Date(Date.now() - 1_000).toISOString() });
    const api = createApiClient(session, 'http://localhost/graphql');

    const result = await api.client.query(MyWorkQuery, {}).toPromise();
    expect(result.error).toBeUndefined();
    expect(fetchMock.mock.calls.map(sentToken)).toEqual(['Bearer token-2']);
    session.signOut();
    api.dispose();
  });

  it('leaves the session alone when a login is refused', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => jsonResponse(unauthenticated)),
    );
    const session = signedInSession();
    const api = createApiClient(session, 'http://localhost/graphql');
    await api.client
      .mutation(LoginMutation, { input: { login: 'a', password: 'b' } }, { skipAuth: true })
      .toPromise();
    expect(session.getState().status).toBe('signedIn');
    session.signOut();
    api.dispose();
  });

  it('derives the WebSocket URL from the page', () => {
    expect(webSocketUrl({ protocol: 'https:', host: 'psa.example.com' })).toBe(
      'wss://psa.example.com/graphql',
    );
    expect(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:4000' })).toBe(
      'ws://127.0.0.1:4000/graphql',
    );
    expect(webSocketUrl({ protocol: 'http:', host: 'x' }, 'https://api.example.com/graphql')).toBe(
      'wss://api.example.com/graphql',
    );
  });

  it('explains WebSocket close codes', () => {
    expect((closeReason({ code: 4403, reason: '' }) as Error).message).toContain('session ended');
    expect((closeReason({ code: 4999 }) as Error).message).toBe(
      'the live connection closed (4999)',
    );
    const other = new Error('x');
    expect(closeReason(other)).toBe(other);
  });
});
