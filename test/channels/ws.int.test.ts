// Channels over /ws against a real server on ephemeral ports: every client event and its
// answer, the pushes (publication, join / leave, unsubscribed), recovery with `since`, and
// subscriptions ending with their connection.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startTestBeacon, type TestBeacon } from '../support/beacon.js';
import { TestClient, within, wsUrl } from '../support/wsClient.js';
import { WAIT_MS, ask, connect, grant, of, published, refused, revoke, settled, subscribed, user } from './support.js';

let t: TestBeacon;
before(async () => {
  t = await startTestBeacon();
});
after(async () => {
  await t.stop();
});

describe('channel events on /ws', () => {
  test('before authentication every channel event is not_authenticated, and changes nothing', async () => {
    const c = await TestClient.open(wsUrl(t.http));
    for (const [event, data] of [
      ['subscribe', { channel: 'room:pre' }],
      ['unsubscribe', { channel: 'room:pre' }],
      ['publish', { channel: 'room:pre', data: 1 }],
      ['channel_presence', { channel: 'room:pre' }],
      ['history', { channel: 'room:pre' }],
    ] as const) {
      await refused(c, event, data, 'not_authenticated');
    }
    await c.close();
  });

  test('subscribe, publish, publication to every subscriber (the sender too), channel_presence, history, unsubscribe', async () => {
    const alice = await user(t, 'ws_alice');
    const bob = await user(t, 'ws_bob');
    const a = await connect(t, alice);
    const b = await connect(t, bob);
    const first = await subscribed(a, 'room:one');
    assert.equal(first.channel, 'room:one');
    assert.equal(first.offset, 0);
    assert.equal(first.recovered, false);
    assert.deepEqual(first.publications, []);
    assert.equal(typeof first.epoch, 'string');
    assert.deepEqual(first.presence, { users: [{ username: 'ws_alice', user_id: alice.userId, connections: 1 }], count: 1 });
    const second = await subscribed(b, 'room:one');
    assert.equal(second.presence.count, 2);
    assert.deepEqual((await within(a.next('join', (d) => d.username === 'ws_bob'), WAIT_MS, 'join')).data, { channel: 'room:one', username: 'ws_bob', user_id: bob.userId });

    assert.equal(await published(b, 'room:one', { text: 'hello' }), 1);
    for (const c of [a, b]) {
      const p = (await within(c.next('publication'), WAIT_MS, 'publication')).data;
      assert.deepEqual({ ...p, ts: 0 }, { channel: 'room:one', offset: 1, epoch: first.epoch, from: { username: 'ws_bob', user_id: bob.userId }, data: { text: 'hello' }, ts: 0 });
      assert.ok(Math.abs(p.ts - Date.now()) < 10_000);
    }
    assert.equal(await published(a, 'room:one', null), 2);

    const presence = await ask(a, 'channel_presence', { channel: 'room:one' });
    assert.deepEqual(presence.data, {
      channel: 'room:one',
      users: [
        { username: 'ws_alice', user_id: alice.userId, connections: 1 },
        { username: 'ws_bob', user_id: bob.userId, connections: 1 },
      ],
      count: 2,
    });
    const all = await ask(a, 'history', { channel: 'room:one' });
    assert.equal(all.event, 'history');
    assert.deepEqual([all.data.channel, all.data.epoch, all.data.offset], ['room:one', first.epoch, 2]);
    assert.deepEqual(all.data.publications.map((p: { offset: number }) => p.offset), [1, 2]);
    const last = await ask(a, 'history', { channel: 'room:one', limit: 1 });
    assert.deepEqual(last.data.publications.map((p: { offset: number }) => p.offset), [2]);
    const after1 = await ask(a, 'history', { channel: 'room:one', since: { offset: 1, epoch: first.epoch } });
    assert.deepEqual(after1.data.publications.map((p: { offset: number }) => p.offset), [2]);
    const foreign = await ask(a, 'history', { channel: 'room:one', since: { offset: 1, epoch: 'other' } });
    assert.deepEqual([foreign.data.offset, foreign.data.publications], [2, []]);

    const bye = await ask(b, 'unsubscribe', { channel: 'room:one' });
    assert.deepEqual([bye.event, bye.data], ['unsubscribed', { channel: 'room:one', reason: 'client' }]);
    await within(a.next('leave', (d) => d.username === 'ws_bob'), WAIT_MS, 'leave');
    await published(a, 'room:one', 'after bob left');
    assert.equal(of(await settled(b), 'publication').length, 2, 'no publication after unsubscribing');
    // Publishing to a `subscribers` channel now needs a subscription again.
    await refused(b, 'publish', { channel: 'room:one', data: 1 }, 'not_subscribed');
    await refused(b, 'channel_presence', { channel: 'room:one' }, 'not_subscribed');
    await refused(b, 'history', { channel: 'room:one' }, 'not_subscribed');
    await Promise.all([a.close(), b.close()]);
  });

  test('recovery: since the last offset seen gives every missed publication, then live ones', async () => {
    const u = await user(t, 'ws_rec');
    const pub = await user(t, 'ws_rec_pub');
    const p = await connect(t, pub);
    await subscribed(p, 'room:rec');
    const c = await connect(t, u);
    const start = await subscribed(c, 'room:rec');
    await published(p, 'room:rec', 'seen');
    await within(c.next('publication'), WAIT_MS, 'seen');
    await c.close();
    for (const n of [2, 3, 4]) assert.equal(await published(p, 'room:rec', `missed ${n}`), n);

    const again = await connect(t, u);
    const back = await subscribed(again, 'room:rec', { offset: 1, epoch: start.epoch });
    assert.equal(back.recovered, true);
    assert.equal(back.offset, 4);
    assert.deepEqual(back.publications.map((x: { offset: number; data: string }) => [x.offset, x.data]), [[2, 'missed 2'], [3, 'missed 3'], [4, 'missed 4']]);
    await published(p, 'room:rec', 'live');
    assert.equal((await within(again.next('publication'), WAIT_MS, 'live')).data.offset, 5);

    // A foreign epoch, or an offset beyond the head: not recovered, the current position instead.
    const other = await connect(t, u);
    for (const since of [{ offset: 1, epoch: 'not-this-one' }, { offset: 99, epoch: start.epoch }]) {
      const lost = await subscribed(other, 'room:rec', since);
      assert.deepEqual([lost.recovered, lost.publications, lost.offset, lost.epoch], [false, [], 5, start.epoch]);
    }
    await Promise.all([p.close(), again.close(), other.close()]);
  });

  test('several connections of one user are one member: join once, leave when the last one goes', async () => {
    const watcher = await connect(t, await user(t, 'ws_watch'));
    await subscribed(watcher, 'room:multi');
    const twin = await user(t, 'ws_twin');
    const one = await connect(t, twin);
    const two = await connect(t, twin);
    await subscribed(one, 'room:multi');
    await subscribed(two, 'room:multi');
    const presence = await ask(watcher, 'channel_presence', { channel: 'room:multi' });
    assert.deepEqual(presence.data.users.find((x: { username: string }) => x.username === 'ws_twin'), { username: 'ws_twin', user_id: twin.userId, connections: 2 });
    await within(watcher.next('join', (d) => d.username === 'ws_twin'), WAIT_MS, 'join');
    await one.close();
    // The close ended that subscription: one connection left.
    const after = await ask(watcher, 'channel_presence', { channel: 'room:multi' });
    assert.equal(after.data.users.find((x: { username: string }) => x.username === 'ws_twin')?.connections, 1);
    await two.close();
    await within(watcher.next('leave', (d) => d.username === 'ws_twin'), WAIT_MS, 'leave');
    assert.equal(of(watcher.frames, 'join').filter((f) => f.data.username === 'ws_twin').length, 1, 'one join for two connections');
    assert.equal(of(watcher.frames, 'leave').filter((f) => f.data.username === 'ws_twin').length, 1);
    await watcher.close();
  });

  test('user: inbox: only its owner subscribes, anyone publishes; no presence there', async () => {
    const owner = await user(t, 'ws_inbox');
    const other = await user(t, 'ws_sender');
    const o = await connect(t, owner);
    const s = await connect(t, other);
    const sub = await subscribed(o, 'user:ws_inbox');
    assert.equal(sub.presence, null);
    await refused(s, 'subscribe', { channel: 'user:ws_inbox' }, 'permission_denied');
    assert.equal(await published(s, 'user:ws_inbox', 'for you'), 1);
    assert.equal((await within(o.next('publication'), WAIT_MS, 'inbox')).data.from.username, 'ws_sender');
    await refused(o, 'channel_presence', { channel: 'user:ws_inbox' }, 'permission_denied');
    await Promise.all([o.close(), s.close()]);
  });

  test('private: members only; removing a member ends the live subscription with permission_revoked', async () => {
    const member = await user(t, 'ws_member');
    const outsider = await user(t, 'ws_outsider');
    const m = await connect(t, member);
    const x = await connect(t, outsider);
    await refused(m, 'subscribe', { channel: 'private:team' }, 'permission_denied');
    await refused(m, 'publish', { channel: 'private:team', data: 1 }, 'permission_denied');
    await grant(t, 'private:team', member);
    await subscribed(m, 'private:team');
    await published(m, 'private:team', 'members only');
    await refused(x, 'subscribe', { channel: 'private:team' }, 'permission_denied');
    await refused(x, 'publish', { channel: 'private:team', data: 1 }, 'permission_denied');

    await revoke(t, 'private:team', member);
    const ended = await within(m.next('unsubscribed'), WAIT_MS, 'unsubscribed');
    assert.deepEqual(ended.data, { channel: 'private:team', reason: 'permission_revoked' });
    assert.equal(ended.id, undefined);
    await refused(m, 'history', { channel: 'private:team' }, 'not_subscribed');
    await refused(m, 'subscribe', { channel: 'private:team' }, 'permission_denied');
    await Promise.all([m.close(), x.close()]);
  });

  test('bad input: invalid names, unknown namespaces, bad shapes; nothing changes', async () => {
    const c = await connect(t, await user(t, 'ws_bad'));
    for (const channel of ['nocolon', 'room:', 'nowhere:x', `room:${'a'.repeat(101)}`, 'room:sp ace', 'room:ü', `${'n'.repeat(40)}:x`]) {
      await refused(c, 'subscribe', { channel }, 'invalid_channel');
      await refused(c, 'publish', { channel, data: 1 }, 'invalid_channel');
    }
    await refused(c, 'subscribe', { channel: 5 }, 'invalid_message');
    await refused(c, 'subscribe', { channel: 'room:x', since: { offset: -1, epoch: 'e' } }, 'invalid_message');
    await refused(c, 'subscribe', { channel: 'room:x', extra: 1 }, 'invalid_message');
    await refused(c, 'history', { channel: 'room:x', limit: 101 }, 'invalid_message');
    await refused(c, 'history', { channel: 'room:x', limit: 0 }, 'invalid_message');
    const debug = await ask(c, 'debug_connection');
    assert.equal(debug.data.state, 'authenticated');
    await c.close();
  });

  test('128 subscriptions per connection, all at once (a reconnect resubscribing is not a flood); the 129th is too_many_subscriptions', async () => {
    const c = await connect(t, await user(t, 'ws_many'));
    await Promise.all(Array.from({ length: 128 }, (_, k) => subscribed(c, `room:many-${k}`)));
    await refused(c, 'subscribe', { channel: 'room:many-128' }, 'too_many_subscriptions');
    await subscribed(c, 'room:many-5');
    await ask(c, 'unsubscribe', { channel: 'room:many-0' });
    await subscribed(c, 'room:many-128');
    assert.equal(of(c.frames, 'response').filter((f) => f.data.code === 'rate_limited').length, 0);
    // Other frames are still under the general limit: a flood of them closes with 4008.
    for (let i = 0; i < 300; i++) c.send('ping_manual');
    assert.equal((await within(c.closed, WAIT_MS, 'flood close')).code, 4008);
  });

  test('a publish over the frame limit closes with 1009, as every oversized frame does', async () => {
    const c = await connect(t, await user(t, 'ws_big'));
    await subscribed(c, 'room:big');
    c.send('publish', { channel: 'room:big', data: 'x'.repeat(70 * 1024) });
    assert.equal((await within(c.closed, WAIT_MS, 'close')).code, 1009);
  });

  test('logout closes the socket and ends its subscriptions (a leave for the others)', async () => {
    const w = await connect(t, await user(t, 'ws_stay'));
    await subscribed(w, 'room:logout');
    const u = await user(t, 'ws_leaver');
    const c = await connect(t, u);
    await subscribed(c, 'room:logout');
    await within(w.next('join', (d) => d.username === 'ws_leaver'), WAIT_MS, 'join');
    assert.equal((await call('POST', `${t.http}/logout`, { token: u.token })).status, 200);
    assert.equal((await within(c.closed, WAIT_MS, 'closed')).code, 4001);
    await within(w.next('leave', (d) => d.username === 'ws_leaver'), WAIT_MS, 'leave');
    await w.close();
  });

  test('metrics: subscriptions, publications, recoveries and history size by namespace, never by channel', async () => {
    const c = await connect(t, await user(t, 'ws_metrics'));
    const start = await subscribed(c, 'room:metrics-one');
    await published(c, 'room:metrics-one', 1);
    await subscribed(c, 'room:metrics-one', { offset: 0, epoch: start.epoch });
    await subscribed(c, 'room:metrics-one', { offset: 0, epoch: 'lost' });
    const text = (await call('GET', `${t.http}/metrics`)).text;
    const value = (line: string): number => Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    assert.ok(value('beacon_channel_subscriptions{namespace="room"}') >= 1, text);
    assert.ok(value('beacon_channel_publications_total{namespace="room"}') >= 1);
    assert.ok(value('beacon_channel_history_publications{namespace="room"}') >= 1);
    assert.ok(value('beacon_channel_recoveries_total{namespace="room",result="recovered"}') >= 1);
    assert.ok(value('beacon_channel_recoveries_total{namespace="room",result="not_recovered"}') >= 1);
    assert.doesNotMatch(text, /metrics-one/, 'no channel name in any label');
    await c.close();
  });
});
