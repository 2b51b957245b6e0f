/**
 * How the console's tabs share one session: refresh tokens are single-use (a reused one revokes
 * the session), so two tabs must never refresh with the same one. Every refresh runs under one
 * origin-wide lock, and only one tab (the leader) refreshes on a timer; the others take its
 * tokens from storage.
 */

/** The origin-wide locks the session store needs. */
export interface TabLocks {
  /**
   * Runs `task` while no other tab of this origin runs one; resolves or rejects with its result.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  /**
   * Calls `onLead` once this tab becomes the leader (one tab at a time, the next one when the
   * leader closes or gives up). Returns the function that gives up leading, or waiting to lead.
   */
  lead(onLead: () => void): () => void;
}

/** Lock names, shared by every tab of the origin. */
const REFRESH_LOCK = 'psa.session.refresh';
const LEAD_LOCK = 'psa.session.lead';

/** {@link TabLocks} through the Web Locks API, across every tab and worker of the origin. */
export function webLocks(locks: LockManager): TabLocks {
  return {
    exclusive: async (task) => await locks.request(REFRESH_LOCK, () => task()),
    lead(onLead) {
      const waiting = new AbortController();
      let release: () => void = () => undefined;
      locks
        .request(LEAD_LOCK, { signal: waiting.signal }, () => {
          onLead();
          // Held until given up or the tab closes (the browser then grants it to the next tab).
          return new Promise<void>((resolve) => {
            release = resolve;
          });
        })
        // Aborted: given up before it was granted.
        .catch(() => undefined);
      return () => {
        waiting.abort();
        release();
      };
    },
  };
}

/**
 * {@link TabLocks} within one JavaScript realm: what a page without the Web Locks API (an
 * insecure context) gets, where each tab then refreshes for itself; and, shared between several
 * session stores, the tabs of a test.
 */
export function inMemoryLocks(): TabLocks {
  let tail: Promise<unknown> = Promise.resolve();
  const waiting: { onLead: () => void }[] = [];
  let leader: { onLead: () => void } | null = null;

  function promote(): void {
    if (leader) return;
    leader = waiting.shift() ?? null;
    leader?.onLead();
  }

  return {
    exclusive<T>(task: () => Promise<T>): Promise<T> {
      const result = tail.then(task);
      tail = result.catch(() => undefined);
      return result;
    },
    lead(onLead) {
      const candidate = { onLead };
      waiting.push(candidate);
      promote();
      return () => {
        const index = waiting.indexOf(candidate);
        if (index >= 0) waiting.splice(index, 1);
        if (leader === candidate) {
          leader = null;
          promote();
        }
      };
    },
  };
}

/** The page's {@link TabLocks}: Web Locks where the browser has them, this tab alone otherwise. */
export function pageLocks(): TabLocks {
  // Web Locks exist only in secure contexts (HTTPS, localhost).
  return typeof navigator !== 'undefined' && navigator.locks
    ? webLocks(navigator.locks)
    : inMemoryLocks();
}

/**
 * Calls `onChange` when another tab changes `key` in localStorage (the `storage` event, which
 * the tab that wrote does not get); returns the function that stops.
 */
export function watchOtherTabs(target: Window, key: string, onChange: () => void): () => void {
  const listener = (event: StorageEvent): void => {
    // key null: the other tab cleared the whole storage.
    if (event.storageArea === target.localStorage && (event.key === key || event.key === null)) {
      onChange();
    }
  };
  target.addEventListener('storage', listener);
  return () => target.removeEventListener('storage', listener);
}
