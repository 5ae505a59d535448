// The actor pool shares one actor system among a bounded number of connection actors
// and frees a shard's capacity as its actors finish.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock, setup } from 'xstate';
import { createActorPool } from '../../src/actors/actorPool.js';

const machine = setup({ types: { events: {} as { type: 'END' } | { type: 'BOOM' } } , actions: { boom: () => { throw new Error('boom'); } } }).createMachine({
  initial: 'on',
  states: { on: { on: { END: 'off', BOOM: { actions: 'boom' } } }, off: { type: 'final' } },
});

test('actors share shards of bounded size; finished actors free their place', () => {
  const errors: string[] = [];
  const pool = createActorPool({ logic: machine, timers: new SimulatedClock(), shardSize: 4, onError: (id) => void errors.push(id) });
  const actors = Array.from({ length: 10 }, (_, i) => pool.start(`a${i}`, undefined));
  assert.equal(pool.shards, 3);
  assert.equal(actors[0]?.system, actors[3]?.system, 'one system per shard');
  assert.notEqual(actors[0]?.system, actors[4]?.system);
  for (const a of actors) a.send({ type: 'END' });
  for (let i = 0; i < 10; i++) pool.start(`b${i}`, undefined);
  assert.equal(pool.shards, 3, 'capacity is reused');
  const c = pool.start('c', undefined);
  c.send({ type: 'BOOM' });
  assert.deepEqual(errors, ['c']);
});

test('pool actors are trimmed after start and still work; a subscriber is refused, not shared', () => {
  const errors: string[] = [];
  const pool = createActorPool({ logic: machine, timers: new SimulatedClock(), onError: (id) => void errors.push(id) });
  const a = pool.start('a', undefined) as unknown as { options: unknown; observers: Set<unknown>; eventListeners: Map<string, unknown> };
  const b = pool.start('b', undefined) as unknown as typeof a;
  // The trim applied (a changed XState would leave these per-actor and fail here).
  assert.equal(a.options, b.options, 'one shared options object');
  assert.equal(a.observers, b.observers, 'one shared empty observer set');
  assert.equal(a.eventListeners, b.eventListeners);
  assert.deepEqual(a.options, { devTools: false });
  const actor = a as unknown as ReturnType<typeof pool.start>;
  assert.throws(() => actor.subscribe(() => undefined), /take no observers/);
  assert.throws(() => actor.on('*', () => undefined), /emitted-event listeners/);
  assert.equal(a.observers.size, 0, 'the refused subscriber left nothing behind');
  actor.send({ type: 'END' });
  assert.equal(actor.getSnapshot().status, 'done');
  assert.deepEqual(errors, []);
});
