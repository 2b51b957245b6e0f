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

export interface RefreshSchedulerOptions {
  /** Renews the session; resolves with the new access token's expiry. Rejects when it fails. */
  refresh: () => Promise<string>;
  /** Called once when a refresh fails; the scheduler stops. */
  onFailure: (error: unknown) => void;
  /** How long before expiry to refresh (default {@link DEFAULT_REFRESH_LEAD_MS}). */
  leadMs?: number;
  /** The clock (default `Date.now`). */
  now?: () => number;
}

export interface RefreshScheduler {
  /** (Re)arms the timer for a token that expires at `expiresAt`, replacing any earlier timer. */
  schedule(expiresAt: string): void;
  /** Stops any pending refresh; a refresh already running finishes but is not rescheduled. */
  cancel(): void;
  /** Refreshes now unless a refresh is already running, in which case it joins that one. */
  refreshNow(): Promise<void>;
}

/** Keeps one timer that refreshes the session shortly before each access token expires. */
export function createRefreshScheduler(options: RefreshSchedulerOptions): RefreshScheduler {
  const now = options.now ?? (() => Date.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  // Bumped by cancel() and schedule() so that a refresh started before them cannot re-arm the timer.
  let generation = 0;

  function clear(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  }

  function run(): Promise<void> {
    if (inFlight) return inFlight;
    clear();
    const started = generation;
    inFlight = options
      .refresh()
      .then(
        (expiresAt) => {
          if (started === generation) schedule(expiresAt);
        },
        (error: unknown) => {
          if (started === generation) options.onFailure(error);
        },
      )
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  function schedule(expiresAt: string): void {
    clear();
    generation += 1;
    timer = setTimeout(
      () => {
        timer = undefined;
        void run();
      },
      refreshDelayMs(expiresAt, now(), options.leadMs),
    );
  }

  return {
    schedule,
    cancel() {
      generation += 1;
      clear();
    },
    refreshNow: run,
  };
}
