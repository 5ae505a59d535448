// The subscription refund of frame admission: subscribe / unsubscribe frames are given back
// to the rate window up to their own budget per second, so a reconnect resubscribing every
// channel is not throttled, while other frames and an endless stream of them still are.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClientFrame } from '../../src/actors/frames.js';
import { WS_MESSAGES_PER_SECOND, WS_SUBSCRIPTION_FRAMES_PER_SECOND } from '../../src/constants.js';
import { countFrame, newRateWindow, refundSubscription, RATE_WINDOW_MS } from '../../src/transports/admission.js';

const subscribe: ClientFrame = { type: 'subscribe', data: { channel: 'room:a', since: undefined }, id: 1 };
const ping: ClientFrame = { type: 'ping_manual', data: undefined, id: 1 };

test('subscribe frames within their budget never use up the general rate', () => {
  const w = newRateWindow();
  for (let i = 0; i < WS_SUBSCRIPTION_FRAMES_PER_SECOND; i++) {
    assert.equal(countFrame(w, 1_000), 'pass', `subscribe ${i + 1}`);
    refundSubscription(w, subscribe);
  }
  assert.equal(w.frames, 0);
  // Past the budget they count like any frame, and are throttled at the general limit.
  const verdicts = Array.from({ length: WS_MESSAGES_PER_SECOND + 1 }, () => {
    const v = countFrame(w, 1_000);
    refundSubscription(w, subscribe);
    return v;
  });
  assert.equal(verdicts.at(-1), 'throttled');
  // A new window, a new budget.
  assert.equal(countFrame(w, 1_000 + RATE_WINDOW_MS), 'pass');
  refundSubscription(w, subscribe);
  assert.deepEqual([w.frames, w.subscriptions], [0, 1]);
});

test('other frames are not refunded', () => {
  const w = newRateWindow();
  countFrame(w, 5);
  refundSubscription(w, ping);
  assert.deepEqual([w.frames, w.subscriptions], [1, 0]);
});
