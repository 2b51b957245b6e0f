import { createContext, useContext, useSyncExternalStore } from 'react';
import type { SessionState, SessionStore } from './session-store';

export const SessionContext = createContext<SessionStore | null>(null);

/** The session store from the nearest provider; throws when there is none (a wiring bug). */
export function useSessionStore(): SessionStore {
  const store = useContext(SessionContext);
  if (!store) throw new Error('useSessionStore needs a <SessionContext.Provider>');
  return store;
}

/** The session state, re-rendering on every change. */
export function useSession(): SessionState {
  const store = useSessionStore();
  return useSyncExternalStore(store.subscribe, store.getState, store.getState);
}
