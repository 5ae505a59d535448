// The client against a real Beacon (real SQLite, real sockets on port 0): requests and
// replies, refusals as typed errors, the closes it must not come back from, a server
// restart it must come back from, and token refresh ahead of a short TOKEN_TTL_SECONDS.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startTestBeacon, tempDir, type TestBeacon } from '../support/beacon.js';
import { clientFor, forwarder, login, next, record, register } from './support.js';

describe('client against a running Beacon', () => {
  let t: TestBeacon;
  before(async () => {
    t = await startTestBeacon();
  });
  after(() => t.stop());

  test('requests resolve with the reply carrying their id; send reaches another user', async () => {
    await register(t.http, 'cl_alice');
    await register(t.http, 'cl_bob');
    const alice = clientFor(t.http, { getToken: () => login(t.http, 'cl_alice') });
    const bob = clientFor(t.http, { getToken: () => login(t.http, 'cl_bob') });
    const ready = Promise.all([next(alice, 'authenticated'), next(bob, 'authenticated')]);
    alice.connect();
    bob.connect();
    assert.deepEqual((await ready).map((u) => u.username), ['cl_alice', 'cl_bob']);
    const [pong, debug, online] = await Promise.all([alice.request('ping_manual', { t: 'x1' }), alice.request('debug_connection'), alice.onlineUsers()]);
    assert.equal(pong.t, 'x1');
    assert.deepEqual([debug.state, debug.username], ['authenticated', 'cl_alice']);
    assert.ok(online.users.some((u) => u.username === 'cl_bob'));
    const heard = next(bob, 'authenticated_message', (m) => m.text === 'hello bob');
    await alice.send({ text: 'hello bob', to: 'cl_bob' });
    assert.equal((await heard).from, 'cl_alice');
    alice.close();
    bob.close();
  });

  test('a refusal rejects with the server code; the connection stays', async () => {
    const anon = clientFor(t.http);
    const up = next(anon, 'connected');
    anon.connect();
    await up;
    await assert.rejects(anon.send({ text: 'hi' }), { name: 'BeaconError', code: 'not_authenticated', message: 'Not authenticated' });
    assert.equal((await anon.request('message', 'still here')).data, 'still here');
    anon.close();
  });

  test('logout elsewhere (4001) and a login elsewhere (4004) end the session for good', async () => {
    for (const [name, end, code] of [
      ['cl_revoked', (token: string) => call('POST', `${t.http}/logout`, { token }), 4001],
      ['cl_replaced', () => login(t.http, 'cl_replaced'), 4004],
    ] as const) {
      await register(t.http, name);
      const token = await login(t.http, name);
      const client = clientFor(t.http, { getToken: () => token });
      const connecting = record(client, 'connecting');
      const authed = next(client, 'authenticated');
      client.connect();
      await authed;
      const gone = next(client, 'disconnected');
      await end(token);
      const d = await gone;
      assert.deepEqual([d.code, d.reconnect, d.delayMs], [code, false, null]);
      assert.equal(client.state, 'disconnected');
      // Nothing further: a ping round trip on another socket is time enough for any reconnect timer (50 ms) to fire.
      const probe = clientFor(t.http);
      const probeUp = next(probe, 'connected');
      probe.connect();
      await probeUp;
      await probe.request('ping_manual', {});
      probe.close();
      assert.equal(connecting.length, 1, `no reconnect after ${code}`);
      assert.equal(client.active, false, 'no reconnect scheduled at all');
    }
  });
});

describe('client across a server restart', () => {
  test('1001 at shutdown: reconnects with backoff and authenticates again on the restarted server', async () => {
    const dir = tempDir();
    let beacon = await startTestBeacon({ dir });
    // The restarted server gets a new port: the client reaches both through one address.
    const front = await forwarder(() => beacon.beacon.httpPort ?? 0);
    const base = `http://127.0.0.1:${front.port}`;
    await register(base, 'cl_restart');
    const token = await login(base, 'cl_restart');
    let calls = 0;
    const client = clientFor(base, {
      getToken: () => {
        calls += 1;
        return token;
      },
    });
    try {
      const authed = next(client, 'authenticated');
      client.connect();
      await authed;
      const down = next(client, 'disconnected');
      await beacon.stop();
      const d = await down;
      assert.deepEqual([d.code, d.reconnect], [1001, true]);
      const again = next(client, 'authenticated', () => true, 15_000);
      beacon = await startTestBeacon({ dir });
      assert.equal((await again).username, 'cl_restart');
      assert.equal(calls, 1, 'the token was still good: no new login');
      assert.equal((await client.request('debug_connection')).state, 'authenticated');
    } finally {
      client.close();
      await beacon.stop();
      await front.close();
    }
  });
});

describe('client token refresh', () => {
  test('a short TOKEN_TTL_SECONDS: getToken is asked ahead of exp, the session never expires', async () => {
    const t = await startTestBeacon({ env: { TOKEN_TTL_SECONDS: '3' } });
    try {
      await register(t.http, 'cl_short');
      let logins = 0;
      const client = clientFor(t.http, {
        getToken: () => {
          logins += 1;
          return login(t.http, 'cl_short');
        },
      });
      const expired = record(client, 'token_expired');
      const closes = record(client, 'disconnected');
      const authed = next(client, 'authenticated');
      client.connect();
      await authed;
      // Three lifetimes' worth of refreshes, each before the token it replaces expires.
      for (let i = 0; i < 3; i++) await next(client, 'token_refreshed', () => true, 4_000);
      assert.deepEqual(expired, []);
      assert.equal(logins, 4);
      // Beacon keeps one active token per user: the login behind getToken revokes the token
      // in use and closes its connection with 4004 before the new token is even returned,
      // so each refresh here is an immediate reconnect with the new token, never a backoff.
      assert.ok(closes.every((d) => d.code === 4004 && d.reconnect && d.delayMs === 0), JSON.stringify(closes));
      assert.equal((await client.request('debug_connection')).state, 'authenticated');
      client.close();
    } finally {
      await t.stop();
    }
  });
});
