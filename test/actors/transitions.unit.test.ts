// The inspector's transition ring: fed XState inspection events, it keeps each
// connection's state changes (not every event), at most TRANSITIONS_KEPT, until forgotten.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InspectionEvent } from 'xstate';
import { createTransitionLog } from '../../src/actors/transitions.js';

const snap = (sid: string, value: string, event: string): InspectionEvent =>
  ({ type: '@xstate.snapshot', actorRef: { id: sid }, rootId: 'x', snapshot: { value }, event: { type: event } }) as unknown as InspectionEvent;

test('state changes are kept per connection, oldest first; staying put and other inspection events are not', () => {
  let now = 100;
  const log = createTransitionLog({ now: () => now });
  log.observe(snap('a', 'connected', 'xstate.init'));
  now = 200;
  log.observe(snap('a', 'connected', 'ping_manual'));
  log.observe({ type: '@xstate.event', actorRef: { id: 'a' }, event: { type: 'x' } } as unknown as InspectionEvent);
  log.observe(snap('a', 'registering', 'register_user'));
  log.observe(snap('b', 'connected', 'xstate.init'));
  assert.deepEqual(log.of('a'), [
    { at: 100, from: null, to: 'connected', event: 'xstate.init' },
    { at: 200, from: 'connected', to: 'registering', event: 'register_user' },
  ]);
  assert.equal(log.of('b').length, 1);
  log.forget('a');
  assert.deepEqual(log.of('a'), []);
});

test('a ring keeps only the most recent transitions', () => {
  const log = createTransitionLog({ now: () => 0 }, 3);
  for (let i = 0; i < 10; i++) log.observe(snap('a', i % 2 === 0 ? 'authenticated' : 'revoked', `e${i}`));
  assert.deepEqual(log.of('a').map((t) => t.event), ['e7', 'e8', 'e9']);
});
