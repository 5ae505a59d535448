// The event log as GET /admin/events shows it: position, type, data, recorded_at, with
// every password hash taken out (UserRegistered and PasswordRehashed carry one), and any
// other value that looks like a stored hash removed too, whatever its key.

import type { RecordedEvent } from '../events/types.js';

export interface EventView {
  position: number;
  type: string;
  data: Record<string, unknown>;
  recorded_at: number;
}

/** Keys that hold secrets: dropped, not masked, so nothing of them is shown. */
const SECRET_KEYS = new Set(['passwordHash', 'password', 'token', 'key']);
/** A stored hash under any name: argon2, bcrypt, scrypt, Werkzeug's pbkdf2/scrypt. */
const HASH_LIKE = /^(\$argon2|\$2[aby]\$|\$scrypt|pbkdf2:|scrypt:)/;

function clean(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return HASH_LIKE.test(value) ? undefined : value;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_KEYS.has(k)) continue;
    const c = clean(v, depth + 1);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

export function viewOf(event: RecordedEvent): EventView {
  return {
    position: event.position,
    type: event.type,
    data: clean(event.data, 0) as Record<string, unknown>,
    recorded_at: event.recordedAt,
  };
}
