// WebSocket close codes in words (docs/protocol.md "Close codes", RFC 6455), so the log
// and the status line say "4001 token revoked" rather than a bare number.

/** @type {Readonly<Record<number, string>>} */
export const CLOSE_CODES = Object.freeze({
  1000: 'normal closure',
  1001: 'server going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status received',
  1006: 'connection lost (no close frame)',
  1007: 'invalid frame payload',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'server error',
  1015: 'TLS handshake failed',
  4000: 'authentication timeout',
  4001: 'token revoked',
  4002: 'token expired',
  4003: 'invalid token / username mismatch',
  4004: 'logged in elsewhere',
  4005: 'disconnected by an administrator',
  4006: 'account disabled',
  4008: 'rate limited',
});

/**
 * "4001 token revoked", or the number with a range description when unknown.
 * @param {number} code
 */
export function describeClose(code) {
  const known = CLOSE_CODES[code];
  if (known !== undefined) return `${code} ${known}`;
  if (code >= 4000 && code <= 4999) return `${code} application-defined`;
  return `${code} unknown`;
}

/** Failure codes that end a session: the connection machine goes to `revoked` on them. */
export const REVOKING_CODES = Object.freeze(
  new Set(['token_revoked', 'token_expired', 'invalid_token', 'username_mismatch', 'session_replaced', 'kicked', 'account_disabled']),
);

/**
 * What a session-ending close means for the person at the console, and what to do next.
 * @type {Readonly<Record<number, { title: string, text: string }>>}
 */
export const CLOSE_EXPLANATIONS = Object.freeze({
  4001: { title: 'Token has been revoked!', text: 'The token was revoked (a logout or an administrator). Log in again for a new token.' },
  4002: { title: 'Token has expired!', text: 'The token reached its expiry. Log in again for a new token.' },
  4003: { title: 'Invalid token!', text: 'The server did not accept this token for this username.' },
  4004: { title: 'Logged in from another session', text: 'A newer login of this user replaced this token. Log in again to take over.' },
  4005: { title: 'Disconnected by an administrator', text: 'An administrator closed this connection. Your token is still valid: you may connect again.' },
  4006: {
    title: 'Account disabled',
    text: 'An administrator disabled this account: its token is revoked and logins are refused until it is enabled again.',
  },
});
