import { afterEach, describe, expect, it, vi } from 'vitest';
import { SESSION_EXPIRED_MESSAGE, SessionStore } from '../session/session-store';
import { closeReason, createApiClient, webSocketUrl } from './client';
import { MyWorkQuery, LoginMutation } from './operations';

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

function signedInSession(): SessionStore {
  const session = new SessionStore({ refreshSession: vi.fn() });
  session.start({
    accessToken: 'token-1',
    refreshToken: 'refresh-1',
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    user: { id: 'u1', username: 'alice', email: null, displayName: null, role: 'MEMBER' },
  });
  return session;
}

describe('createApiClient', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends the access token and ends the session on UNAUTHENTICATED', async () => {
    const fetchMock = vi.fn(async () => jsonResponse(unauthenticated));
    vi.stubGlobal('fetch', fetchMock);
    const session = signedInSession();
    const api = createApiClient(session, 'http://localhost/graphql');

    const result = await api.client.query(MyWorkQuery, {}).toPromise();
    expect(result.error?.graphQLErrors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(init.method).toBe('POST');
    expect(new Headers(init.headers).get('authorization')).toBe('Bearer token-1');
    expect(session.getState()).toEqual({ status: 'signedOut', message: SESSION_EXPIRED_MESSAGE });
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
