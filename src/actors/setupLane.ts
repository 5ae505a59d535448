// Session setups take turns with everything else the event loop does. A verified token
// becoming an authenticated connection (the machine's transition, the log append, the
// presence change, the subscription, the answer) costs the main thread close to a
// millisecond, and token checks finish on the thread pool in bursts: in the bench's connect
// storm (15,000 sockets opening, `npm run bench -- --only=connstorm --diag=DIR`), with the
// presence fan-out already sliced, the loop still stalled 40-100 ms a second and the open
// connections' echo p50 was 32 ms; with this lane it was 12 ms. The lane lets
// SETUPS_PER_TURN setups through per turn; the others continue on the following turns
// (setImmediate), after the loop has polled.

/** Sessions set up per turn of the event loop (~1 ms each): the rest wait a turn. */
export const SETUPS_PER_TURN = 4;

export interface SetupLane {
  /** Resolves when this setup may proceed: at once while the turn has room, else on a later turn. */
  pass(): Promise<void>;
  /** Setups waiting for a turn. */
  readonly waiting: number;
}

export function createSetupLane(perTurn = SETUPS_PER_TURN, defer: (fn: () => void) => void = (fn) => void setImmediate(fn)): SetupLane {
  let used = 0;
  let scheduled = false;
  const queue: Array<() => void> = [];

  function turn(): void {
    scheduled = false;
    used = 0;
    while (used < perTurn && queue.length > 0) {
      used++;
      (queue.shift() as () => void)();
    }
    // The count resets next turn too (or the queue continues there).
    if (used > 0) schedule();
  }
  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    defer(turn);
  }

  return {
    pass() {
      schedule();
      if (used < perTurn && queue.length === 0) {
        used++;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => queue.push(resolve));
    },
    get waiting() {
      return queue.length;
    },
  };
}
