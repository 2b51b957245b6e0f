/** When to refresh the access token, kept apart from React and the network so it can be tested. */

/** Refresh this long before the access token expires (default 60 s). */
export const DEFAULT_REFRESH_LEAD_MS = 60_000;

/** Browsers run timers longer than 2^31 - 1 ms at once; clamp to stay below that. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Milliseconds from `now` until the token expiring at `expiresAt` should be refreshed: `leadMs`
 * before it expires, or half its remaining life when that is shorter; 0 when already due.
 */
export function refreshDelayMs(
  expiresAt: string | Date,
  now: number,
  leadMs: number = DEFAULT_REFRESH_LEAD_MS,
): number {
  const expires = typeof expiresAt === 'string' ? Date.parse(expiresAt) : expiresAt.getTime();
  if (Number.isNaN(expires)) return 0;
  const remaining = expires - now;
  if (remaining <= 0) return 0;
  const lead = Math.min(leadMs, remaining / 2);
  return Math.min(MAX_TIMER_MS, Math.max(0, Math.floor(remaining - lead)));
}

export interface RefreshTimerOptions {
  /** Called when the token is due for a refresh. */
  onDue: () => void;
  /** How long before expiry to refresh (default {@link DEFAULT_REFRESH_LEAD_MS}). */
  leadMs?: number;
  /** The clock (default `Date.now`). */
  now?: () => number;
}

export interface RefreshTimer {
  /** (Re)arms the timer for a token that expires at `expiresAt`, replacing any earlier timer. */
  schedule(expiresAt: string): void;
  /** Stops the pending timer, if any. */
  cancel(): void;
}

/**
 * One timer that says when the access token is due for a refresh; what a refresh is (and whether
 * this tab does it) is the session store's business.
 */
export function createRefreshTimer(options: RefreshTimerOptions): RefreshTimer {
  const now = options.now ?? (() => Date.now());
  let timer: ReturnType<typeof setTimeout> | undefined;

  function cancel(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  }

  return {
    schedule(expiresAt) {
      cancel();
      timer = setTimeout(
        () => {
          timer = undefined;
          options.onDue();
        },
        refreshDelayMs(expiresAt, now(), options.leadMs),
      );
    },
    cancel,
  };
}
