// Subscriptions across reconnects on a fake socket: resubscribed `since` the last position
// seen, recovered publications before live ones, none twice, and a failed recovery said.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Publication } from '../../client/src/index.js';
import { FakeSocket, authenticate, fakeToken, harness, settle } from './fakes.js';

const token = () => fakeToken({ iat: 1_000, exp: 4_000_000_000 });
const pub = (offset: number, epoch = 'e1', channel = 'room:lobby'): Publication => ({ channel, offset, epoch, from: { username: 'bob', user_id: 2 }, data: { n: offset }, ts: offset });
const subscribed = (offset: number, extra: { recovered?: boolean; publications?: Publication[]; epoch?: string } = {}) => ({
  channel: 'room:lobby',
  epoch: extra.epoch ?? 'e1',
  offset,
  recovered: extra.recovered ?? false,
  publications: extra.publications ?? [],
  presence: { users: [], count: 0 },
});

/** A harness subscribed to room:lobby at offset 3, having then seen live 4 and 5. */
async function subscribedAt5() {
  const h = harness({ getToken: token });
  const socket = await authenticate(h);
  const answer = h.client.subscribe('room:lobby');
  await settle();
  socket.receive('subscribed', subscribed(3), socket.lastSent('subscribe').id);
  assert.equal((await answer).recovered, false);
  socket.receive('publication', pub(4));
  socket.receive('publication', pub(5));
  return { h, socket };
}

async function reconnect(h: ReturnType<typeof harness>, socket: FakeSocket): Promise<FakeSocket> {
  socket.serverClose(1006);
  await settle();
  h.clock.advance(h.of('disconnected').at(-1).delayMs);
  await settle();
  const next = FakeSocket.last();
  next.open(h.clock.now());
  next.acceptRegistration();
  await settle();
  return next;
}

const delivered = (h: ReturnType<typeof harness>) => h.of('publication').map((p) => `${p.offset}${p.recovered ? 'r' : ''}`);

