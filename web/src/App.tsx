import { Suspense, lazy, useEffect, useMemo, useState } from 'react';
import { Provider } from 'urql';
import type { ApiClient } from './api/client';
import { createApiClient } from './api/client';
import { toApiErrors, describeApiError } from './api/api-error';
import type { SessionUser } from './api/operations';
import { LogoutMutation } from './api/operations';
import { AdminPage } from './pages/AdminPage';
import { LoginPage } from './pages/LoginPage';
import { MyWorkPage } from './pages/MyWorkPage';
import { NotificationsPage } from './pages/NotificationsPage';
import { ProfilePage } from './pages/ProfilePage';
import { ProjectPage } from './pages/ProjectPage';
import { ProjectsPage } from './pages/ProjectsPage';
import { TimePage } from './pages/TimePage';
import { NotificationBell } from './components/NotificationBell';
import { TimerControl } from './components/TimerControl';
import type { Route } from './router';
import { href, navigate, useRoute } from './router';
import { SessionContext, useSession, useSessionStore } from './session/session-context';
import type { SessionStore } from './session/session-store';

// GraphiQL is most of the console's code: it loads only when the explorer opens.
const ExplorerPage = lazy(() => import('./explorer/ExplorerPage'));

export interface AppProps {
  session: SessionStore;
  /** Makes the API client for a session (default: same-origin `/graphql`). */
  createClient?: (session: SessionStore) => ApiClient;
}

export function App({ session, createClient = createApiClient }: AppProps) {
  return (
    <SessionContext.Provider value={session}>
      <Shell createClient={createClient} />
    </SessionContext.Provider>
  );
}

function Shell({ createClient }: { createClient: (session: SessionStore) => ApiClient }) {
  const store = useSessionStore();
  const state = useSession();
  const route = useRoute();
  const userId = state.status === 'signedIn' ? state.user.id : null;
  // A new client per user, so that one user's cache and socket never serve the next.
  const api = useMemo(() => createClient(store), [createClient, store, userId]);
  useEffect(() => () => api.dispose(), [api]);

  useEffect(() => {
    if (state.status === 'signedIn' && (route.name === 'login' || route.name === 'signup')) {
      navigate({ name: 'work' });
    }
  }, [state.status, route.name]);

  let content;
  if (state.status === 'restoring') {
    content = (
      <main>
        <p role="status">Resuming your session…</p>
      </main>
    );
  } else if (state.status === 'signedOut') {
    content = <LoginPage message={state.message} signUp={route.name === 'signup'} />;
  } else {
    content = (
      <>
        <Nav user={state.user} route={route} api={api} />
        <Page route={route} user={state.user} api={api} />
      </>
    );
  }
  return <Provider value={api.client}>{content}</Provider>;
}

function Page({ route, user, api }: { route: Route; user: SessionUser; api: ApiClient }) {
  const store = useSessionStore();
  switch (route.name) {
    case 'login':
    case 'signup':
    case 'work':
      return <MyWorkPage viewer={user} />;
    case 'projects':
      return <ProjectsPage viewer={user} />;
    case 'project':
      return <ProjectPage key={route.id} id={route.id} viewer={user} />;
    case 'time':
      return (
        <TimePage
          key={route.projectId ?? ''}
          viewer={user}
          {...(route.projectId ? { projectId: route.projectId } : {})}
          {...(route.week ? { week: route.week } : {})}
        />
      );
    case 'profile':
      return <ProfilePage user={user} />;
    case 'notifications':
      return <NotificationsPage />;
    case 'admin':
      return user.role === 'ADMIN' ? (
        <AdminPage />
      ) : (
        <main>
          <h1>Admins only</h1>
        </main>
      );
    case 'explorer':
      return (
        <Suspense
          fallback={
            <main>
              <p role="status">Loading the API explorer…</p>
            </main>
          }
        >
          <ExplorerPage session={store} wsClient={api.ws} />
        </Suspense>
      );
    case 'notFound':
      return (
        <main>
          <h1>Page not found</h1>
          <p>
            Nothing at <code>{route.path}</code>. <a href={href({ name: 'work' })}>My work</a>
          </p>
        </main>
      );
    default: {
      const unknown: never = route;
      return unknown;
    }
  }
}

function Nav({ user, route, api }: { user: SessionUser; route: Route; api: ApiClient }) {
  const store = useSessionStore();
  const [busy, setBusy] = useState(false);
  const link = (to: Route, label: string) => (
    <a
      href={href(to)}
      aria-current={
        route.name === to.name || (to.name === 'projects' && route.name === 'project')
          ? 'page'
          : undefined
      }
    >
      {label}
    </a>
  );

  async function onLogout() {
    setBusy(true);
    const res = await api.client.mutation(LogoutMutation, {}).toPromise();
    if (res.error) {
      const why = toApiErrors(res.error).map(describeApiError).join('; ');
      store.expire(`You are logged out on this device, but the server was not told (${why}).`);
    } else {
      store.signOut();
    }
  }

  return (
    <nav aria-label="Main">
      <a href={href({ name: 'work' })} className="brand">
        PSA Graph
      </a>
      {link({ name: 'work' }, 'My work')}
      {link({ name: 'projects' }, 'Projects')}
      {link({ name: 'time' }, 'Time')}
      {link({ name: 'profile' }, 'Profile')}
      {user.role === 'ADMIN' ? link({ name: 'admin' }, 'Admin') : null}
      {link({ name: 'explorer' }, 'API explorer')}
      <span className="spacer" />
      {user.role === 'CLIENT' ? null : <TimerControl />}
      <NotificationBell current={route.name === 'notifications'} socket={api.ws} />
      <span className="who">
        {user.displayName ?? user.username} ({user.role.toLowerCase()})
      </span>
      <button type="button" onClick={() => void onLogout()} disabled={busy}>
        Log out
      </button>
    </nav>
  );
}
