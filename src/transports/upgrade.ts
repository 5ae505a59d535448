// The checks every socket upgrade passes, on /ws and Socket.IO alike: the Origin allow-list
// and a token given at upgrade, verified through the TokenVerifier. A refusal is one
// catalogued code and message; each transport writes it the way its protocol answers.

import { AuthFailure, authFailureCode, type Session, type TokenVerifier } from '../auth/session.js';
import { MAX_TOKEN_LENGTH } from '../constants.js';
import { ERRORS, type ErrorCode } from '../errors.js';

/** Why an upgrade is refused: /ws answers it as an HTTP JSON error, Socket.IO as a refused handshake. */
export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
}

/** What the checks need (TransportOptions has it all). */
export interface UpgradeChecks {
  readonly allowedOrigins: readonly string[];
  readonly verifier: TokenVerifier;
  readonly logger: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
  };
}

/** Who is asking, for the log lines of a refusal. */
export interface UpgradeAsker {
  readonly transport: 'websocket' | 'socket.io';
  readonly address: string;
}

export function refusal(code: ErrorCode, message: string = ERRORS[code].message): Refusal {
  return { code, message };
}

/** The refusal for an Origin outside the allow-list, or undefined to let it through. */
export function checkOrigin(checks: UpgradeChecks, origin: string, asker: UpgradeAsker): Refusal | undefined {
  if (checks.allowedOrigins.length === 0 || checks.allowedOrigins.includes(origin)) return undefined;
  checks.logger.warn({ ...asker, origin }, 'upgrade refused: origin not allowed');
  return refusal('forbidden_origin');
}

/**
 * Verifies a token given at upgrade (a non-empty one: without a token the connection starts
 * unauthenticated and may send register_user). Resolves with the session or the refusal;
 * never rejects, so a fault in the verifier refuses the token rather than escaping.
 */
export async function checkUpgradeToken(checks: UpgradeChecks, token: string, asker: UpgradeAsker): Promise<Session | Refusal> {
  if (token.length > MAX_TOKEN_LENGTH) return refusal('invalid_token');
  try {
    return await checks.verifier.verify(token);
  } catch (err) {
    const code = authFailureCode(err);
    if (!(err instanceof AuthFailure)) checks.logger.warn({ err, ...asker }, 'upgrade token check failed');
    checks.logger.info({ ...asker, code }, 'upgrade refused: bad token');
    return refusal(code);
  }
}

export function isRefusal(value: Session | Refusal): value is Refusal {
  return 'code' in value;
}
