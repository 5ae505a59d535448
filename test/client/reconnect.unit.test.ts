// The client's reconnect policy on a fake socket and a fake clock: the backoff schedule
// and its jitter bounds, the closes it always comes back from, and the ones it never does.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffCeiling, backoffDelay } from '../../client/src/index.js';
import { FakeSocket, authenticate, fakeToken, harness, settle } from './fakes.js';

const token = () => fakeToken({ iat: 1_000, exp: 4_000_000_000 });

describe('backoff', () => {
  test('ceilings double from the base and stop at the cap', () => {
    const options = { baseMs: 100, maxMs: 1_000 };
    assert.deepEqual([0, 1, 2, 3, 4, 5, 50, 5000].map((n) => backoffCeiling(n, options)), [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  test('full jitter: every delay is in [0, ceiling), the whole range is reachable', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = backoffCeiling(attempt);
      assert.equal(backoffDelay(attempt, () => 0), 0);
      assert.equal(backoffDelay(attempt, () => 0.999_999), ceiling - 1);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, Math.random);
        assert.ok(d >= 0 && d < ceiling, `attempt ${attempt}: ${d} not in [0, ${ceiling})`);
      }
    }
  });

  test('the client waits the drawn delays between attempts, and starts over once authenticated', async () => {
    const h = harness({ getToken: token, reconnect: { baseMs: 1_000, maxMs: 8_000 } });
    await authenticate(h);
    for (let i = 0; i < 5; i++) {
      FakeSocket.last().serverClose(1006);
      await settle();
      const { delayMs } = h.of('disconnected').at(-1);
      h.clock.advance(delayMs);
      await settle();
    }
    // random() = 0.5: half of 1 s, 2 s, 4 s, 8 s, 8 s.
    assert.deepEqual(h.of('disconnected').map((d) => d.delayMs), [500, 1000, 2000, 4000, 4000]);
    assert.deepEqual(h.of('connecting').map((c) => c.attempt), [0, 1, 2, 3, 4, 5]);
    const socket = FakeSocket.last();
    socket.open(h.clock.now());
    socket.acceptRegistration();
    await settle();
    socket.serverClose(1006);
    await settle();
    assert.equal(h.of('disconnected').at(-1).delayMs, 500, 'authenticated again: the schedule restarts');
  });

  test('maxAttempts bounds the attempts in a row', async () => {
    const h = harness({ getToken: token, reconnect: { baseMs: 10, maxAttempts: 2 } });
    await authenticate(h);
    for (let i = 0; i < 3; i++) {
      FakeSocket.last().serverClose(1006);
      await settle();
      h.clock.advance(10_000);
      await settle();
    }
    assert.deepEqual(h.of('disconnected').map((d) => d.reconnect), [true, true, false]);
    assert.equal(FakeSocket.all.length, 3);
    assert.equal(h.client.state, 'disconnected');
  });
});

