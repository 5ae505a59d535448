// The session vocabulary shared by auth, the actor layer and the transports: who a token
// belongs to, the one failure type a token check raises, the one verb that checks a token,
// and the one mapping from any failure to its catalogued code.

import { BeaconError, type ErrorCode } from '../errors.js';

/** A verified session: who a token belongs to and when it stops being valid. */
export interface Session {
  readonly username: string;
  readonly userId: number;
  readonly jti: string;
  /** Token expiry, epoch seconds. */
  readonly exp: number;
}

/** A token check failure carries a catalogued code (invalid_token, token_expired, ...). */
export class AuthFailure extends Error {
  constructor(readonly code: ErrorCode) {
    super(code);
    this.name = 'AuthFailure';
  }
}

/** The one way to check a token: signature, claims, expiry, blacklist, one active token per user. */
export interface TokenVerifier {
  /** Resolves with the session or rejects with AuthFailure. */
  verify(token: string): Promise<Session>;
}

/**
 * The code a failed token check is reported with. Anything that is not an AuthFailure (a
 * bug, an I/O fault) is refused, as `invalid_token` or `unavailable`: a token is never
 * accepted by accident.
 */
export function authFailureCode(error: unknown): ErrorCode {
  if (error instanceof AuthFailure) return error.code;
  // The log could not be read to check a token this node did not know (a cluster whose
  // PostgreSQL is away): not a verdict on the token, so not `invalid_token`.
  if (error instanceof BeaconError && error.code === 'unavailable') return 'unavailable';
  return 'invalid_token';
}
