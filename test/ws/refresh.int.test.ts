// Refreshing a token under live /ws connections (a real Beacon with a short refresh grace):
// a connection that presents the new token with register_user within the grace stays open
// with its subscriptions; one that does not is closed with 4001 when the grace ends, and
// not before.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startTestBeacon, type TestBeacon } from '../support/beacon.js';
import { within } from '../support/wsClient.js';
import { WAIT_MS, ask, connect, of, published, settled, subscribed, user } from '../channels/support.js';

const GRACE_MS = 1_500;

describe('/ws across POST /refresh-token', () => {
  let t: TestBeacon;
  before(async () => {
    t = await startTestBeacon({ refreshGraceMs: GRACE_MS });
  });
  after(() => t.stop());

  test('the socket that swaps to the new token keeps its subscription; the one that does not gets 4001 after the grace', async () => {
    const amy = await user(t, 'wsref_amy');
    const bo = await user(t, 'wsref_bo');
    const swaps = await connect(t, amy);
    const stays = await connect(t, amy);
    const publisher = await connect(t, bo);
    await subscribed(swaps, 'room:refresh');
    await subscribed(publisher, 'room:refresh');

    const res = await call('POST', `${t.http}/refresh-token`, { token: amy.token });
    assert.equal(res.status, 200, res.text);
    const refreshedAt = Date.now();
    const fresh = res.json.token as string;

    const swapped = await ask(swaps, 'register_user', { token: fresh, username: 'wsref_amy' });
    assert.deepEqual(swapped.data, { ok: true, code: 'token_refreshed', message: 'Token refreshed', username: 'wsref_amy', user_id: amy.userId });
    // Both still open right after the refresh: nothing closed at once.
    assert.equal((await ask(stays, 'ping_manual')).event, 'pong_manual');

    const closed = await within(stays.closed, GRACE_MS + WAIT_MS, 'close after the grace');
    assert.equal(closed.code, 4001);
    assert.ok(Date.now() - refreshedAt >= GRACE_MS - 200, `closed after ${Date.now() - refreshedAt} ms, the grace is ${GRACE_MS}`);
    assert.equal(of(stays.frames, 'response').at(-1)?.data.code, 'token_revoked');
    assert.deepEqual(of(stays.frames, 'disconnect').at(-1)?.data, { code: 4001, reason: 'Token has been revoked!' });

    // After the grace: the swapped socket is open, authenticated with the new token, still subscribed.
    const offset = await published(publisher, 'room:refresh', { after: 'refresh' });
    const frames = await settled(swaps);
    assert.deepEqual(
      of(frames, 'publication', 'room:refresh').map((f) => [f.data.offset, f.data.data]),
      [[offset, { after: 'refresh' }]],
    );
    const debug = await ask(swaps, 'debug_connection');
    assert.equal(debug.data.state, 'authenticated');
    assert.equal(debug.data.token_expires_at, JSON.parse(Buffer.from(fresh.split('.')[1] ?? '', 'base64url').toString()).exp * 1000);
    assert.equal(of(swaps.frames, 'disconnect').length, 0);
    for (const c of [swaps, publisher]) await c.close();
  });

  test('a refresh with a token of another user is refused and closes the connection', async () => {
    const cy = await user(t, 'wsref_cy');
    const di = await user(t, 'wsref_di');
    const c = await connect(t, cy);
    const res = await call('POST', `${t.http}/refresh-token`, { token: di.token });
    assert.equal(res.status, 200);
    const reply = await ask(c, 'register_user', { token: res.json.token, username: 'wsref_di' });
    assert.equal(reply.data.code, 'username_mismatch');
    assert.equal((await within(c.closed, WAIT_MS, 'close')).code, 4003);
  });
});
