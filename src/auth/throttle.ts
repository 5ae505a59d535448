// Login throttling: counts failed logins per account and per client address in a fixed
// window. Past the limit, attempts are refused (429) until the window ends, so an
// attacker is slowed while the real user is locked out for one window at most.

import type { Clock } from '../clock.js';

export interface ThrottleRule {
  readonly limit: number;
  readonly windowSeconds: number;
}

interface Entry {
  failures: number;
  windowStart: number;
}

export interface Throttle {
  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string): number;
  fail(key: string): void;
  reset(key: string): void;
  size(): number;
}

export function createThrottle(rule: ThrottleRule, clock: Clock, maxKeys: number): Throttle {
  const entries = new Map<string, Entry>();
  const windowMs = rule.windowSeconds * 1000;

  const current = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry !== undefined && clock.now() - entry.windowStart >= windowMs) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  return {
    retryAfter(key) {
      const entry = current(key);
      if (entry === undefined || entry.failures < rule.limit) return 0;
      return Math.max(1, Math.ceil((entry.windowStart + windowMs - clock.now()) / 1000));
    },
    fail(key) {
      const entry = current(key);
      if (entry !== undefined) {
        entry.failures++;
        return;
      }
      // Bounded memory: forget the oldest window first (Map keeps insertion order).
      if (entries.size >= maxKeys) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
      entries.set(key, { failures: 1, windowStart: clock.now() });
    },
    reset(key) {
      entries.delete(key);
    },
    size: () => entries.size,
  };
}

/**
 * The throttle as the auth service awaits it: the in-memory one answers at once, a shared
 * one (Redis, for a cluster) after a round trip, and rejects `unavailable` when it cannot.
 */
export interface AsyncThrottle {
  retryAfter(key: string): Promise<number>;
  fail(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

export function asyncThrottle(throttle: Throttle): AsyncThrottle {
  return {
    retryAfter: async (key) => throttle.retryAfter(key),
    fail: async (key) => throttle.fail(key),
    reset: async (key) => throttle.reset(key),
  };
}