describe('which closes reconnect', () => {
  for (const code of [4001, 4003, 4004, 4006]) {
    test(`${code}: never reconnects, and says so with the code's meaning`, async () => {
      const h = harness({ getToken: token });
      const socket = await authenticate(h);
      socket.serverClose(code, 'server said no');
      await settle();
      h.clock.advance(10 * 60_000);
      await settle();
      assert.equal(FakeSocket.all.length, 1, 'no second socket');
      const [d] = h.of('disconnected');
      assert.deepEqual({ ...d, meaning: typeof d.meaning }, { code, reason: 'server said no', meaning: 'string', reconnect: false, delayMs: null });
      assert.notEqual(d.meaning, 'unknown close');
      assert.equal(h.client.state, 'disconnected');
      assert.equal(h.client.active, false);
    });
  }

  for (const code of [1001, 1006, 1013, 4005]) {
    test(`${code}: reconnects after the backoff delay, not before`, async () => {
      const h = harness({ getToken: token, reconnect: { baseMs: 2_000 } });
      const socket = await authenticate(h);
      socket.serverClose(code);
      await settle();
      const [d] = h.of('disconnected');
      assert.deepEqual([d.code, d.reconnect, d.delayMs], [code, true, 1_000]);
      h.clock.advance(999);
      await settle();
      assert.equal(FakeSocket.all.length, 1, 'not before the delay');
      h.clock.advance(1);
      await settle();
      assert.equal(FakeSocket.all.length, 2);
      // A token still good is reused: no new login for a reconnect.
      const next = FakeSocket.last();
      next.open(h.clock.now());
      assert.equal(next.lastSent('register_user').data.token, socket.lastSent('register_user').data.token);
    });
  }

  test('close() ends it for good: a polite disconnect frame, no reconnect, requests rejected', async () => {
    const h = harness({ getToken: token });
    const socket = await authenticate(h);
    const pending = h.client.request('ping_manual', { t: 1 });
    h.client.close();
    await assert.rejects(pending, { name: 'BeaconError', code: 'closed' });
    assert.deepEqual(socket.sent.at(-1), { event: 'disconnect', data: { reason: 'client disconnect' } });
    assert.equal(socket.closedWith?.code, 1000);
    h.clock.advance(60_000);
    await settle();
    assert.equal(FakeSocket.all.length, 1);
    assert.deepEqual(h.of('disconnected').map((d) => d.reconnect), [false]);
  });

  test('states in order: connecting, connected, authenticated, disconnected', async () => {
    const h = harness({ getToken: token });
    const socket = await authenticate(h);
    socket.serverClose(4001);
    await settle();
    assert.deepEqual(h.of('state').map((s) => s.state), ['connecting', 'connected', 'authenticated', 'disconnected']);
    assert.deepEqual(h.of('authenticated'), [{ username: 'alice', user_id: 1 }]);
  });

  test('a getToken that fails is an error and a retry with backoff, not a crash', async () => {
    let calls = 0;
    const h = harness({
      getToken: async () => {
        calls += 1;
        if (calls === 1) throw new Error('login server down');
        return token();
      },
    });
    h.client.connect();
    await settle();
    assert.equal(FakeSocket.all.length, 0);
    assert.equal(h.of('error')[0].code, 'token_unavailable');
    assert.deepEqual([h.of('disconnected')[0].code, h.of('disconnected')[0].reconnect], [0, true]);
    h.clock.advance(h.of('disconnected')[0].delayMs);
    await settle();
    assert.equal(FakeSocket.all.length, 1);
  });
});

test('close() while waiting to reconnect: the last close is said again, now final', async () => {
  const h = harness({ getToken: token });
  const socket = await authenticate(h);
  socket.serverClose(1006, 'gone');
  await settle();
  h.client.close();
  assert.deepEqual(h.of('disconnected').map((d) => [d.code, d.reconnect]), [[1006, true], [1006, false]]);
  h.clock.advance(60_000);
  await settle();
  assert.equal(FakeSocket.all.length, 1);
});

test('connect() after close() asks getToken again; a reconnect reuses a token still good', async () => {
  let calls = 0;
  const h = harness({
    getToken: () => {
      calls += 1;
      return token();
    },
  });
  const socket = await authenticate(h);
  socket.serverClose(1006);
  await settle();
  h.clock.advance(h.of('disconnected').at(-1).delayMs);
  await settle();
  assert.equal(calls, 1, 'reconnect: same token');
  h.client.close();
  h.client.connect();
  await settle();
  assert.equal(calls, 2, 'explicit connect: asked again');
});

test('close() then connect() while getToken is out opens one socket, not two', async () => {
  let release: (t: string) => void = () => {};
  const h = harness({ getToken: () => new Promise<string>((resolve) => (release = resolve)) });
  h.client.connect();
  const first = release;
  h.client.close();
  h.client.connect();
  first(token());
  release(token());
  await settle();
  assert.equal(FakeSocket.all.length, 1);
});

test('a URL the WebSocket class refuses is an error, not an unhandled rejection', async () => {
  class Refusing extends FakeSocket {
    constructor(url: string) {
      super(url);
      throw new SyntaxError('bad url');
    }
  }
  const h = harness({ WebSocket: Refusing });
  h.client.connect();
  await settle();
  assert.equal(h.of('error')[0].code, 'not_connected');
  assert.deepEqual(h.of('disconnected').map((d) => d.reconnect), [false]);
});
