// Requests on a fake socket: replies matched by id whatever their order, refusals as typed
// errors, timeouts on the fake clock, and `send`'s proof of acceptance.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BeaconError } from '../../client/src/index.js';
import { FakeSocket, authenticate, fakeToken, harness, settle } from './fakes.js';

const token = () => fakeToken({ iat: 1_000, exp: 4_000_000_000 });

describe('requests', () => {
  test('each reply settles the request with its id, in whatever order replies come', async () => {
    const h = harness();
    h.client.connect();
    await settle();
    const socket = FakeSocket.last();
    socket.open();
    const first = h.client.request('ping_manual', { t: 'a' });
    const second = h.client.request('ping_manual', { t: 'b' });
    const [a, b] = socket.sent.filter((f) => f.event === 'ping_manual');
    assert.ok(a?.id !== undefined && b?.id !== undefined && a.id !== b.id);
    assert.deepEqual(a.data, { t: 'a' });
    socket.receive('pong_manual', { t: 'b', server_time: 2 }, b.id);
    socket.receive('pong_manual', { t: 'unrelated', server_time: 3 });
    socket.receive('pong_manual', { t: 'a', server_time: 1 }, a.id);
    assert.deepEqual(await first, { t: 'a', server_time: 1 });
    assert.deepEqual(await second, { t: 'b', server_time: 2 });
  });

  test('ok: false rejects with a BeaconError carrying the code and message', async () => {
    const h = harness({ getToken: token });
    const socket = await authenticate(h);
    const publishing = h.client.publish('room:x', { n: 1 });
    const frame = socket.lastSent('publish');
    assert.deepEqual(frame.data, { channel: 'room:x', data: { n: 1 } });
    socket.receive('response', { ok: false, code: 'not_subscribed', message: 'Not subscribed to this channel' }, frame.id);
    const error = await publishing.then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof BeaconError);
    assert.deepEqual([error.code, error.message, error.event], ['not_subscribed', 'Not subscribed to this channel', 'publish']);
  });

  test('a request not answered in time rejects with timeout, and a late reply changes nothing', async () => {
    const h = harness({ requestTimeoutMs: 5_000 });
    h.client.connect();
    await settle();
    const socket = FakeSocket.last();
    socket.open();
    const asked = h.client.onlineUsers();
    let settled = false;
    asked.catch(() => (settled = true));
    h.clock.advance(4_999);
    await settle();
    assert.equal(settled, false, 'not before the timeout');
    h.clock.advance(1);
    await assert.rejects(asked, { code: 'timeout' });
    socket.receive('online_users', { users: [], count: 0 }, socket.lastSent('get_online_users').id);
  });

  test('requests in flight reject with disconnected when the socket closes; none is sent while closed', async () => {
    const h = harness({ getToken: token });
    const socket = await authenticate(h);
    const asked = h.client.channelPresence('room:x');
    socket.serverClose(1006);
    await assert.rejects(asked, { code: 'disconnected' });
    await assert.rejects(h.client.history('room:x', { limit: 5 }), { code: 'not_connected' });
  });

  test('send resolves once the ping sent behind it is answered, and rejects on a refusal', async () => {
    const h = harness({ getToken: token });
    const socket = await authenticate(h);
    const timers = h.clock.pending();
    const ok = h.client.send({ text: 'hi', to: 'bob' });
    const [message, ping] = socket.sent.slice(-2);
    assert.deepEqual([message?.event, message?.data, ping?.event], ['authenticated_message', { text: 'hi', to: 'bob' }, 'ping_manual']);
    socket.receive('pong_manual', { t: null, server_time: 1 }, ping?.id);
    await ok;
    const refused = h.client.send({ text: 'again' });
    const [again, ping2] = socket.sent.slice(-2);
    socket.receive('response', { ok: false, code: 'not_authenticated', message: 'Not authenticated' }, again?.id);
    socket.receive('pong_manual', { t: null, server_time: 2 }, ping2?.id);
    await assert.rejects(refused, { code: 'not_authenticated' });
    assert.equal(h.clock.pending(), timers, 'no request timer left behind');
  });

  test('pushes reach the application under their own names', async () => {
    const h = harness({ getToken: token });
    const socket = await authenticate(h);
    const got: unknown[] = [];
    h.client.on('authenticated_message', (m) => got.push(m.text));
    h.client.on('user_status', (s) => got.push(s.status));
    socket.receive('authenticated_message', { from: 'bob', data: null, text: 'yo', ts: 1 });
    socket.receive('user_status', { username: 'bob', user_id: 2, status: 'offline' });
    assert.deepEqual(got, ['yo', 'offline']);
  });
});

describe('getToken answers', () => {
  test('null connects without a token; {token, username} claims that username', async () => {
    let answer: string | { token: string; username: string } | null = null;
    const h = harness({ getToken: () => answer });
    h.client.connect();
    await settle();
    FakeSocket.last().open();
    assert.equal(FakeSocket.last().sent.length, 0, 'no register_user without a token');
    assert.equal(h.client.state, 'connected');
    h.client.close();
    answer = { token: token(), username: 'someone_else' };
    h.client.connect();
    await settle();
    const socket = FakeSocket.last();
    socket.open();
    assert.equal(socket.lastSent('register_user').data.username, 'someone_else');
  });

  test('call() sends any event numbered and settles with its reply', async () => {
    const h = harness();
    h.client.connect();
    await settle();
    const socket = FakeSocket.last();
    socket.open();
    const { id, answer } = h.client.call('check_connections');
    assert.equal(socket.lastSent('check_connections').id, id);
    socket.receive('connections_checked', { active: 1, removed: 0 }, id);
    assert.deepEqual(await answer, { active: 1, removed: 0 });
  });
});
