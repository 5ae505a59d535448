// Reconnect delays: exponential backoff with full jitter (a uniform draw between 0 and the
// capped exponential), so clients cut off together by a restart do not return together.

export interface BackoffOptions {
  /** The first attempt's ceiling, in ms. Default 500. */
  baseMs?: number;
  /** No delay exceeds this, in ms. Default 30 000. */
  maxMs?: number;
  /** Attempts in a row before giving up (state `disconnected`, no reconnect). Default Infinity. */
  maxAttempts?: number;
}

export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 30_000, maxAttempts: Infinity } as const;

/** The ceiling of attempt `attempt` (0 for the first): base·2^attempt, capped at max. */
export function backoffCeiling(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const max = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  // 2^attempt overflows to Infinity long after it passes any sane cap; min() keeps it finite.
  return Math.min(max, base * 2 ** attempt);
}

/** The delay before attempt `attempt`: full jitter over [0, ceiling). `random` returns [0, 1). */
export function backoffDelay(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  return Math.floor(random() * backoffCeiling(attempt, options));
}
