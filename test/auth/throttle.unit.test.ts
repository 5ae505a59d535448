// Unit tests for the login throttle: the fixed window, Retry-After within the window,
// release when the window ends, reset on success, and the bound on remembered keys.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createThrottle } from '../../src/auth/throttle.js';

function fakeClock(start = 1_700_000_000_000): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const RULE = { limit: 3, windowSeconds: 60 };

describe('login throttle', () => {
  test('attempts under the limit may proceed; at the limit retryAfter is in (0, window]', () => {
    const clock = fakeClock();
    const throttle = createThrottle(RULE, clock, 100);
    assert.equal(throttle.retryAfter('alice'), 0);
    throttle.fail('alice');
    throttle.fail('alice');
    assert.equal(throttle.retryAfter('alice'), 0);
    throttle.fail('alice');
    const wait = throttle.retryAfter('alice');
    assert.ok(wait > 0 && wait <= RULE.windowSeconds, `retryAfter ${wait}`);
    assert.equal(wait, 60);
    // Other keys are unaffected.
    assert.equal(throttle.retryAfter('bob'), 0);
  });

  test('retryAfter counts down with the clock and is at least 1 while blocked', () => {
    const clock = fakeClock();
    const throttle = createThrottle(RULE, clock, 100);
    for (let i = 0; i < RULE.limit; i++) throttle.fail('k');
    clock.advance(20_500);
    assert.equal(throttle.retryAfter('k'), 40);
    clock.advance(39_400); // 59.9 s into the window
    assert.equal(throttle.retryAfter('k'), 1);
  });

  test('failures spread over the window count towards the window that the first opened', () => {
    const clock = fakeClock();
    const throttle = createThrottle(RULE, clock, 100);
    throttle.fail('k');
    clock.advance(30_000);
    throttle.fail('k');
    throttle.fail('k');
    assert.equal(throttle.retryAfter('k'), 30);
  });

  test('the end of the window frees the key and starts counting afresh', () => {
    const clock = fakeClock();
    const throttle = createThrottle(RULE, clock, 100);
    for (let i = 0; i < RULE.limit + 2; i++) throttle.fail('k');
    assert.ok(throttle.retryAfter('k') > 0);
    clock.advance(RULE.windowSeconds * 1000 - 1);
    assert.ok(throttle.retryAfter('k') > 0, 'still blocked 1 ms before the end');
    clock.advance(1);
    assert.equal(throttle.retryAfter('k'), 0);
    throttle.fail('k');
    assert.equal(throttle.retryAfter('k'), 0, 'one failure in a fresh window does not block');
  });

  test('reset forgets the key at once', () => {
    const clock = fakeClock();
    const throttle = createThrottle(RULE, clock, 100);
    for (let i = 0; i < RULE.limit; i++) throttle.fail('k');
    assert.ok(throttle.retryAfter('k') > 0);
    throttle.reset('k');
    assert.equal(throttle.retryAfter('k'), 0);
    assert.equal(throttle.size(), 0);
    throttle.reset('never-seen'); // harmless
  });

  test('the number of remembered keys is bounded; the oldest is forgotten first', () => {
    const clock = fakeClock();
    const throttle = createThrottle(RULE, clock, 3);
    for (const key of ['a', 'b', 'c']) for (let i = 0; i < RULE.limit; i++) throttle.fail(key);
    assert.equal(throttle.size(), 3);
    throttle.fail('d');
    assert.equal(throttle.size(), 3);
    assert.equal(throttle.retryAfter('a'), 0, 'the oldest key was evicted');
    assert.ok(throttle.retryAfter('b') > 0);
    assert.ok(throttle.retryAfter('c') > 0);
    for (let i = 0; i < 1_000; i++) throttle.fail(`spray-${i}`);
    assert.equal(throttle.size(), 3);
  });
});
