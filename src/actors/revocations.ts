// What the hub remembers of recent revocations: the code each revoked token's connections
// are told (by why it was revoked), kept for a while to catch a token verified just before
// its revocation committed.

import type { Clock } from '../clock.js';
import type { RevocationReason } from '../events/index.js';
import type { RevokeCode } from './connectionMachine.js';

/** Revocations are remembered this long, to catch a token verified just before its revocation committed. */
export const REVOCATION_MEMORY_MS = 60_000;

/** What a connection is told when its token is revoked, by why it was revoked. */
export function revokeCodeOf(reason: RevocationReason): RevokeCode {
  switch (reason) {
    case 'superseded':
      return 'session_replaced';
    case 'expired-cleanup':
      return 'token_expired';
    case 'logout':
    case 'admin':
    // Told only to the connections that did not present the new token within the grace.
    case 'refreshed':
      return 'token_revoked';
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}

export interface RevocationMemory {
  /**
   * Remembers a committed revocation; returns the code its holders are told. With
   * `graceUntil` (epoch ms, a refreshed token), the memory speaks only from then on: until
   * the grace ends, a connection that verified the old token just before the commit is
   * left to the grace like the others.
   */
  remember(jti: string, reason: RevocationReason, graceUntil?: number): RevokeCode;
  /** The code for `jti` if it was revoked (its grace over) within REVOCATION_MEMORY_MS. */
  recent(jti: string): RevokeCode | undefined;
}

export function createRevocationMemory(clock: Clock): RevocationMemory {
  /**
   * jti → why it was revoked and from when it counts (when we heard, or when its grace
   * ends); insertion order is nearly time order, so pruning stops at the first young entry.
   */
  const recentlyRevoked = new Map<string, { code: RevokeCode; at: number }>();
  return {
    remember(jti, reason, graceUntil) {
      const code = revokeCodeOf(reason);
      const now = clock.now();
      recentlyRevoked.set(jti, { code, at: Math.max(now, graceUntil ?? now) });
      for (const [old, hit] of recentlyRevoked) {
        if (now - hit.at < REVOCATION_MEMORY_MS) break;
        recentlyRevoked.delete(old);
      }
      return code;
    },
    recent(jti) {
      const hit = recentlyRevoked.get(jti);
      if (hit === undefined) return undefined;
      const since = clock.now() - hit.at;
      return since >= 0 && since < REVOCATION_MEMORY_MS ? hit.code : undefined;
    },
  };
}
