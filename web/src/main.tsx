import { createRoot } from 'react-dom/client';
import { refreshSession } from './api/refresh-session';
import { App } from './App';
import { SessionStore } from './session/session-store';
import './styles.css';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const session = new SessionStore({
  storage: storage(),
  refreshSession: (token) => refreshSession(token),
});
void session.restore();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(<App session={session} />);
