// JWT signing and verification: HS256 only, every claim required, no key material taken
// from the token's header. Blacklist and active-session checks live in the auth service.

import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { JWT_ALGORITHM, JWT_CLOCK_TOLERANCE_SECONDS, JWT_REQUIRED_CLAIMS, MAX_TOKEN_LENGTH } from '../constants.js';
import { AuthFailure } from './session.js';

export interface TokenClaims {
  readonly sub: string;
  readonly username: string;
  readonly user_id: number;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

const claimsSchema = z
  .object({
    sub: z.string().regex(/^[1-9][0-9]{0,15}$/),
    username: z.string().min(1).max(64),
    user_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    iat: z.number().int().nonnegative(),
    exp: z.number().int().positive(),
    jti: z.string().min(8).max(64),
    nbf: z.number().int().optional(),
  })
  .refine((c) => c.sub === String(c.user_id), 'sub must equal user_id');

/** Header members a token may carry: anything naming a key (kid, jku, jwk, x5u ...) is refused. */
const ALLOWED_HEADER_KEYS = new Set(['alg', 'typ']);
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface TokenSigner {
  sign(claims: TokenClaims): Promise<string>;
  /** Checks shape, signature, algorithm, header and claims; rejects with AuthFailure. */
  verify(token: string): Promise<TokenClaims>;
}

export function createTokenSigner(secret: Uint8Array, clock: Clock): TokenSigner {
  // Imported once: given raw bytes, jose imports the key again on every sign and verify,
  // which the handshake profile showed as a visible share of its cost.
  const key = globalThis.crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  return {
    async sign(claims) {
      return new SignJWT({ username: claims.username, user_id: claims.user_id })
        .setProtectedHeader({ alg: JWT_ALGORITHM, typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuedAt(claims.iat)
        .setExpirationTime(claims.exp)
        .setJti(claims.jti)
        .sign(await key);
    },
    async verify(token) {
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) {
        throw new AuthFailure('invalid_token');
      }
      let result;
      try {
        result = await jwtVerify(token, await key, {
          algorithms: [JWT_ALGORITHM],
          requiredClaims: [...JWT_REQUIRED_CLAIMS],
          currentDate: new Date(clock.now()),
          clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
        });
      } catch (err) {
        throw new AuthFailure(err instanceof errors.JWTExpired ? 'token_expired' : 'invalid_token');
      }
      for (const name of Object.keys(result.protectedHeader)) {
        if (!ALLOWED_HEADER_KEYS.has(name)) throw new AuthFailure('invalid_token');
      }
      if (result.protectedHeader.typ !== undefined && result.protectedHeader.typ !== 'JWT') {
        throw new AuthFailure('invalid_token');
      }
      const claims = claimsSchema.safeParse(result.payload);
      if (!claims.success) throw new AuthFailure('invalid_token');
      // jose accepts an `iat` in the future; a token from the future was not issued by us.
      if (claims.data.iat > Math.floor(clock.now() / 1000) + JWT_CLOCK_TOLERANCE_SECONDS) {
        throw new AuthFailure('invalid_token');
      }
      const { sub, username, user_id, iat, exp, jti } = claims.data;
      return { sub, username, user_id, iat, exp, jti };
    },
  };
}
