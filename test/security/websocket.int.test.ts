// Attacks on the WebSocket endpoint (SECURITY.md items 11-14): property-based fuzzing with
// hostile frames, a client that stops reading, a client that floods, and one that never
// answers pings. The server answers or closes, never crashes, and other clients are unaffected.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { CLIENT_EVENT_NAMES } from '../../src/actors/frames.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { MAX_WS_BACKPRESSURE_BYTES, MAX_WS_JSON_DEPTH, WS_IDLE_TIMEOUT_SECONDS } from '../../src/constants.js';
import { call, readLogs, registerAndLogin, tempDir, testEnv, type TestBeacon } from '../support/beacon.js';
import { ready, spawnBeacon, type BeaconProcess } from '../support/process.js';
import { TestClient, within, wsUrl, type Frame } from '../support/wsClient.js';
import { CHEAP_HASHES, isolatedEnv, openAnswering, startIsolated } from './support.js';


describe('11. fuzzing', () => {
  let t: TestBeacon;
  let token = '';
  before(async () => {
    t = await startIsolated({ hasher: CHEAP_HASHES });
    ({ token } = await registerAndLogin(t.http, 'fuzz_fay'));
    await registerAndLogin(t.http, 'fuzz_other');
  });
  after(() => t.stop());

  type Hostile = { text: string } | { bytes: Uint8Array; binary: boolean };
  const text = (s: string): Hostile => ({ text: s });
  const envelope = (event: string, data: string, id = ''): string => `{"event":${JSON.stringify(event)},"data":${data}${id === '' ? '' : `,"id":${id}`}}`;
  const eventName = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...CLIENT_EVENT_NAMES.filter((e) => e !== 'disconnect' && e !== 'register_user')) },
    { weight: 1, arbitrary: fc.constantFrom('register_user', 'disconnect') },
    { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '') },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  );
  const hugeNumber = fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '9'.repeat(4000), `0.${'0'.repeat(800)}1`, '-0', '1e-400', '2e308');
  // Up to ~56 KB, under the 64 KiB frame limit.
  const deep = fc.tuple(fc.integer({ min: 1, max: 7_000 }), fc.constantFrom(['[', ']'], ['{"a":', '}'], ['[{"x":', '}]']));
  const hostile: fc.Arbitrary<Hostile> = fc.oneof(
    // Envelopes with a real or odd event name and random data and ids.
    {
      weight: 10,
      arbitrary: fc
        .record({ event: eventName, data: fc.jsonValue({ maxDepth: 5 }), id: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string(), fc.constant(2 ** 53)) }, { requiredKeys: ['event'] })
        .map((v) => text(JSON.stringify(v))),
    },
    // Wrong types everywhere.
    { weight: 4, arbitrary: fc.record({ event: fc.jsonValue({ maxDepth: 2 }), data: fc.jsonValue({ maxDepth: 2 }), id: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }).map((v) => text(JSON.stringify(v))) },
    // Prototype pollution attempts, at the top level and inside data.
    {
      weight: 4,
      arbitrary: fc.tuple(eventName, fc.constantFrom('__proto__', 'constructor', 'prototype')).map(([event, key]) =>
        text(`{"${key}":{"polluted":true,"event":"ping_manual"},"event":${JSON.stringify(event)},"data":{"${key}":{"polluted":true},"text":"x","to":"fuzz_other"}}`),
      ),
    },
    // Deep nesting, as data or as the whole frame.
    {
      weight: 4,
      arbitrary: fc.tuple(deep, eventName, fc.boolean()).map(([[n, [open, close]], event, whole]) => {
        const nested = open.repeat(n) + (open.endsWith(':') ? '1' : '') + close.repeat(n);
        return text(whole ? nested : envelope(event, nested));
      }),
    },
    // Huge and odd numbers as data, ping `t` and id.
    { weight: 4, arbitrary: fc.tuple(eventName, hugeNumber, hugeNumber).map(([event, a, b]) => text(envelope(event, `{"t":${a}}`, b))) },
    // Random JSON, random text, binary frames.
    { weight: 4, arbitrary: fc.json({ maxDepth: 4 }).map(text) },
    { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map(text) },
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((bytes): Hostile => ({ bytes, binary: true })) },
    // A valid registration (so later frames hit the authenticated state) or a bad one.
    {
      weight: 2,
      arbitrary: fc.constantFrom('self', 'self', 'bad', 'mismatch').map((which) =>
        text(envelope('register_user', JSON.stringify({ token: which === 'bad' ? `${token}x` : token, username: which === 'mismatch' ? 'fuzz_other' : 'fuzz_fay' }))),
      ),
    },
  );
  /** Frames that end the connection: invalid UTF-8 in a text frame, over 64 KiB. At most one per run, last. */
  const terminal: fc.Arbitrary<Hostile> = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b): Hostile => ({ bytes: Uint8Array.from([0x7b, 0xff, 0xfe, ...b]), binary: false })),
    fc.constant(text(envelope('message', JSON.stringify('x'.repeat(70_000))))),
  );

  /** Close codes a hostile frame may legitimately earn (a disconnect, too big, a bad token). */
  const ALLOWED_CLOSES = new Set([1000, 1009, 4003]);
  const SENTINEL = 987_654_321;

  test('thousands of random and hostile frames: every connection answers or closes cleanly; the server lives on', { timeout: 180_000 }, async (ctx) => {
    let frames = 0;
    let droppedAtOpenRuns = 0;
    const closes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(hostile, { minLength: 1, maxLength: 40, size: 'max' }), fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: terminal }), async (preAuthenticated, frames_, last) => {
        const batch = last === null ? frames_ : [...frames_, last];
        // A fresh connection per run: at most 41 frames each, under the 100 frames/s limit.
        const c = await TestClient.open(wsUrl(t.http, preAuthenticated ? token : undefined));
        const clientErrors: string[] = [];
        c.ws.on('error', (err) => clientErrors.push(err.message));
        (c.ws as unknown as { _socket: NodeJS.EventEmitter })._socket.on('error', (err: NodeJS.ErrnoException) => clientErrors.push(err.code ?? err.message));
        for (const frame of batch) {
          if (c.ws.readyState !== WebSocket.OPEN) break;
          if ('text' in frame) c.sendRaw(frame.text);
          else c.sendRaw(Buffer.from(frame.bytes), frame.binary);
          frames++;
        }
        if (c.ws.readyState === WebSocket.OPEN) c.send('ping_manual', { t: 'sentinel' }, SENTINEL);
        const outcome = await within(
          Promise.race([c.waitFor((f: Frame) => f.id === SENTINEL).then((f) => ({ answered: f })), c.closed.then((closed) => ({ closed }))]),
          5000,
          'an answer or a close',
        );
        if ('closed' in outcome) {
          closes.set(outcome.closed.code, (closes.get(outcome.closed.code) ?? 0) + 1);
          // A text frame that is not UTF-8 fails the connection (RFC 6455 §8.1): uWS drops it
          // without a close frame, which the client sees as 1006. Nothing else may end that way.
          const invalidUtf8 = batch.some((f) => 'bytes' in f && !f.binary);
          // Known transport flake (SECURITY.md, "Known limits"): about 1 in 300-3000 freshly
          // upgraded sockets is dropped by uWS before it reads a frame (client: EPIPE, no reply
          // beyond `connect`). It reproduces without Beacon's code and without any hostile
          // frame, so it is counted and bounded here rather than blamed on the frames.
          const droppedAtOpen = outcome.closed.code === 1006 && c.frames.length === 1 && clientErrors.includes('EPIPE');
          if (droppedAtOpen) droppedAtOpenRuns++;
          const allowed = ALLOWED_CLOSES.has(outcome.closed.code) || (invalidUtf8 && (outcome.closed.code === 1006 || outcome.closed.code === 1007)) || droppedAtOpen;
          assert.ok(allowed, `closed with ${outcome.closed.code} ${outcome.closed.reason} after receiving ${JSON.stringify(c.frames).slice(0, 600)}; client errors: ${clientErrors.join('; ')}`);
        } else {
          assert.equal(outcome.answered.event, 'pong_manual');
          await within(c.close(), 3000, 'client close');
        }
      }),
      { numRuns: 200 },
    );
    ctx.diagnostic(`${frames} hostile frames; closes by code: ${JSON.stringify(Object.fromEntries(closes))}; dropped at open: ${droppedAtOpenRuns}`);
    assert.ok(frames >= 2000, `only ${frames} frames`);
    assert.ok(droppedAtOpenRuns <= 4, `${droppedAtOpenRuns} sockets dropped at open`);

    // The server is whole: healthy, and a fresh client registers, talks and is answered.
    assert.equal((await call('GET', `${t.http}/healthz`)).status, 200);
    const fresh = await TestClient.open(wsUrl(t.http));
    assert.equal((await fresh.register(token, 'fuzz_fay')).data.code, 'registered');
    assert.equal((await fresh.request('ping_manual', { t: 1 })).event, 'pong_manual');
    fresh.send('authenticated_message', { text: 'still alive' });
    await within(fresh.next('authenticated_message', (d) => d.text === 'still alive'), 2000, 'broadcast');
    await fresh.close();
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype pollution');
    const logs = readLogs(t.dir);
    for (const sign of ['connection actor failed', 'port send failed', 'verification failed unexpectedly']) {
      assert.ok(!logs.websocket.includes(sign), `websocket.log: ${sign}`);
    }
    assert.ok(!logs.app.includes('request failed'), 'app.log: request failed');
  });

  test(`nesting deeper than ${MAX_WS_JSON_DEPTH} levels is an invalid message (it used to crash the process)`, async () => {
    const c = await TestClient.open(wsUrl(t.http));
    c.sendRaw(envelope('message', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, '7'));
    const reply = await within(c.waitFor((f) => f.id === 7), 2000, 'answer');
    assert.deepEqual([reply.event, reply.data.code], ['response', 'invalid_message']);
    const ok = `${'['.repeat(MAX_WS_JSON_DEPTH - 1)}${']'.repeat(MAX_WS_JSON_DEPTH - 1)}`;
    c.sendRaw(envelope('message', ok, '8'));
    assert.equal((await within(c.waitFor((f) => f.id === 8), 2000, 'echo')).event, 'message');
    await c.close();
  });
});

