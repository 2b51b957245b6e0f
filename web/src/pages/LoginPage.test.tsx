import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthPayload } from '../api/operations';
import { SessionContext } from '../session/session-context';
import { SESSION_KEY, SessionStore } from '../session/session-store';
import type { StubHandler } from '../testing/stub-client';
import { createStubClient } from '../testing/stub-client';
import { LoginPage } from './LoginPage';

afterEach(cleanup);

const payload: AuthPayload = {
  accessToken: 'access-1',
  refreshToken: 'refresh-1',
  expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
  user: {
    id: 'u1',
    username: 'alice',
    email: 'alice@example.com',
    displayName: 'Alice',
    role: 'MEMBER',
  },
};

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

function renderLogin(handler: StubHandler, message?: string) {
  const storage = memoryStorage();
  const session = new SessionStore({ storage, refreshSession: vi.fn() });
  const { client, calls } = createStubClient(handler);
  render(
    <Provider value={client}>
      <SessionContext.Provider value={session}>
        <LoginPage message={message} />
      </SessionContext.Provider>
    </Provider>,
  );
  return { session, storage, calls };
}

describe('LoginForm', () => {
  it('logs in with username and password and starts the session', async () => {
    const user = userEvent.setup();
    const { session, storage, calls } = renderLogin(() => ({ data: { login: payload } }));

    await user.type(screen.getByLabelText('Username or email'), ' alice ');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery 1');
    await user.click(screen.getByRole('button', { name: 'Log in' }));

    await vi.waitFor(() => expect(session.getState().status).toBe('signedIn'));
    expect(calls[0]?.operationName).toBe('Login');
    expect(calls[0]?.variables).toEqual({
      input: { login: 'alice', password: 'correct horse battery 1' },
    });
    expect(calls[0]?.context.skipAuth).toBe(true);
    expect(session.accessToken).toBe('access-1');
    expect(JSON.parse(storage.getItem(SESSION_KEY) ?? '{}')).toEqual(payload);
    session.signOut();
  });

  it('shows the API error next to the form and stays signed out', async () => {
    const user = userEvent.setup();
    const { session } = renderLogin(() => ({
      data: null,
      errors: [
        { message: 'Wrong username or password', extensions: { code: 'UNAUTHENTICATED' } },
      ] as never,
    }));

    await user.type(screen.getByLabelText('Username or email'), 'alice');
    await user.type(screen.getByLabelText('Password'), 'not the password!');
    await user.keyboard('{Enter}');

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Could not log in. Not signed in: Wrong username or password');
    expect(session.getState().status).toBe('signedOut');
  });

  it('shows why the previous session ended', () => {
    renderLogin(() => ({ data: null }), 'Your session has expired, please log in again');
    expect(screen.getByRole('status').textContent).toBe(
      'Your session has expired, please log in again',
    );
  });
});
