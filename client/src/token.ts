// What the client reads from a JWT: its `username` (sent with register_user), `exp` and
// `iat` (when to refresh). Read without verification: only the server checks signatures.

export interface TokenClaims {
  username?: string;
  /** Seconds since the epoch. */
  exp?: number;
  iat?: number;
}

export function readClaims(token: string): TokenClaims {
  const part = token.split('.')[1];
  if (part === undefined) return {};
  try {
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const json: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    return typeof json === 'object' && json !== null ? (json as TokenClaims) : {};
  } catch {
    // Not a JWT the client can read: the server will say why it refuses it.
    return {};
  }
}

/**
 * When to ask for a fresh token, on the local clock: `marginMs` before `exp` on the
 * server's clock (`skewMs` = server time − local time), but never more than a quarter of
 * the token's lifetime early, so a short-lived token is not refreshed in a loop.
 * Undefined when the token has no `exp`.
 */
export function refreshAt(claims: TokenClaims, marginMs: number, skewMs: number, now: number): number | undefined {
  if (typeof claims.exp !== 'number') return undefined;
  const expLocal = claims.exp * 1000 - skewMs;
  const lifetime = typeof claims.iat === 'number' ? (claims.exp - claims.iat) * 1000 : expLocal - now;
  return expLocal - Math.min(marginMs, Math.max(0, lifetime) / 4);
}
