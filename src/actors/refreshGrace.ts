// The grace a refreshed token's live connections get: a committed `refreshed` revocation
// arms one timer per token, due at the commit's time plus the grace; when it fires, the
// connections still holding the old token (those that did not present the new one with
// register_user, which re-indexes them under the new jti) are closed with 4001.

import type { Clock } from '../clock.js';
import type { Timers } from './presenceFeed.js';

export interface RefreshGrace {
  /** Arms the close of `jti`'s holders at `deadlineMs` (epoch ms; at once if already past). */
  arm(jti: string, deadlineMs: number): void;
  /** Cancels every pending close (shutdown closes the connections anyway). */
  stop(): void;
}

export function createRefreshGrace(deps: { clock: Clock; timers: Timers; expire(jti: string): void }): RefreshGrace {
  const { clock, timers } = deps;
  const pending = new Map<string, unknown>();
  return {
    arm(jti, deadlineMs) {
      // A log replayed or followed twice must not arm two closes for one token.
      if (pending.has(jti)) return;
      const fire = (): void => {
        pending.delete(jti);
        deps.expire(jti);
      };
      const delay = deadlineMs - clock.now();
      if (delay <= 0) return fire();
      pending.set(jti, timers.setTimeout(fire, delay));
    },
    stop() {
      for (const handle of pending.values()) timers.clearTimeout(handle);
      pending.clear();
    },
  };
}
