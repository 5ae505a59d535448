// Every row of docs/protocol.md §3's events table, with real WebSocket clients against a real
// server on ephemeral ports (plain and TLS).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, registerAndLogin, startTestBeacon, type TestBeacon } from '../support/beacon.js';
import { TestClient, within, wsUrl } from '../support/wsClient.js';

let t: TestBeacon;
before(async () => {
  t = await startTestBeacon();
});
after(async () => {
  await t.stop();
});

async function authenticated(name: string): Promise<{ client: TestClient; token: string; userId: number }> {
  const { token, userId } = await registerAndLogin(t.http, name);
  const client = await TestClient.open(wsUrl(t.http));
  const reply = await client.register(token, name);
  assert.equal(reply.data.ok, true, JSON.stringify(reply));
  return { client, token, userId };
}

describe('connection and registration', () => {
  test('connect is the first frame, with sid, state and server_time', async () => {
    const c = await TestClient.open(wsUrl(t.http));
    const first = await c.next('connect');
    assert.equal(c.frames[0], first);
    assert.equal(first.data.state, 'connected');
    assert.equal(typeof first.data.sid, 'string');
    assert.ok(Math.abs(first.data.server_time - Date.now()) < 5000);
    await c.close();
  });

  test('register_user: registered answer with the request id, then presence broadcasts', async () => {
    const { token, userId } = await registerAndLogin(t.http, 'ev_reg');
    const c = await TestClient.open(wsUrl(t.http));
    const reply = await c.register(token, 'ev_reg');
    assert.equal(reply.event, 'response');
    assert.deepEqual(reply.data, { ok: true, code: 'registered', message: 'User registered', username: 'ev_reg', user_id: userId });
    const status = await c.next('user_status', (d) => d.username === 'ev_reg');
    assert.deepEqual(status.data, { username: 'ev_reg', user_id: userId, status: 'online' });
    assert.equal(status.id, undefined);
    const count = await c.next('user_count');
    assert.ok(count.data.count >= 1 && count.data.connections >= count.data.count);
    await c.close();
  });

  test('?token= at upgrade starts authenticated; the same works over wss on the TLS port', async () => {
    for (const base of [t.http, t.https]) {
      const name = base === t.http ? 'ev_upg' : 'ev_upg_tls';
      const { token } = await registerAndLogin(base, name);
      const c = await TestClient.open(wsUrl(base, token));
      const debug = await c.request('debug_connection');
      assert.equal(debug.data.state, 'authenticated');
      assert.equal(debug.data.username, name);
      await c.next('user_status', (d) => d.username === name && d.status === 'online');
      await c.close();
    }
  });

  test('register_user again with the same valid token answers token_refreshed', async () => {
    const { client, token } = await authenticated('ev_refresh');
    const again = await client.register(token, 'ev_refresh');
    assert.equal(again.data.ok, true);
    assert.equal(again.data.code, 'token_refreshed');
    await client.close();
  });
});

