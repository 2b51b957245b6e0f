import type { AuthPayload, SessionUser } from '../api/operations';
import { createRefreshScheduler } from './refresh-timer';
import type { RefreshScheduler } from './refresh-timer';

export const SESSION_EXPIRED_MESSAGE = 'Your session has expired, please log in again';
/** Where the refresh token is kept between visits; the access token stays in memory only. */
export const REFRESH_TOKEN_KEY = 'psa.refreshToken';

export type SessionState =
  | { status: 'restoring' }
  | { status: 'signedOut'; message?: string }
  | { status: 'signedIn'; user: SessionUser; expiresAt: string };

export type TokenStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface SessionStoreOptions {
  /** Keeps the refresh token (default: none, so nothing survives a reload). */
  storage?: TokenStorage | null;
  /** Exchanges a refresh token for a new pair (`refreshSession`); rejects when refused. */
  refreshSession: (refreshToken: string) => Promise<AuthPayload>;
  /** How long before expiry to refresh (default 60 s). */
  refreshLeadMs?: number;
}

/** The signed-in session: tokens, the user, and the timer that keeps the access token fresh. */
export class SessionStore {
  private state: SessionState;
  private token: string | null = null;
  private refreshToken: string | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly storage: TokenStorage | null;
  private readonly scheduler: RefreshScheduler;

  constructor(private readonly options: SessionStoreOptions) {
    this.storage = options.storage ?? null;
    this.refreshToken = this.readStoredRefreshToken();
    this.state = this.refreshToken ? { status: 'restoring' } : { status: 'signedOut' };
    this.scheduler = createRefreshScheduler({
      leadMs: options.refreshLeadMs,
      refresh: () => this.refresh(),
      onFailure: () => this.expire(),
    });
  }

  /** The current access token, or null when signed out. */
  get accessToken(): string | null {
    return this.token;
  }

  /** Is a user signed in (not restoring, not signed out)? */
  get signedIn(): boolean {
    return this.state.status === 'signedIn';
  }

  getState = (): SessionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Resumes a session from the stored refresh token, if any; signed out otherwise. */
  async restore(): Promise<void> {
    if (!this.refreshToken) {
      this.setState({ status: 'signedOut' });
      return;
    }
    await this.scheduler.refreshNow();
  }

  /**
   * Refreshes the access token now (joining a refresh already running); a refused refresh ends
   * the session, so this never rejects.
   */
  refreshNow(): Promise<void> {
    return this.scheduler.refreshNow();
  }

  /** Starts a session from `login`/`signUp`. */
  start(payload: AuthPayload): void {
    this.accept(payload);
    this.scheduler.schedule(payload.expiresAt);
  }

  /** Replaces the signed-in user's details (after `updateProfile`). */
  updateUser(user: SessionUser): void {
    if (this.state.status !== 'signedIn') return;
    this.setState({ ...this.state, user });
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

  private async refresh(): Promise<string> {
    // Another tab may have rotated the token since: the stored one is the newest.
    const refreshToken = this.readStoredRefreshToken() ?? this.refreshToken;
    if (!refreshToken) throw new Error('No refresh token');
    const payload = await this.options.refreshSession(refreshToken);
    this.accept(payload);
    return payload.expiresAt;
  }

  private accept(payload: AuthPayload): void {
    this.token = payload.accessToken;
    this.refreshToken = payload.refreshToken;
    try {
      this.storage?.setItem(REFRESH_TOKEN_KEY, payload.refreshToken);
    } catch {
      // Storage full or disabled (private mode): the session still works until reload.
    }
    this.setState({ status: 'signedIn', user: payload.user, expiresAt: payload.expiresAt });
  }

  private clear(): void {
    this.scheduler.cancel();
    this.token = null;
    this.refreshToken = null;
    try {
      this.storage?.removeItem(REFRESH_TOKEN_KEY);
    } catch {
      // Nothing stored to remove.
    }
  }

  private readStoredRefreshToken(): string | null {
    try {
      return this.storage?.getItem(REFRESH_TOKEN_KEY) ?? null;
    } catch {
      return null;
    }
  }

  private setState(state: SessionState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}