describe('subscriptions', () => {
  test('a subscribe waits for authentication, then goes out once', async () => {
    const h = harness({ getToken: token });
    h.client.connect();
    const answer = h.client.subscribe('room:lobby');
    await settle();
    const socket = FakeSocket.last();
    socket.open();
    assert.equal(socket.sent.filter((f) => f.event === 'subscribe').length, 0, 'not before authentication');
    socket.acceptRegistration();
    await settle();
    const frame = socket.lastSent('subscribe');
    assert.deepEqual(frame.data, { channel: 'room:lobby' });
    socket.receive('subscribed', subscribed(0), frame.id);
    assert.deepEqual(await answer, { channel: 'room:lobby', epoch: 'e1', offset: 0, since: null, recovered: false, publications: [], presence: { users: [], count: 0 } });
    assert.equal(socket.sent.filter((f) => f.event === 'subscribe').length, 1);
  });

  test('after a reconnect: resubscribes since the last seen, recovered ones first, each exactly once', async () => {
    const { h, socket } = await subscribedAt5();
    const next = await reconnect(h, socket);
    const again = next.lastSent('subscribe');
    assert.deepEqual(again.data, { channel: 'room:lobby', since: { offset: 5, epoch: 'e1' } });
    // 5 again (already seen), 6 and 7 recovered; then 7 live again (seen), then 8 live.
    next.receive('subscribed', subscribed(7, { recovered: true, publications: [pub(5), pub(6), pub(7)] }), again.id);
    next.receive('publication', pub(7));
    next.receive('publication', pub(8));
    assert.deepEqual(delivered(h), ['4', '5', '6r', '7r', '8']);
    const resub = h.of('subscribed').at(-1);
    assert.deepEqual([resub.since, resub.recovered], [{ offset: 5, epoch: 'e1' }, true]);
    assert.deepEqual(resub.publications.map((p: Publication) => p.offset), [6, 7], 'only the unseen ones');
    const events = h.events.map((e) => e.name).filter((n) => n === 'subscribed' || n === 'publication');
    assert.deepEqual(events.slice(-4), ['subscribed', 'publication', 'publication', 'publication']);
    assert.deepEqual(h.client.positionOf('room:lobby'), { offset: 8, epoch: 'e1' });
  });

  test('a live duplicate is dropped; a new epoch is taken as it comes', async () => {
    const { h, socket } = await subscribedAt5();
    socket.receive('publication', pub(5));
    socket.receive('publication', pub(1, 'e2'));
    assert.deepEqual(delivered(h), ['4', '5', '1']);
  });

  test('recovered: false is told to the application, and the position restarts at the new head', async () => {
    const { h, socket } = await subscribedAt5();
    const next = await reconnect(h, socket);
    next.receive('subscribed', subscribed(2, { epoch: 'e9', recovered: false }), next.lastSent('subscribe').id);
    const lost = h.of('subscribed').at(-1);
    assert.deepEqual([lost.since, lost.recovered, lost.epoch], [{ offset: 5, epoch: 'e1' }, false, 'e9']);
    next.receive('publication', pub(3, 'e9'));
    assert.deepEqual(delivered(h), ['4', '5', '3']);
    assert.deepEqual(h.client.positionOf('room:lobby'), { offset: 3, epoch: 'e9' });
  });

  test('a resubscription the server refuses ends the subscription, said as unsubscribed', async () => {
    const { h, socket } = await subscribedAt5();
    const next = await reconnect(h, socket);
    next.receive('response', { ok: false, code: 'permission_denied', message: 'Permission denied' }, next.lastSent('subscribe').id);
    await settle();
    assert.deepEqual(h.of('unsubscribed'), [{ channel: 'room:lobby', reason: 'permission_denied' }]);
    assert.equal(h.client.positionOf('room:lobby'), undefined);
  });

  test('unsubscribe and a server-ended subscription are not resubscribed', async () => {
    const { h, socket } = await subscribedAt5();
    const leaving = h.client.unsubscribe('room:lobby');
    socket.receive('unsubscribed', { channel: 'room:lobby', reason: 'client' }, socket.lastSent('unsubscribe').id);
    assert.deepEqual(await leaving, { channel: 'room:lobby', reason: 'client' });
    const other = h.client.subscribe('room:other');
    await settle();
    socket.receive('subscribed', { ...subscribed(0), channel: 'room:other' }, socket.lastSent('subscribe').id);
    await other;
    socket.receive('unsubscribed', { channel: 'room:other', reason: 'permission_revoked' });
    assert.deepEqual(h.of('unsubscribed'), [{ channel: 'room:other', reason: 'permission_revoked' }]);
    const next = await reconnect(h, socket);
    assert.equal(next.sent.filter((f) => f.event === 'subscribe').length, 0);
  });

  test('a refused first subscribe rejects and leaves nothing to resubscribe', async () => {
    const h = harness({ getToken: token });
    const socket = await authenticate(h);
    const answer = h.client.subscribe('nope:x');
    await settle();
    socket.receive('response', { ok: false, code: 'invalid_channel', message: 'Invalid channel' }, socket.lastSent('subscribe').id);
    await assert.rejects(answer, { code: 'invalid_channel' });
    const next = await reconnect(h, socket);
    assert.equal(next.sent.filter((f) => f.event === 'subscribe').length, 0);
  });
});

test('a second subscribe() while the first is out waits for it: one frame, one answer', async () => {
  const h = harness({ getToken: token });
  const socket = await authenticate(h);
  const one = h.client.subscribe('room:lobby');
  const two = h.client.subscribe('room:lobby');
  await settle();
  const frames = socket.sent.filter((f) => f.event === 'subscribe');
  assert.equal(frames.length, 1);
  socket.receive('subscribed', subscribed(0), frames[0]?.id);
  assert.deepEqual(await one, await two);
});

test('subscribe with since recovers from a position kept elsewhere; since: null starts afresh', async () => {
  const h = harness({ getToken: token });
  const socket = await authenticate(h);
  void h.client.subscribe('room:lobby', { since: { offset: 9, epoch: 'e7' } });
  await settle();
  assert.deepEqual(socket.lastSent('subscribe').data, { channel: 'room:lobby', since: { offset: 9, epoch: 'e7' } });
  socket.receive('subscribed', subscribed(9, { epoch: 'e7', recovered: true }), socket.lastSent('subscribe').id);
  await settle();
  void h.client.subscribe('room:lobby', { since: null });
  await settle();
  assert.deepEqual(socket.lastSent('subscribe').data, { channel: 'room:lobby' });
});

test('a channel_presence push (a join/leave storm) reaches the application; an answer with an id does not', async () => {
  const h = harness({ getToken: token });
  const socket = await authenticate(h);
  const got: number[] = [];
  h.client.on('channel_presence', (d) => got.push(d.count));
  socket.receive('channel_presence', { channel: 'room:lobby', users: [], count: 17 });
  const asked = h.client.channelPresence('room:lobby');
  socket.receive('channel_presence', { channel: 'room:lobby', users: [], count: 3 }, socket.lastSent('channel_presence').id);
  assert.equal((await asked).count, 3);
  assert.deepEqual(got, [17]);
});
