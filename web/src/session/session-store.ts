import type { AuthPayload, SessionUser } from '../api/operations';
import { createRefreshTimer } from './refresh-timer';
import type { RefreshTimer } from './refresh-timer';
import { inMemoryLocks } from './session-tabs';
import type { TabLocks } from './session-tabs';

export const SESSION_EXPIRED_MESSAGE = 'Your session has expired, please log in again';
export const SESSION_ENDED_ELSEWHERE_MESSAGE =
  'Your session ended in another tab (you logged out there, or it expired); please log in again';
/**
 * Where the session (both tokens, their expiry, the user) is kept: every tab of the origin reads
 * and writes this one entry, so the tabs share one session and one refresh token.
 */
export const SESSION_KEY = 'psa.session';

export type SessionState =
  | { status: 'restoring' }
  | { status: 'signedOut'; message?: string }
  | { status: 'signedIn'; user: SessionUser; expiresAt: string };

export type TokenStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface SessionStoreOptions {
  /** Keeps the session for reloads and the other tabs (default: none, this tab alone). */
  storage?: TokenStorage | null;
  /**
   * Calls its argument whenever another tab changed the stored session; returns the function
   * that stops (default: none, so other tabs' changes are seen at this tab's next refresh only).
   */
  watchStorage?: (onChange: () => void) => () => void;
  /** The origin-wide locks shared with the other tabs (default: this tab alone). */
  locks?: TabLocks;
  /** Exchanges a refresh token for a new pair (`refreshSession`); rejects when refused. */
  refreshSession: (refreshToken: string) => Promise<AuthPayload>;
  /** How long before expiry to refresh (default 60 s). */
  refreshLeadMs?: number;
  /** The clock (default `Date.now`). */
  now?: () => number;
}

/**
 * The signed-in session: tokens, the user, and the timer that keeps the access token fresh,
 * shared with the console's other tabs through `storage` and `locks`. Refreshes run one at a time
 * across the tabs, and a tab that waited for another's refresh takes its tokens instead of
 * refreshing again (a refresh token used twice ends the session); only the leading tab refreshes
 * on a timer, the others follow the stored session.
 */
export class SessionStore {
  private state: SessionState;
  private session: AuthPayload | null = null;
  private leading = false;
  private renewing: Promise<void> | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly storage: TokenStorage | null;
  private readonly locks: TabLocks;
  private readonly timer: RefreshTimer;
  private readonly now: () => number;
  private readonly stopWatching: () => void;
  private readonly stopLeading: () => void;

  constructor(private readonly options: SessionStoreOptions) {
    this.storage = options.storage ?? null;
    this.locks = options.locks ?? inMemoryLocks();
    this.now = options.now ?? (() => Date.now());
    this.state = this.readStored() ? { status: 'restoring' } : { status: 'signedOut' };
    this.timer = createRefreshTimer({
      leadMs: options.refreshLeadMs,
      now: this.now,
      onDue: () => void this.renew(this.accessToken),
    });
    this.stopWatching = options.watchStorage?.(() => this.followStorage()) ?? (() => undefined);
    this.stopLeading = this.locks.lead(() => {
      this.leading = true;
      this.arm();
    });
  }

  /** The current access token, or null when signed out. */
  get accessToken(): string | null {
    return this.session?.accessToken ?? null;
  }

  /** Is a user signed in (not restoring, not signed out)? */
  get signedIn(): boolean {
    return this.state.status === 'signedIn';
  }

  /** Has the current access token expired (a tab whose timers were held back, asleep)? */
  get accessTokenExpired(): boolean {
    return this.session !== null && Date.parse(this.session.expiresAt) <= this.now();
  }

  getState = (): SessionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /**
   * Resumes the stored session, if any; signed out otherwise. It takes a new access token: the
   * stored one may predate a role change. (When another tab takes one meanwhile, that one.)
   */
  async restore(): Promise<void> {
    const stored = this.readStored();
    if (!stored) {
      this.setState({ status: 'signedOut' });
      return;
    }
    await this.renew(stored.accessToken);
  }

  /**
   * Gets an access token newer than the current one: another tab's, when it refreshed since, or
   * a refreshed one. Joins a renewal already running. A refused refresh ends the session (the
   * login page shows `failureMessage`), so this never rejects.
   */
  refreshNow(failureMessage: string = SESSION_EXPIRED_MESSAGE): Promise<void> {
    return this.renew(this.accessToken, failureMessage);
  }

