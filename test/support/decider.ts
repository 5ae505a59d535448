// Given/when/then for deciders (after Emmett's DeciderSpecification): fold the `given`
// events from the initial state, decide the `when` command, then compare the events
// decided, or the failure's code when the command is refused.

import assert from 'node:assert/strict';
import type { BeaconEvent } from '../../src/events/types.js';

export interface Decider<S, C> {
  initialState(): S;
  evolve(state: S, event: BeaconEvent): S;
  decide(command: C, state: S): BeaconEvent[];
}

export interface DeciderThen {
  then(expected: readonly BeaconEvent[]): void;
  /** The command is refused with an error carrying this catalogued code. */
  thenThrows(code: string): void;
}

export function deciderSpec<S, C>(decider: Decider<S, C>): (given: readonly BeaconEvent[]) => { when(command: C): DeciderThen } {
  return (given) => ({
    when(command) {
      const run = (): BeaconEvent[] => decider.decide(command, given.reduce(decider.evolve, decider.initialState()));
      return {
        then: (expected) => assert.deepEqual(run(), expected),
        thenThrows(code) {
          assert.throws(run, (err: unknown) => (err as { code?: unknown }).code === code);
        },
      };
    },
  });
}
