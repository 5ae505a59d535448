// Property test of exact recovery against a real server (fast-check): random interleavings
// of publish bursts, resubscribes with `since` fired while publications are in flight,
// disconnects and reconnects, and server restarts on the same DATA_DIR. Whatever happened,
// every client's sequence of publications (recovered ones and live ones, across all its
// connections) is the channel's sequence after the offset it first subscribed at: each
// publication exactly once, in order, no gap. The server's history (real SQLite) answers
// recovery reads after a few event-loop turns before and after reading, as a remote store
// would, so publications in flight land while subscriptions are being set up.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { manualClock, registerAndLogin, startTestBeacon, tempDir, type TestBeacon } from '../support/beacon.js';
import { TestClient, within, wsUrl, type Frame } from '../support/wsClient.js';
import type { ChannelHistory } from '../../src/channels/index.js';

const CHANNEL = 'room:prop';
const CLIENTS = 3;
const WAIT = 15_000;

/** Turns of the event loop (setImmediate), so queued publishes get written meanwhile. */
const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** The real history, its reads late by the given numbers of turns (taken in turn). */
function withLatency(delays: readonly number[]): (h: ChannelHistory) => ChannelHistory {
  let k = 0;
  const next = (): number => delays[k++ % delays.length] ?? 0;
  return (h) => ({
    ...h,
    async since(channel, since, limit) {
      await turns(next());
      const read = await h.since(channel, since, limit);
      await turns(next());
      return read;
    },
    async head(channel) {
      await turns(next());
      const read = await h.head(channel);
      await turns(next());
      return read;
    },
  });
}