  /** Starts a session from `login`/`signUp` (the other tabs take it too). */
  start(payload: AuthPayload): void {
    this.accept(payload);
  }

  /** Replaces the signed-in user's details (after `updateProfile`). */
  updateUser(user: SessionUser): void {
    if (!this.session || this.state.status !== 'signedIn') return;
    this.accept({ ...this.session, user });
  }

  /** Ends the session because it can no longer be used; the login page shows `message`. */
  expire(message: string = SESSION_EXPIRED_MESSAGE): void {
    if (this.state.status === 'signedOut') return;
    this.clear();
    this.setState({ status: 'signedOut', message });
  }

  /** Ends the session on the user's request (after `logout`). */
  signOut(): void {
    this.clear();
    this.setState({ status: 'signedOut' });
  }

  /**
   * Stops following the other tabs and gives up leading (the next tab leads): for a store that
   * is thrown away while its page lives on, such as a test's.
   */
  close(): void {
    this.stopWatching();
    this.stopLeading();
    this.leading = false;
    this.timer.cancel();
  }

  private renew(replacing: string | null, failureMessage = SESSION_EXPIRED_MESSAGE): Promise<void> {
    this.renewing ??= this.locks
      .exclusive(async () => {
        try {
          await this.renewExclusively(replacing);
        } catch {
          this.expire(failureMessage);
        }
      })
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  /** Under the refresh lock: no other tab is refreshing, and the stored session is the newest. */
  private async renewExclusively(replacing: string | null): Promise<void> {
    const current = this.storage ? this.readStored() : this.session;
    // Gone from storage: another tab logged out or saw the session end.
    if (!current) throw new Error('No session to renew');
    if (current.accessToken !== replacing && Date.parse(current.expiresAt) > this.now()) {
      // Another tab refreshed while this one waited: its refresh token is spent, take its tokens.
      this.adopt(current);
      return;
    }
    this.accept(await this.options.refreshSession(current.refreshToken));
  }

  /** Follows another tab's change of the stored session: its new tokens, or its sign-out. */
  private followStorage(): void {
    const stored = this.readStored();
    if (stored) {
      this.adopt(stored);
      return;
    }
    if (this.state.status === 'signedOut') return;
    this.forget();
    this.setState({ status: 'signedOut', message: SESSION_ENDED_ELSEWHERE_MESSAGE });
  }

  /** Takes a new session and stores it for the other tabs and the next visit. */
  private accept(payload: AuthPayload): void {
    try {
      this.storage?.setItem(SESSION_KEY, JSON.stringify(payload));
    } catch {
      // Storage full or disabled (private mode): this tab's session still works until reload.
    }
    this.adopt(payload);
  }

  private adopt(session: AuthPayload): void {
    this.session = session;
    this.setState({ status: 'signedIn', user: session.user, expiresAt: session.expiresAt });
    this.arm();
  }

  /** The leading tab refreshes shortly before the access token expires. */
  private arm(): void {
    if (this.leading && this.session) this.timer.schedule(this.session.expiresAt);
  }

  private forget(): void {
    this.timer.cancel();
    this.session = null;
  }

  private clear(): void {
    this.forget();
    try {
      this.storage?.removeItem(SESSION_KEY);
    } catch {
      // Nothing stored to remove.
    }
  }

  /** The stored session, or null when there is none or it is not one (written by an old console). */
  private readStored(): AuthPayload | null {
    let raw: string | null;
    try {
      raw = this.storage?.getItem(SESSION_KEY) ?? null;
    } catch {
      return null;
    }
    if (raw === null) return null;
    try {
      const parsed: unknown = JSON.parse(raw);
      return isAuthPayload(parsed) ? parsed : null;
    } catch {
      return null;
    }
  }

  private setState(state: SessionState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}

function isAuthPayload(value: unknown): value is AuthPayload {
  if (typeof value !== 'object' || value === null) return false;
  const { accessToken, refreshToken, expiresAt, user } = value as Record<string, unknown>;
  return (
    typeof accessToken === 'string' &&
    typeof refreshToken === 'string' &&
    typeof expiresAt === 'string' &&
    typeof user === 'object' &&
    user !== null &&
    typeof (user as Record<string, unknown>).id === 'string' &&
    typeof (user as Record<string, unknown>).role === 'string'
  );
}