describe('client events', () => {
  test('message echoes to the sender only, with from null before authentication', async () => {
    const anon = await TestClient.open(wsUrl(t.http));
    const echo = await anon.request('message', { hello: [1, 2] });
    assert.deepEqual([echo.event, echo.data], ['message', { from: null, data: { hello: [1, 2] } }]);
    const { client } = await authenticated('ev_echo');
    const named = await client.request('message', 'text');
    assert.deepEqual(named.data, { from: 'ev_echo', data: 'text' });
    await Promise.all([anon.close(), client.close()]);
  });

  test('authenticated_message: refused before auth; delivered to all authenticated, sender included', async () => {
    const anon = await TestClient.open(wsUrl(t.http));
    const refused = await anon.request('authenticated_message', { text: 'hi' });
    assert.deepEqual([refused.data.ok, refused.data.code], [false, 'not_authenticated']);
    const a = await authenticated('ev_am_a');
    const b = await authenticated('ev_am_b');
    a.client.send('authenticated_message', { text: 'hello all', data: { n: 1 } });
    for (const c of [a.client, b.client]) {
      const got = await within(c.next('authenticated_message', (d) => d.text === 'hello all'), 2000, 'broadcast');
      assert.equal(got.data.from, 'ev_am_a');
      assert.deepEqual(got.data.data, { n: 1 });
      assert.equal(typeof got.data.ts, 'number');
    }
    assert.equal(anon.frames.filter((f) => f.event === 'authenticated_message').length, 0);
    await Promise.all([anon.close(), a.client.close(), b.client.close()]);
  });

  test('authenticated_message with `to` reaches only that user and the sender', async () => {
    const a = await authenticated('ev_to_a');
    const b = await authenticated('ev_to_b');
    const c = await authenticated('ev_to_c');
    a.client.send('authenticated_message', { text: 'psst', to: 'ev_to_b' });
    await within(b.client.next('authenticated_message', (d) => d.text === 'psst'), 2000, 'recipient');
    await within(a.client.next('authenticated_message', (d) => d.text === 'psst'), 2000, 'sender copy');
    // c asks something after the send; its answer arriving first proves the message is not coming.
    await c.client.request('ping_manual');
    assert.equal(c.client.frames.filter((f) => f.event === 'authenticated_message' && f.data.text === 'psst').length, 0);
    await Promise.all([a.client.close(), b.client.close(), c.client.close()]);
  });

  test('ping_manual answers pong_manual with t and server_time', async () => {
    const c = await TestClient.open(wsUrl(t.http));
    const pong = await c.request('ping_manual', { t: 12345 });
    assert.equal(pong.event, 'pong_manual');
    assert.equal(pong.data.t, 12345);
    assert.equal(typeof pong.data.server_time, 'number');
    await c.close();
  });

  test('debug_connection describes the connection', async () => {
    const { client, userId } = await authenticated('ev_debug');
    const d = await client.request('debug_connection');
    assert.equal(d.event, 'debug_connection');
    for (const key of ['sid', 'state', 'username', 'user_id', 'connected_at', 'token_expires_at', 'remote_address', 'transport']) {
      assert.ok(key in d.data, key);
    }
    assert.deepEqual([d.data.state, d.data.username, d.data.user_id, d.data.remote_address, d.data.transport], [
      'authenticated',
      'ev_debug',
      userId,
      '127.0.0.1',
      'websocket',
    ]);
    await client.close();
  });

  test('get_online_users lists users with connection counts; two sockets of one user count once', async () => {
    const first = await authenticated('ev_online');
    const second = await TestClient.open(wsUrl(t.http, first.token));
    await second.request('ping_manual');
    const list = await first.client.request('get_online_users');
    assert.equal(list.event, 'online_users');
    const me = list.data.users.find((u: { username: string }) => u.username === 'ev_online');
    assert.deepEqual(me, { username: 'ev_online', user_id: first.userId, connections: 2 });
    assert.equal(list.data.count, list.data.users.length);
    await Promise.all([first.client.close(), second.close()]);
  });

  test('check_connections answers connections_checked with active and removed', async () => {
    const { client } = await authenticated('ev_check');
    const r = await client.request('check_connections');
    assert.equal(r.event, 'connections_checked');
    assert.ok(r.data.active >= 1);
    assert.equal(typeof r.data.removed, 'number');
    await client.close();
  });

  test('disconnect from the client closes politely with 1000', async () => {
    const c = await TestClient.open(wsUrl(t.http));
    c.send('disconnect', { reason: 'bye' });
    const closed = await within(c.closed, 2000, 'close');
    assert.equal(closed.code, 1000);
  });
});

describe('presence', () => {
  test('user_status offline and user_count when the last connection of a user closes, not before', async () => {
    const watcher = await authenticated('ev_watch');
    const leaver = await authenticated('ev_leave');
    await watcher.client.next('user_status', (d) => d.username === 'ev_leave' && d.status === 'online');
    const extra = await TestClient.open(wsUrl(t.http, leaver.token));
    await extra.request('ping_manual');
    await leaver.client.close();
    // Still online through `extra`: ask, then close the last one and see it go.
    const still = await watcher.client.request('get_online_users');
    assert.ok(still.data.users.some((u: { username: string }) => u.username === 'ev_leave'));
    await extra.close();
    const offline = await within(
      watcher.client.next('user_status', (d) => d.username === 'ev_leave' && d.status === 'offline'),
      2000,
      'offline',
    );
    assert.equal(offline.data.user_id, leaver.userId);
    const count = await watcher.client.next('user_count');
    assert.equal(typeof count.data.count, 'number');
    const users = await call('GET', `${t.http}/users`, { token: watcher.token });
    assert.equal(users.json.users.find((u: { username: string }) => u.username === 'ev_leave').online, false);
    assert.equal(users.json.users.find((u: { username: string }) => u.username === 'ev_watch').online, true);
    await watcher.client.close();
  });
});
