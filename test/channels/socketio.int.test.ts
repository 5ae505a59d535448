// Channels over Socket.IO with socket.io-client v4 (no one here wrote it), beside a /ws
// client on the same real server: the same events with acknowledgements carrying the direct
// reply, pushes as events, recovery, refusals, and removal of a member; and Debian's
// python3-socketio for the same events.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestBeacon, type TestBeacon } from '../support/beacon.js';
import { within } from '../support/wsClient.js';
import { PythonClient, SioClient, WAIT_MS, findPython } from '../migration/clients.js';
import { connect, grant, published, revoke, subscribed, user } from './support.js';

let t: TestBeacon;
before(async () => {
  t = await startTestBeacon();
});
after(async () => {
  await t.stop();
});

const wait = <T>(p: Promise<T>, what: string): Promise<T> => within(p, WAIT_MS, what);

for (const { label, transports } of [
  { label: 'polling with upgrade', transports: undefined },
  { label: 'websocket only', transports: ['websocket' as const] },
]) {
  describe(`channels over socket.io-client, ${label}`, () => {
    const tag = transports === undefined ? 'poll' : 'wso';

    test('acks carry subscribed, published, channel_presence, history and unsubscribed; pushes are events', async () => {
      const me = await user(t, `sio_ch_${tag}`);
      const peer = await user(t, `sio_peer_${tag}`);
      const sio = await wait(SioClient.connect(t.http, { auth: { token: me.token }, ...(transports === undefined ? {} : { transports }) }), 'connect');
      const channel = `room:sio-${tag}`;
      const sub = await wait(sio.call('subscribe', { channel }), 'subscribe ack');
      assert.deepEqual({ ...sub, epoch: '' }, {
        channel,
        epoch: '',
        offset: 0,
        recovered: false,
        publications: [],
        presence: { users: [{ username: me.name, user_id: me.userId, connections: 1 }], count: 1 },
      });

      // A /ws peer on the same channel: a join, and publications both ways.
      const ws = await connect(t, peer);
      await subscribed(ws, channel);
      assert.equal((await wait(sio.next('join', (d) => d.username === peer.name), 'join')).data.channel, channel);
      assert.equal(await published(ws, channel, { from: 'ws' }), 1);
      const live = await wait(sio.next('publication'), 'publication');
      assert.deepEqual([live.data.offset, live.data.epoch, live.data.data, live.data.from], [1, sub.epoch, { from: 'ws' }, { username: peer.name, user_id: peer.userId }]);
      assert.deepEqual(await wait(sio.call('publish', { channel, data: 'from sio' }), 'publish ack'), { channel, offset: 2 });
      assert.equal((await wait(ws.next('publication', (d) => d.offset === 2), 'ws gets it')).data.data, 'from sio');
      await wait(sio.next('publication', (d) => d.offset === 2), 'the sender gets its own');

      const presence = await wait(sio.call('channel_presence', { channel }), 'presence ack');
      assert.equal(presence.count, 2);
      const history = await wait(sio.call('history', { channel, limit: 5 }), 'history ack');
      assert.deepEqual([history.offset, history.publications.map((p: { offset: number }) => p.offset)], [2, [1, 2]]);
      // Without an ack the answer is an event, as on /ws.
      sio.emit('history', { channel, limit: 1 });
      assert.deepEqual((await wait(sio.next('history'), 'history event')).data.publications.map((p: { offset: number }) => p.offset), [2]);

      assert.deepEqual(await wait(sio.call('unsubscribe', { channel }), 'unsubscribe ack'), { channel, reason: 'client' });
      await wait(ws.next('leave', (d) => d.username === me.name), 'leave');
      assert.equal((await wait(sio.call('publish', { channel, data: 1 }), 'refused publish')).code, 'not_subscribed');
      const refused = await wait(sio.call('subscribe', { channel: 'nowhere:x' }), 'refused subscribe');
      assert.deepEqual([refused.ok, refused.code], [false, 'invalid_channel']);

      // Recovery on a new socket, from the last position seen.
      sio.close();
      await published(ws, channel, 'missed');
      const back = await wait(SioClient.connect(t.http, { auth: { token: me.token }, ...(transports === undefined ? {} : { transports }) }), 'reconnect');
      const recovered = await wait(back.call('subscribe', { channel, since: { offset: 2, epoch: sub.epoch } }), 'resubscribe');
      assert.deepEqual([recovered.recovered, recovered.publications.map((p: { data: unknown }) => p.data)], [true, ['missed']]);
      back.close();
      await ws.close();
    });

    test('not_authenticated before register_user; a removed member hears unsubscribed permission_revoked', async () => {
      const me = await user(t, `sio_mem_${tag}`);
      const sio = await wait(SioClient.connect(t.http, transports === undefined ? {} : { transports }), 'connect');
      assert.equal((await wait(sio.call('subscribe', { channel: 'room:x' }), 'pre-auth')).code, 'not_authenticated');
      assert.equal((await wait(sio.call('register_user', { token: me.token, username: me.name }), 'register')).ok, true);
      const channel = `private:sio-${tag}`;
      assert.equal((await wait(sio.call('subscribe', { channel }), 'not a member')).code, 'permission_denied');
      await grant(t, channel, me);
      assert.equal((await wait(sio.call('subscribe', { channel }), 'member')).channel, channel);
      await revoke(t, channel, me);
      assert.deepEqual((await wait(sio.next('unsubscribed'), 'ended')).data, { channel, reason: 'permission_revoked' });
      sio.close();
    });
  });
}

describe('channels over python3-socketio', () => {
  const python = findPython();
  test('subscribe, publish and history with acks; publications and join as events', { skip: python === undefined ? 'no python3 with socketio and websocket modules' : false }, async () => {
    const me = await user(t, 'py_ch');
    const peer = await user(t, 'py_peer');
    const py = PythonClient.start(python as string, t.http);
    try {
      await wait(py.next('connected'), `python connect (${py.errors})`);
      assert.equal((await wait(py.call('subscribe', { channel: 'room:py' }), 'pre-auth')).code, 'not_authenticated');
      assert.equal((await wait(py.call('register_user', { token: me.token, username: me.name }), 'register')).ok, true);
      const sub = await wait(py.call('subscribe', { channel: 'room:py' }), 'subscribe');
      assert.deepEqual([sub.channel, sub.offset, sub.recovered], ['room:py', 0, false]);
      const ws = await connect(t, peer);
      await subscribed(ws, 'room:py');
      await wait(py.nextEvent('join', (d) => d.username === peer.name), 'join');
      await published(ws, 'room:py', { hello: 'python' });
      const live = await wait(py.nextEvent('publication'), 'publication');
      assert.deepEqual([live.data.offset, live.data.data], [1, { hello: 'python' }]);
      assert.deepEqual(await wait(py.call('publish', { channel: 'room:py', data: 'from python' }), 'publish'), { channel: 'room:py', offset: 2 });
      const history = await wait(py.call('history', { channel: 'room:py' }), 'history');
      assert.deepEqual(history.publications.map((p: { data: unknown }) => p.data), [{ hello: 'python' }, 'from python']);
      await ws.close();
    } finally {
      py.kill();
    }
  });
});
