// Time and ids are injected so that expiry, ordering and timeouts are testable without
// sleeping: production uses the system clock and crypto-random ids, tests pass fakes.

import { randomUUID } from 'node:crypto';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface IdSource {
  /** A new unique id (token `jti`, connection `sid`). */
  next(): string;
}

export const randomIds: IdSource = { next: () => randomUUID() };

export const nowSeconds = (clock: Clock): number => Math.floor(clock.now() / 1000);
