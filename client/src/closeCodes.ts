// What each close code means, and whether the client comes back after it. The server's
// "do not come back" closes (revoked, invalid, replaced, disabled) end the session; the
// others are a lost connection, a restart or a kick, and the client reconnects.

const MEANINGS: Readonly<Record<number, string>> = {
  0: 'no connection made',
  1000: 'normal closure',
  1001: 'server going away',
  1005: 'no status received',
  1006: 'connection lost',
  1009: 'message too big',
  1011: 'server error',
  1013: 'server unavailable, reconnect',
  4000: 'authentication timeout',
  4001: 'token revoked',
  4002: 'token expired',
  4003: 'invalid token or username mismatch',
  4004: 'logged in from another session',
  4005: 'disconnected by an administrator',
  4006: 'account disabled',
  4008: 'rate limited',
};

/** Closes after which reconnecting would only be refused again: the application must act. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4001, 4003, 4004, 4006]);

export function closeMeaning(code: number): string {
  return MEANINGS[code] ?? (code >= 4000 && code < 5000 ? 'application close' : 'unknown close');
}
