// The closed-loop pacer both request loops share (echo pings, channel publishes): a
// connection whose batch is fully answered sends its next one once `gapMs` has passed since
// the last, or waits in a queue a 1 ms timer drains. Stopping ends the sending.

import type { Conn } from './conn.js';

export interface Pacer {
  /** One answer on `conn` arrived; sends its next batch when the last one is all answered. */
  answered(conn: Conn, now: number): void;
  stop(): void;
}

export function createPacer(gapMs: number, now: () => number, send: (conn: Conn) => void): Pacer {
  let running = true;
  let waiting: Conn[] = [];
  const timer = setInterval(() => {
    const t = now();
    const still: Conn[] = [];
    for (const conn of waiting) {
      if (t - conn.lastSend >= gapMs) send(conn);
      else still.push(conn);
    }
    waiting = still;
  }, 1);
  return {
    answered(conn, t) {
      if (--conn.outstanding > 0 || !running) return;
      if (t - conn.lastSend >= gapMs) send(conn);
      else waiting.push(conn);
    },
    stop() {
      running = false;
      clearInterval(timer);
    },
  };
}
