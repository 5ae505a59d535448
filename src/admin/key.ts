// Checking the X-API-Key header and naming the key in audit events. The comparison runs
// over equal-length sha256 digests with timingSafeEqual, so neither the key's content nor
// its length leaks through timing; the fingerprint is a short hash, never the key.

import { createHash, timingSafeEqual } from 'node:crypto';
import { ADMIN_KEY_FINGERPRINT_HEX } from '../constants.js';

const digest = (value: Uint8Array | string): Buffer => createHash('sha256').update(value).digest();

export interface AdminKeyCheck {
  /** True when `presented` (the header's text) is the configured key. */
  matches(presented: string): boolean;
  /** Recorded as `by.fingerprint` in audit events. */
  readonly fingerprint: string;
}

export function adminKeyCheck(key: Uint8Array): AdminKeyCheck {
  const expected = digest(key);
  return {
    matches(presented) {
      // An empty header is compared too: the answer must cost the same whatever was sent.
      return timingSafeEqual(expected, digest(presented)) && presented.length > 0;
    },
    fingerprint: fingerprintOf(key),
  };
}

/** The first hex characters of the key's sha256: enough to tell keys apart in an audit. */
export function fingerprintOf(key: Uint8Array | string): string {
  return digest(key).toString('hex').slice(0, ADMIN_KEY_FINGERPRINT_HEX);
}
