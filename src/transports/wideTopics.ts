// Topics every authenticated /ws socket joins (the hub's AUTHENTICATED_TOPIC: presence and
// authenticated_message). One uWS publish writes the frame to every subscriber before it
// returns, one send per socket. In the bench's connect storm (`npm run bench -- --only=connstorm
// --diag=DIR`, 15,000 sockets opening) the event loop stalled 100-200 ms a second, growing
// with the socket count, while every other connection's echo waited; slicing these
// publishes (with the presence budget and the setup lane) took the echo p99 from 250 ms to
// about 50 ms. The cost per socket is an estimate from those figures, not measured alone.
//
// Such a topic is split into WIDE_TOPIC_SHARDS sub-topics (a socket joins the one its sid
// hashes to). A publish that would reach more than WIDE_SLICE_SOCKETS sockets is written
// shard by shard over successive turns of the event loop (setImmediate), about
// WIDE_SLICE_SOCKETS sockets a turn, so frames of other sockets are served in between.
// - Every shard gets every frame, in publish order: once anything is queued, later frames
//   queue behind it, even small ones.
// - A shard's queued frames leave in one turn, so uWS still writes them to each socket in one
//   send (it batches a turn's publishes per socket): bursts keep their cost per delivery.
// - A socket that joins a shard while frames wait for it receives them: they were published
//   a few milliseconds before it joined (a connection learns the counts as they were then).

import type { TemplatedApp } from 'uWebSockets.js';
import { AUTHENTICATED_TOPIC } from '../actors/hub.js';

/** The wide topics: every authenticated socket is in this one. */
export const WIDE_TOPICS: ReadonlySet<string> = new Set([AUTHENTICATED_TOPIC]);

export const WIDE_TOPIC_SHARDS = 64;
/** Sockets one turn of the loop writes a wide topic's frames to (estimated ~10 µs each on loopback). */
export const WIDE_SLICE_SOCKETS = 500;

/** The sub-topic of `topic` a socket with this sid joins. */
export function wideShardTopic(topic: string, sid: string): string {
  // FNV-1a: spreads sequential and random sids alike.
  let h = 0x811c9dc5;
  for (let i = 0; i < sid.length; i++) h = Math.imul(h ^ sid.charCodeAt(i), 0x01000193);
  return shardName(topic, (h >>> 0) % WIDE_TOPIC_SHARDS);
}

function shardName(topic: string, shard: number): string {
  return `${topic}#${shard}`;
}

export interface WideTopic {
  /** Writes `frame` (already serialised) to every subscriber, now or over the next turns. */
  publish(frame: string): void;
  /** Frames still waiting for some shard (0: nothing queued). */
  readonly queued: number;
}

export function createWideTopic(
  topic: string,
  apps: () => readonly TemplatedApp[],
  opts: { shards?: number; sliceSockets?: number; defer?: (fn: () => void) => void } = {},
): WideTopic {
  const shards = Array.from({ length: opts.shards ?? WIDE_TOPIC_SHARDS }, (_, i) => shardName(topic, i));
  const slice = opts.sliceSockets ?? WIDE_SLICE_SOCKETS;
  const defer = opts.defer ?? ((fn) => void setImmediate(fn));
  const backlog: string[][] = shards.map(() => []);
  let waiting = 0;
  let cursor = 0;
  let scheduled = false;

  const subscribers = (name: string): number => {
    let n = 0;
    for (const app of apps()) n += app.numSubscribers(name);
    return n;
  };
  const send = (name: string, frame: string): void => {
    for (const app of apps()) if (app.numSubscribers(name) > 0) app.publish(name, frame, false, false);
  };

  function turn(): void {
    scheduled = false;
    let budget = slice;
    while (budget > 0 && waiting > 0) {
      const i = cursor;
      cursor = (cursor + 1) % shards.length;
      const frames = backlog[i] as string[];
      if (frames.length === 0) continue;
      backlog[i] = [];
      waiting--;
      const name = shards[i] as string;
      for (const frame of frames) send(name, frame);
      budget -= Math.max(1, subscribers(name));
    }
    if (waiting > 0) schedule();
  }
  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    defer(turn);
  }

  return {
    publish(frame) {
      const counts = shards.map(subscribers);
      const audience = counts.reduce((a, n) => a + n, 0);
      if (waiting === 0 && audience <= slice) {
        for (let i = 0; i < shards.length; i++) if ((counts[i] as number) > 0) send(shards[i] as string, frame);
        return;
      }
      for (let i = 0; i < shards.length; i++) {
        const frames = backlog[i] as string[];
        // A shard with nobody in it now and nothing queued needs nothing (a socket joining later
        // gets later frames); one with a queue keeps its order.
        if ((counts[i] as number) === 0 && frames.length === 0) continue;
        if (frames.length === 0) waiting++;
        frames.push(frame);
      }
      schedule();
    },
    get queued() {
      return backlog.reduce((a, f) => Math.max(a, f.length), 0);
    },
  };
}
