// Token refresh on a fake clock: when getToken is asked again (a margin before `exp` on
// the server's clock, never in a loop for short tokens), the swap on the live connection,
// a refresh that replaced the connection's own token, and `token_expired` said once.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeSocket, authenticate, fakeToken, harness, settle } from './fakes.js';

/** The harness clock starts at 1 000 000 ms: second 1000. */
const NOW_S = 1_000;

/** Tokens issued as Beacon would: `iat` now (on `clock`), `exp` a lifetime later. */
function tokens(lifetimeS: number, clock: { now(): number }) {
  const issued: string[] = [];
  let failing = false;
  return {
    issued,
    fail(on: boolean) {
      failing = on;
    },
    getToken: async () => {
      if (failing) throw new Error('no login right now');
      const iat = Math.floor(clock.now() / 1000);
      const t = fakeToken({ iat, exp: iat + lifetimeS, jti: `j${issued.length}` });
      issued.push(t);
      return t;
    },
  };
}

describe('token refresh', () => {
  test('a margin before exp, a fresh token goes out with register_user on the same socket', async () => {
    const clock = { now: () => h.clock.now() };
    const source = tokens(3_600, clock);
    const h = harness({ getToken: source.getToken, refreshMarginMs: 60_000 });
    const socket = await authenticate(h);
    assert.equal(source.issued.length, 1);
    h.clock.advance(3_540_000 - 1);
    await settle();
    assert.equal(source.issued.length, 1, 'not before exp − margin');
    h.clock.advance(1);
    await settle();
    assert.equal(source.issued.length, 2);
    const refresh = socket.lastSent('register_user');
    assert.deepEqual(refresh.data, { token: source.issued[1], username: 'alice' });
    socket.acceptRegistration('token_refreshed');
    await settle();
    assert.deepEqual(h.of('token_refreshed'), [{ username: 'alice', user_id: 1, reconnected: false }]);
    assert.equal(FakeSocket.all.length, 1, 'no reconnect');
    assert.equal(h.client.state, 'authenticated');
    assert.deepEqual(h.of('disconnected'), []);
  });

  test('getToken is handed the token in use at a refresh (to exchange it), nothing at connect()', async () => {
    const clock = { now: () => h.clock.now() };
    const source = tokens(3_600, clock);
    const handed: Array<string | undefined> = [];
    const h = harness({ getToken: (current?: string) => (handed.push(current), source.getToken()), refreshMarginMs: 60_000 });
    const socket = await authenticate(h);
    h.clock.advance(3_540_000);
    await settle();
    assert.deepEqual(handed, [undefined, source.issued[0]]);
    assert.deepEqual(socket.lastSent('register_user').data, { token: source.issued[1], username: 'alice' });
  });

  test('a short token is refreshed a quarter of its life early, not in a loop', async () => {
    const clock = { now: () => h.clock.now() };
    const source = tokens(4, clock);
    const h = harness({ getToken: source.getToken, refreshMarginMs: 60_000 });
    const socket = await authenticate(h);
    h.clock.advance(2_999);
    await settle();
    assert.equal(source.issued.length, 1);
    h.clock.advance(1);
    await settle();
    assert.equal(source.issued.length, 2, 'at exp − 1 s');
    socket.acceptRegistration('token_refreshed');
    await settle();
    h.clock.advance(500);
    await settle();
    assert.equal(source.issued.length, 2, 'the next refresh waits for the new token');
  });

  test('exp is read on the server clock: a server 10 s ahead means a refresh 10 s earlier here', async () => {
    const clock = { now: () => h.clock.now() };
    const source = tokens(3_600, clock);
    const h = harness({ getToken: source.getToken, refreshMarginMs: 60_000 });
    await authenticate(h, h.clock.now() + 10_000);
    h.clock.advance(3_530_000 - 1);
    await settle();
    assert.equal(source.issued.length, 1);
    h.clock.advance(1);
    await settle();
    assert.equal(source.issued.length, 2);
  });

  test('when getting the fresh token replaced the connection (4004 while refreshing), it reconnects at once with it', async () => {
    let release: (token: string) => void = () => {};
    let calls = 0;
    const first = fakeToken({ iat: NOW_S, exp: NOW_S + 100 });
    const second = fakeToken({ iat: NOW_S + 75, exp: NOW_S + 175 });
    const h = harness({
      getToken: () => {
        calls += 1;
        return calls === 1 ? first : new Promise<string>((resolve) => (release = resolve));
      },
    });
    const socket = await authenticate(h);
    h.clock.advance(75_000);
    await settle();
    assert.equal(calls, 2, 'refreshing');
    // The login behind getToken revoked the old token before its answer came back.
    socket.serverClose(4004, 'Logged in from another session');
    await settle();
    assert.deepEqual(h.of('disconnected'), [], 'waits for the refresh before deciding');
    release(second);
    await settle();
    assert.deepEqual(h.of('disconnected').map((d) => [d.code, d.reconnect, d.delayMs]), [[4004, true, 0]]);
    h.clock.advance(0);
    await settle();
    const next = FakeSocket.last();
    assert.notEqual(next, socket);
    next.open(h.clock.now());
    assert.equal(next.lastSent('register_user').data.token, second);
    next.acceptRegistration();
    await settle();
    assert.deepEqual(h.of('token_refreshed'), [{ username: 'alice', user_id: 1, reconnected: true }]);
    assert.equal(calls, 2, 'the fresh token is used, not a third login');
  });

  test('token_expired is said once: the push, the 4002 close and the retries that follow', async () => {
    const clock = { now: () => h.clock.now() };
    const source = tokens(8, clock);
    const h = harness({ getToken: source.getToken, reconnect: { baseMs: 100 } });
    const socket = await authenticate(h);
    source.fail(true);
    h.clock.advance(6_000);
    await settle();
    assert.equal(h.of('error')[0].code, 'token_unavailable');
    h.clock.advance(2_000);
    await settle();
    socket.receive('response', { ok: false, code: 'token_expired', message: 'Token has expired!' });
    socket.receive('disconnect', { code: 4002, reason: 'Token has expired!' });
    socket.serverClose(4002, 'Token has expired!');
    await settle();
    // One step per retry: time moves only as far as the delay each one drew.
    const step = async () => {
      h.clock.advance(h.of('disconnected').at(-1).delayMs);
      await settle();
    };
    for (let i = 0; i < 4; i++) await step();
    assert.equal(h.of('token_expired').length, 1);
    assert.equal(h.of('disconnected')[0].reconnect, true, '4002 comes back when a token can be had');
    assert.equal(FakeSocket.all.length, 1, 'no socket without a token');
    source.fail(false);
    await step();
    const next = FakeSocket.last();
    assert.notEqual(next, socket);
    next.open(h.clock.now());
    assert.equal(next.lastSent('register_user').data.token, source.issued.at(-1));
  });
});
