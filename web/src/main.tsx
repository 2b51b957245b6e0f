import { createRoot } from 'react-dom/client';
import { refreshSession } from './api/refresh-session';
import { App } from './App';
import { SESSION_KEY, SessionStore } from './session/session-store';
import { pageLocks, watchOtherTabs } from './session/session-tabs';
import './styles.css';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const local = storage();
// Every tab of the console shares one session: one stored refresh token, refreshed by one tab
// at a time (README "The web console").
const session = new SessionStore({
  storage: local,
  watchStorage: local ? (onChange) => watchOtherTabs(window, SESSION_KEY, onChange) : undefined,
  locks: pageLocks(),
  refreshSession: (token) => refreshSession(token),
});
void session.restore();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(<App session={session} />);
