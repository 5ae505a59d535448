// The setup lane lets a bounded number of session setups through per turn of the event loop
// and the rest on later turns, in arrival order, none lost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSetupLane } from '../../src/actors/setupLane.js';

test('at most perTurn setups pass in one turn; the rest pass on later turns, in order', async () => {
  const turns: Array<() => void> = [];
  const lane = createSetupLane(3, (fn) => void turns.push(fn));
  const passed: number[] = [];
  const all = Array.from({ length: 8 }, (_, i) => lane.pass().then(() => void passed.push(i)));
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(passed, [0, 1, 2], 'the first three at once');
  assert.equal(lane.waiting, 5);
  const runTurn = async (): Promise<void> => {
    (turns.shift() as () => void)();
    await new Promise((r) => setImmediate(r));
  };
  await runTurn();
  assert.deepEqual(passed, [0, 1, 2, 3, 4, 5]);
  await runTurn();
  assert.deepEqual(passed, [0, 1, 2, 3, 4, 5, 6, 7]);
  await Promise.all(all);
  assert.equal(lane.waiting, 0);
  // The count resets with the next turn: three more pass at once again.
  await runTurn();
  const again: number[] = [];
  await Promise.all([0, 1, 2].map((i) => lane.pass().then(() => void again.push(i))));
  assert.deepEqual(again, [0, 1, 2]);
});

test('with the real setImmediate, a burst drains by itself', async () => {
  const lane = createSetupLane(4);
  let done = 0;
  await Promise.all(Array.from({ length: 50 }, () => lane.pass().then(() => void done++)));
  assert.equal(done, 50);
});
