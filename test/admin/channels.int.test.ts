// The admin API's channel routes against a real server with channels wired in: publish as
// the server (from null, audited), the live channel list, presence and history, channels
// in the connections list, and memberships whose removal ends a live subscription.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fingerprintOf } from '../../src/admin/key.js';
import { type TestBeacon } from '../support/beacon.js';
import { within, type Frame, type TestClient } from '../support/wsClient.js';
import { ADMIN_KEY, admin, startAdminBeacon, wsUser } from './support.js';

const WAIT = 10_000;
let t: TestBeacon;
before(async () => {
  t = await startAdminBeacon();
});
after(async () => {
  await t.stop();
});

const ask = (c: TestClient, event: string, data?: unknown): Promise<Frame> => within(c.request(event, data), WAIT, `${event} reply`);

describe('admin channel routes', () => {
  test('publish as the server: subscribers get from null; the list, presence, history and connections show the channel; audited', async () => {
    const a = await wsUser(t.http, 'ch_alice');
    const sub = await ask(a.client, 'subscribe', { channel: 'room:adminpub' });
    assert.equal(sub.event, 'subscribed', JSON.stringify(sub));

    const res = await admin('POST', `${t.http}/admin/publish`, { body: { channel: 'room:adminpub', data: { notice: 'maintenance' } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.channel, 'room:adminpub');
    assert.equal(typeof res.json.offset, 'number');
    const pub = await within(a.client.next('publication', (d) => d.channel === 'room:adminpub'), WAIT, 'publication');
    assert.equal(pub.data.from, null);
    assert.deepEqual(pub.data.data, { notice: 'maintenance' });
    assert.equal(pub.data.offset, res.json.offset);

    const list = await admin('GET', `${t.http}/admin/channels`);
    assert.deepEqual(list.json.channels.find((c: { channel: string }) => c.channel === 'room:adminpub'), { channel: 'room:adminpub', subscribers: 1, users: 1 });
    const presence = await admin('GET', `${t.http}/admin/channels/room:adminpub/presence`);
    assert.equal(presence.status, 200, presence.text);
    assert.equal(presence.json.channel, 'room:adminpub');
    assert.equal(presence.json.count, 1);
    assert.equal(presence.json.users[0].username, 'ch_alice');
    const history = await admin('GET', `${t.http}/admin/channels/${encodeURIComponent('room:adminpub')}/history?limit=5`);
    assert.equal(history.status, 200, history.text);
    assert.equal(history.json.offset, res.json.offset);
    assert.deepEqual(history.json.publications.at(-1).data, { notice: 'maintenance' });
    const conns = await admin('GET', `${t.http}/admin/connections?user=ch_alice`);
    assert.deepEqual(conns.json.connections[0].channels, ['room:adminpub']);

    const events = (await admin('GET', `${t.http}/admin/events?limit=1000`)).json.events;
    const audit = events.find((e: { type: string; data: { channel?: string } }) => e.type === 'AdminPublished' && e.data.channel === 'room:adminpub');
    assert.deepEqual(audit.data, { channel: 'room:adminpub', offset: res.json.offset, bytes: 24, data: { notice: 'maintenance' }, by: { actor: 'admin', fingerprint: fingerprintOf(ADMIN_KEY) }, address: '127.0.0.1' });
    await a.client.close();
  });

  test('unknown channels are 404 unknown_channel on every channel route; bodies are strict', async () => {
    for (const [method, path, body] of [
      ['POST', '/admin/publish', { channel: 'nons:x', data: 1 }],
      ['GET', '/admin/channels/nons:x/presence', undefined],
      ['GET', '/admin/channels/nons:x/history', undefined],
    ] as const) {
      const res = await admin(method, `${t.http}${path}`, body === undefined ? {} : { body });
      assert.equal(res.status, 404, path);
      assert.equal(res.json.error, 'unknown_channel');
    }
    assert.equal((await admin('POST', `${t.http}/admin/publish`, { body: { channel: 'room:x' } })).status, 400);
    assert.equal((await admin('POST', `${t.http}/admin/publish`, { body: { channel: 'room:x', data: 1, extra: 2 } })).status, 400);
    assert.equal((await admin('GET', `${t.http}/admin/channels/room:x/history?limit=0`)).status, 400);
    assert.equal((await admin('GET', `${t.http}/admin/channels`, { key: 'wrong' })).status, 401);
  });

  test('grant lets a user subscribe to a members channel; removal ends the live subscription', async () => {
    const m = await wsUser(t.http, 'ch_member');
    const refused = await ask(m.client, 'subscribe', { channel: 'private:crew' });
    assert.equal(refused.data.code, 'permission_denied');
    assert.equal((await admin('PUT', `${t.http}/admin/channels/private:crew/members/ch_member`)).status, 200);
    const sub = await ask(m.client, 'subscribe', { channel: 'private:crew' });
    assert.equal(sub.event, 'subscribed', JSON.stringify(sub));
    assert.equal((await admin('DELETE', `${t.http}/admin/channels/private:crew/members/ch_member`)).status, 200);
    const ended = await within(m.client.next('unsubscribed'), WAIT, 'unsubscribed');
    assert.deepEqual(ended.data, { channel: 'private:crew', reason: 'permission_revoked' });
    await m.client.close();
  });

  test('disable ends the user\'s subscriptions (unsubscribed, account_disabled), then the connection (4006)', async () => {
    const d = await wsUser(t.http, 'ch_disabled');
    await ask(d.client, 'subscribe', { channel: 'room:dis' });
    await admin('POST', `${t.http}/admin/users/ch_disabled/disable`);
    const ended = await within(d.client.next('unsubscribed'), WAIT, 'unsubscribed');
    assert.deepEqual(ended.data, { channel: 'room:dis', reason: 'account_disabled' });
    assert.equal((await within(d.client.closed, WAIT, 'closed')).code, 4006);
    const order = d.client.frames.map((f) => f.event);
    assert.ok(order.indexOf('unsubscribed') < order.indexOf('disconnect'), order.join(' '));
    const list = await admin('GET', `${t.http}/admin/channels`);
    assert.equal(list.json.channels.find((c: { channel: string }) => c.channel === 'room:dis'), undefined);
  });
});
