// The hand-written checks on the hot path (the envelope, ping_manual's data, the depth check)
// accept exactly what the zod schemas accept, with the same output: random envelopes, near
// misses included, parsed both ways.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { envelope, nestedDeeperThan, parseClientFrame, PingData } from '../../src/actors/frames.js';
import { MAX_WS_JSON_DEPTH } from '../../src/constants.js';

/** What the parser answered before the fast paths: zod for the envelope and ping's data. */
function zodOnly(value: unknown): { ok: boolean; data?: unknown; id?: number } {
  const env = envelope.safeParse(value);
  if (!env.success) return { ok: false };
  if (env.data.event !== 'ping_manual') return { ok: true };
  const data = PingData.safeParse(env.data.data);
  return data.success ? { ok: true, data: data.data, id: env.data.id } : { ok: false };
}

const key = fc.constantFrom('event', 'data', 'id', 't', 'extra', '__proto__');
const scalar = fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(-0), fc.constant(2 ** 60));
const pingData = fc.oneof(fc.constant(undefined), fc.constant(null), fc.dictionary(fc.constantFrom('t', 'u'), scalar, { maxKeys: 2 }), scalar, fc.array(scalar, { maxLength: 2 }));
const frame = fc.oneof(
  fc.record({ event: fc.constantFrom('ping_manual', 'message', '', 'x'.repeat(65), 'nope'), data: pingData, id: fc.oneof(fc.constant(undefined), fc.integer({ min: -2, max: 5 }), fc.double(), fc.string()) }, { requiredKeys: ['event'] }),
  fc.dictionary(key, fc.oneof(scalar, pingData), { maxKeys: 4 }),
  fc.jsonValue(),
);

test('the fast paths agree with zod on every envelope and ping payload', () => {
  fc.assert(
    fc.property(frame, (raw) => {
      // Through JSON, as frames arrive (no undefined values, __proto__ an own key).
      const value: unknown = JSON.parse(JSON.stringify(raw) ?? 'null');
      const fast = parseClientFrame(value);
      const reference = zodOnly(value);
      const known = typeof value === 'object' && value !== null && ['ping_manual', 'message'].includes((value as { event?: unknown }).event as string);
      if (!known) return;
      assert.equal(fast.ok, reference.ok, JSON.stringify(value));
      if (fast.ok && fast.frame.type === 'ping_manual') {
        assert.deepEqual(fast.frame.data, reference.data);
        assert.equal(fast.frame.id, reference.id);
      }
    }),
    { numRuns: 5_000 },
  );
});

test('the depth check: exactly MAX_WS_JSON_DEPTH levels pass, one more does not, arrays and objects alike', () => {
  const nest = (levels: number, arrays: boolean): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < levels; i++) v = arrays ? [v] : { k: v };
    return v;
  };
  for (const arrays of [true, false]) {
    assert.equal(nestedDeeperThan(nest(MAX_WS_JSON_DEPTH, arrays), MAX_WS_JSON_DEPTH), false);
    assert.equal(nestedDeeperThan(nest(MAX_WS_JSON_DEPTH + 1, arrays), MAX_WS_JSON_DEPTH), true);
  }
  // Deep nesting far past the stack's depth is refused without recursing that far.
  assert.equal(nestedDeeperThan(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)), MAX_WS_JSON_DEPTH), true);
  assert.equal(nestedDeeperThan({ a: [1, { b: 2 }], c: 'x' }, 2), true);
  assert.equal(nestedDeeperThan({ a: [1, 2], c: 'x' }, 2), false);
});