type Command =
  | { kind: 'burst'; publishes: number; resubscribe: number | null }
  | { kind: 'disconnect'; client: number }
  | { kind: 'reconnect'; client: number }
  | { kind: 'restart' };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('burst' as const), publishes: fc.integer({ min: 1, max: 6 }), resubscribe: fc.option(fc.nat(CLIENTS - 1), { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), client: fc.nat(CLIENTS - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), client: fc.nat(CLIENTS - 1) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

/** One user's view: the publications it was handed, over every connection it had. */
interface Watcher {
  token: string;
  name: string;
  conn: TestClient | null;
  /** Frames of earlier connections, in the order they came. */
  past: Frame[];
  start: number | null;
}

/** What a client's frames say it saw: recovered publications (in `subscribed`) and live ones. */
function sequenceOf(frames: readonly Frame[]): { start: number | null; offsets: number[] } {
  let start: number | null = null;
  const offsets: number[] = [];
  for (const f of frames) {
    if (f.event === 'subscribed') {
      if (start === null) start = f.data.offset - f.data.publications.length;
      else assert.equal(f.data.recovered, true, `every resubscription recovers: ${JSON.stringify(f.data)}`);
      for (const p of f.data.publications) offsets.push(p.offset);
    } else if (f.event === 'publication') {
      offsets.push(f.data.offset);
    }
  }
  return { start, offsets };
}

test('every client sees the channel sequence after its offset, exactly once, across bursts, disconnects and restarts', { timeout: 300_000 }, async () => {
  const clock = manualClock();
  // fast-check keeps the failing run's own error as `cause`: put it in the message, so a
  // failure says what went wrong, not only which commands led there.
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 3, maxLength: 10 }), fc.array(fc.nat(4), { minLength: 1, maxLength: 8 }), async (commands, delays) => {
      const dir = tempDir('beacon-prop-');
      const wrapHistory = withLatency(delays);
      let t: TestBeacon = await startTestBeacon({ dir, clock, wrapHistory });
      const publisher = await registerAndLogin(t.http, 'prop_pub');
      const watchers: Watcher[] = [];
      for (let i = 0; i < CLIENTS; i++) {
        const { token } = await registerAndLogin(t.http, `prop_w${i}`);
        watchers.push({ token, name: `prop_w${i}`, conn: null, past: [], start: null });
      }
      // Sockets authenticate with register_user, not ?token= at upgrade: uWS occasionally drops a
      // socket right after an asynchronous upgrade (SECURITY.md, "Known limits"), which this
      // property, about recovery and not upgrades, would report as a subscribe never answered.
      const openAs = async (token: string, name: string): Promise<TestClient> => {
        const conn = await TestClient.open(wsUrl(t.http));
        const answer = await within(conn.register(token, name), WAIT, `${name} register_user`);
        assert.equal(answer.data?.ok, true, JSON.stringify(answer));
        return conn;
      };
      let pub = await openAs(publisher.token, 'prop_pub');
      assert.equal((await within(pub.request('subscribe', { channel: CHANNEL }), WAIT, 'publisher subscribe')).event, 'subscribed');
      let epoch = '';
      let sent = 0;

      /** Last position a watcher saw (where a reconnecting client resubscribes from). */
      const position = (w: Watcher): { offset: number; epoch: string } | undefined => {
        const seen = sequenceOf([...w.past, ...(w.conn?.frames ?? [])]);
        if (seen.start === null) return undefined;
        return { offset: seen.offsets.at(-1) ?? seen.start, epoch };
      };
      const subscribe = async (w: Watcher): Promise<void> => {
        const conn = w.conn;
        if (conn === null) return;
        const since = position(w);
        const reply = await within(conn.request('subscribe', since === undefined ? { channel: CHANNEL } : { channel: CHANNEL, since }), WAIT, 'subscribe');
        assert.equal(reply.event, 'subscribed', JSON.stringify(reply));
        epoch = reply.data.epoch;
      };
      const open = async (w: Watcher): Promise<void> => {
        if (w.conn === null) w.conn = await openAs(w.token, w.name);
      };
      const connect = async (w: Watcher): Promise<void> => {
        if (w.conn !== null) return;
        await open(w);
        await subscribe(w);
      };
      const disconnect = async (w: Watcher): Promise<void> => {
        if (w.conn === null) return;
        const conn = w.conn;
        w.conn = null;
        await conn.close();
        w.past.push(...conn.frames);
      };
      const publish = async (n: number): Promise<void> => {
        const replies = Array.from({ length: n }, () => pub.request('publish', { channel: CHANNEL, data: sent++ }));
        for (const r of await within(Promise.all(replies), WAIT, 'published')) assert.equal(r.event, 'published', JSON.stringify(r));
      };

      try {
        for (const w of watchers) await connect(w);
        for (const c of commands) {
          clock.advance(1_000); // a new rate window for every command: no frame is ever throttled
          if (c.kind === 'burst') {
            // A client comes back (a new connection, subscribe with `since`) amid publishes in flight.
            const w = c.resubscribe === null ? undefined : watchers[c.resubscribe];
            if (w === undefined) {
              await publish(c.publishes);
            } else {
              await disconnect(w);
              await open(w);
              const half = Math.floor(c.publishes / 2);
              await Promise.all([publish(half), subscribe(w), publish(c.publishes - half)]);
            }
          } else if (c.kind === 'disconnect') {
            await disconnect(watchers[c.client] as Watcher);
          } else if (c.kind === 'reconnect') {
            await connect(watchers[c.client] as Watcher);
          } else {
            for (const w of watchers) await disconnect(w);
            await pub.close();
            await t.stop();
            t = await startTestBeacon({ dir, clock, wrapHistory });
            pub = await openAs(publisher.token, 'prop_pub');
            await within(pub.request('subscribe', { channel: CHANNEL }), WAIT, 'publisher subscribe');
            for (const w of watchers) await connect(w);
          }
        }
        for (const w of watchers) await connect(w);
        clock.advance(1_000);
        await publish(1); // the last publication: once every client has it, each has all before it
        for (const w of watchers) await within((w.conn as TestClient).next('publication', (d) => d.offset === sent), WAIT, `${w.name} live at the end`);

        for (const w of watchers) {
          const { start, offsets } = sequenceOf([...w.past, ...(w.conn as TestClient).frames]);
          assert.notEqual(start, null);
          const expected = Array.from({ length: sent - (start as number) }, (_, i) => (start as number) + 1 + i);
          assert.deepEqual(offsets, expected, `${w.name}: exactly once, in order, no gap (commands ${JSON.stringify(commands)})`);
        }
      } finally {
        // Also after a failed check, so the next run (and the process) is not held by this one.
        for (const w of watchers) w.conn?.terminate();
        pub.terminate();
        await t.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 12, endOnFailure: true },
  ).catch((err: unknown) => {
    const cause = err instanceof Error && err.cause instanceof Error ? `\ncaused by: ${err.cause.stack ?? err.cause.message}` : '';
    throw new Error(`${err instanceof Error ? err.message : String(err)}${cause}`);
  });
});
