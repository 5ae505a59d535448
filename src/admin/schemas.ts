// zod schemas for the admin API's bodies and query strings: strict objects, so an unknown
// field or parameter is refused (400 invalid_request naming it), never silently dropped.

import { z } from 'zod';
import { ADMIN_EVENTS_LIMIT_MAX, ADMIN_REASON_MAX, CHANNEL_HISTORY_LIMIT_MAX } from '../constants.js';
import { BeaconError } from '../errors.js';
import { describeIssue, usernameSchema } from '../http/schemas.js';

const whole = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be ${min}..${max}`);

export const emptyBody = z.strictObject({});
export const disconnectBody = z.strictObject({
  reason: z.string().min(1, 'reason must not be empty').max(ADMIN_REASON_MAX, `reason must be at most ${ADMIN_REASON_MAX} characters`).optional(),
});
export const publishBody = z
  .strictObject({ channel: z.string(), data: z.unknown() })
  .refine((b) => b.data !== undefined, { message: 'data is required', path: ['data'] });

export const emptyQuery = z.strictObject({});
export const connectionsQuery = z.strictObject({ user: usernameSchema.optional() });
export const historyQuery = z.strictObject({ limit: whole('limit', 1, CHANNEL_HISTORY_LIMIT_MAX).optional() });
export const eventsQuery = z.strictObject({
  after: whole('after', 0, Number.MAX_SAFE_INTEGER).optional(),
  limit: whole('limit', 1, ADMIN_EVENTS_LIMIT_MAX).optional(),
  /** The console's live view starts at the end of the log: the newest `limit` events. */
  newest: z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true').optional(),
});

/** Parses with a strict schema; a failure is 400 invalid_request with one readable line. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new BeaconError('invalid_request', { message: describeIssue(parsed.error) });
  return parsed.data;
}

/** A query string as an object of strings; a parameter given twice is refused. */
export function queryObject(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    if (Object.hasOwn(out, key)) throw new BeaconError('invalid_request', { message: `${key} given more than once` });
    out[key] = value;
  }
  return out;
}