/** A Beacon child process (its memory is its own), plain HTTP only. */
async function spawned(): Promise<{ p: BeaconProcess; base: string; rssBytes(): Promise<number>; stop(): Promise<void> }> {
  const { env, base } = await isolatedEnv(tempDir());
  const p = spawnBeacon(env);
  await ready(p);
  return {
    p,
    base,
    async rssBytes() {
      const text = (await call('GET', `${base}/metrics`)).text;
      return Number(/^beacon_process_resident_memory_bytes (\S+)$/m.exec(text)?.[1]);
    },
    async stop() {
      p.child.kill('SIGTERM');
      assert.equal(await within(p.exited, 15_000, 'exit'), 0);
    },
  };
}

describe('12-13. slow readers and flooders', () => {
  let s: Awaited<ReturnType<typeof spawned>>;
  before(async () => {
    s = await spawned();
  });
  after(() => s.stop());

  test('12. a client that stops reading is dropped past the backpressure limit; server memory stays bounded', { timeout: 120_000 }, async (ctx) => {
    const open = async (name: string): Promise<TestClient> => openAnswering(wsUrl(s.base, (await within(registerAndLogin(s.base, name), 10_000, 'login')).token));
    // One sender broadcasts to every authenticated socket; two more write to the sloth alone
    // (`to`), so the readers in this process are not the bottleneck.
    const [broadcaster, direct1, direct2, watcher] = [await open('bp_broadcaster'), await open('bp_direct1'), await open('bp_direct2'), await open('bp_watcher')] as [TestClient, TestClient, TestClient, TestClient];
    const senders = [broadcaster, direct1, direct2];
    const sloth = await open('bp_sloth');
    await within(watcher.next('user_status', (d) => d.username === 'bp_sloth' && d.status === 'online'), 5000, 'sloth online');
    const rssBefore = await s.rssBytes();

    // The sloth's TCP socket stops reading: the kernel buffers fill, then uWS's own buffer.
    (sloth.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const dropped = within(watcher.next('user_status', (d) => d.username === 'bp_sloth' && d.status === 'offline'), 60_000, 'sloth dropped');
    let gone = false;
    void dropped.then(() => (gone = true), () => undefined);
    const payload = 'x'.repeat(60_000);
    let broadcast = 0;
    const CAP = 256 * 1024 * 1024;
    while (!gone && broadcast < CAP) {
      // ~80 frames/s per sender: under the per-connection rate limit.
      broadcaster.send('authenticated_message', { text: 'load', data: payload });
      direct1.send('authenticated_message', { text: 'load', data: payload, to: 'bp_sloth' });
      direct2.send('authenticated_message', { text: 'load', data: payload, to: 'bp_sloth' });
      broadcast += 3 * payload.length;
      await new Promise((resolve) => setTimeout(resolve, 12));
    }
    await dropped;
    const rssAfter = await s.rssBytes();
    ctx.diagnostic(`dropped after ${(broadcast / 1e6).toFixed(1)} MB sent its way; server RSS ${(rssBefore / 1e6).toFixed(0)} -> ${(rssAfter / 1e6).toFixed(0)} MB`);
    // Loopback socket buffers hold a few MB; beyond them uWS keeps at most MAX_WS_BACKPRESSURE_BYTES.
    assert.ok(broadcast <= 48 * 1024 * 1024, `still queued for the sloth after ${broadcast} bytes`);
    assert.ok(rssAfter - rssBefore < 96 * 1024 * 1024, `server RSS grew by ${rssAfter - rssBefore} bytes`);
    assert.equal(MAX_WS_BACKPRESSURE_BYTES, 1024 * 1024);

    (sloth.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await within(sloth.closed, 10_000, 'sloth close');
    assert.ok(closed.code === 1006 || closed.code === 1001 || closed.code === 1009, `close ${closed.code}`);
    // The readers that kept up were never touched.
    for (const c of [...senders, watcher]) assert.equal((await within(c.request('ping_manual'), 10_000, 'reader ping')).event, 'pong_manual');
    await Promise.all([...senders, watcher].map((c) => within(c.close(), 10_000, 'close')));
  });

  test('13. a flooder is throttled, then closed with 4008, while a bystander\'s latency holds', { timeout: 120_000 }, async (ctx) => {
    const bystander = await openAnswering(wsUrl(s.base, (await within(registerAndLogin(s.base, 'flood_bystander'), 10_000, 'login')).token));
    // Paced at 40 pings/s: the bystander must stay under the 100 frames/s limit itself.
    const rtt = async (n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const started = process.hrtime.bigint();
        await within(bystander.request('ping_manual', { t: i }), 5000, 'bystander ping');
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        out.push(ms);
        if (ms < 25) await new Promise((resolve) => setTimeout(resolve, 25 - ms));
      }
      return out;
    };
    const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] as number;
    await rtt(10); // warm-up
    const baseline = await rtt(40);

    // Flooders one after another, each sending 400 frames in a burst, for as long as the bystander measures.
    const frame = JSON.stringify({ event: 'ping_manual', data: { t: 'flood' } });
    let flooding = true;
    const outcomes: Array<{ notified: boolean; code: number }> = [];
    const flood = (async () => {
      while (flooding) {
        const f = await within(TestClient.open(wsUrl(s.base)), 5000, 'flooder open');
        for (let i = 0; i < 400; i++) f.sendRaw(frame);
        const closed = await within(f.closed, 5000, 'flooder close');
        outcomes.push({ notified: f.frames.some((x) => x.event === 'response' && x.data.code === 'rate_limited'), code: closed.code });
      }
    })();
    let during: number[];
    try {
      during = await rtt(40);
    } finally {
      flooding = false;
      await flood;
    }

    ctx.diagnostic(
      `bystander RTT ms: baseline p50 ${pct(baseline, 0.5).toFixed(2)} p95 ${pct(baseline, 0.95).toFixed(2)}; during ${outcomes.length} floods p50 ${pct(during, 0.5).toFixed(2)} p95 ${pct(during, 0.95).toFixed(2)}`,
    );
    assert.ok(outcomes.length >= 3, `${outcomes.length} flooders`);
    // (A flooder dropped by the transport at open never got to flood: 1006 with no notice.)
    for (const o of outcomes) if (o.code !== 1006) assert.deepEqual(o, { notified: true, code: 4008 });
    assert.ok(outcomes.filter((o) => o.code === 4008).length >= outcomes.length - 2);
    // The flood costs the server little: frames over the limit are dropped unparsed. The
    // bound leaves room for the test process itself, which generates the flood.
    assert.ok(pct(during, 0.5) <= 2 * pct(baseline, 0.5) + 5, `p50 ${pct(during, 0.5)} vs ${pct(baseline, 0.5)} ms`);
    assert.ok(pct(during, 0.95) <= 100, `p95 ${pct(during, 0.95)} ms`);
    await bystander.close();
  });
});

