import type { SessionStoreOptions, TokenStorage } from '../session/session-store';
import { inMemoryLocks } from '../session/session-tabs';

export type TabOptions = Required<Pick<SessionStoreOptions, 'storage' | 'watchStorage' | 'locks'>>;

/**
 * The tabs of one origin, for session tests: one localStorage and one set of locks that every
 * tab shares, and `storage` events as a browser sends them (to the other tabs only, as a task of
 * their own, and only when a value changed).
 */
export function sharedOrigin(initial: Record<string, string> = {}) {
  const entries = new Map(Object.entries(initial));
  const locks = inMemoryLocks();
  const watchers: Set<() => void>[] = [];

  return {
    entries,
    /** The session store options of a new tab. */
    tab(): TabOptions {
      const own = new Set<() => void>();
      watchers.push(own);
      const notifyOthers = (): void => {
        for (const tab of watchers) {
          if (tab === own) continue;
          for (const onChange of tab) setTimeout(onChange, 0);
        }
      };
      const storage: TokenStorage = {
        getItem: (key) => entries.get(key) ?? null,
        setItem(key, value) {
          const changed = entries.get(key) !== value;
          entries.set(key, value);
          if (changed) notifyOthers();
        },
        removeItem(key) {
          if (entries.delete(key)) notifyOthers();
        },
      };
      return {
        storage,
        locks,
        watchStorage(onChange) {
          own.add(onChange);
          return () => own.delete(onChange);
        },
      };
    },
  };
}
