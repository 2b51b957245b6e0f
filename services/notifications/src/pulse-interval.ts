/**
 * A Pulse `processEvery` of `ms` milliseconds. Pulse reads the string with human-interval, which
 * takes "10000 milliseconds" for 10,000 seconds; seconds with a fraction it reads right (reminders
 * and webhook retries were looked for every 2.8 hours instead of every 10 s before this).
 */
export const pulseInterval = (ms: number): string => `${ms / 1000} seconds`;