describe('14. idle timeout', () => {
  test('WS_IDLE_TIMEOUT_SECONDS is a setting: default 60, at least 8, in 4-second steps', () => {
    const env = testEnv(tempDir());
    assert.equal(loadConfig(env).WS_IDLE_TIMEOUT_SECONDS, WS_IDLE_TIMEOUT_SECONDS);
    assert.equal(loadConfig({ ...env, WS_IDLE_TIMEOUT_SECONDS: '8' }).WS_IDLE_TIMEOUT_SECONDS, 8);
    for (const bad of ['4', '10', 'soon', '2000']) {
      assert.throws(() => loadConfig({ ...env, WS_IDLE_TIMEOUT_SECONDS: bad }), (err: unknown) => err instanceof ConfigError && err.message.startsWith('WS_IDLE_TIMEOUT_SECONDS: '));
    }
  });

  test('a client that never answers pings is closed after the idle timeout; one that answers stays', { timeout: 60_000 }, async () => {
    const t = await startIsolated({ hasher: CHEAP_HASHES, env: { WS_IDLE_TIMEOUT_SECONDS: '8' } });
    try {
      const watcher = await openAnswering(wsUrl(t.http, (await registerAndLogin(t.http, 'idle_watcher')).token));
      let watcherPings = 0;
      watcher.ws.on('ping', () => watcherPings++);
      const { token } = await registerAndLogin(t.http, 'idle_ivan');
      // `ws` answers pings by itself unless told not to: this one stays silent at every level.
      const silent = new WebSocket(wsUrl(t.http, token), { autoPong: false });
      let silentPings = 0;
      silent.on('ping', () => silentPings++);
      const silentClosed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
      await within(new Promise((resolve) => silent.once('open', resolve)), 5000, 'silent open');
      const opened = Date.now();
      await within(watcher.next('user_status', (d) => d.username === 'idle_ivan' && d.status === 'online'), 5000, 'online');
      await within(watcher.next('user_status', (d) => d.username === 'idle_ivan' && d.status === 'offline'), 20_000, 'idle close');
      const elapsed = Date.now() - opened;
      // uWS counts idle time in 4-second ticks: an 8 s timeout fires after 4 to 8 s of silence
      // (plus the presence window before the watcher hears of it).
      assert.ok(elapsed >= 4_000 && elapsed <= 16_000, `closed after ${elapsed} ms`);
      assert.equal(await within(silentClosed, 5000, 'client close'), 1006);
      assert.ok(silentPings >= 1, 'the server pinged before giving up');
      // The watcher said nothing either, but its pongs kept it alive past the timeout.
      assert.ok(watcherPings >= 1);
      assert.equal((await watcher.request('ping_manual')).event, 'pong_manual');
      await watcher.close();
    } finally {
      await t.stop();
    }
  });
});
