// Token refresh without reconnecting, against a real Beacon with a short TOKEN_TTL_SECONDS
// and a short refresh grace: the client's getToken exchanges the token in use with
// POST /refresh-token (loginTokens), the library swaps it in with register_user on the live
// connection, and no close, no resubscription and no lost publication follow.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loginTokens } from '../../client/src/index.js';
import { startTestBeacon } from '../support/beacon.js';
import { PASSWORD, clientFor, next, record, register } from './support.js';

test('a short TOKEN_TTL_SECONDS with /refresh-token: every refresh on the same connection, every publication live, once', async () => {
  // A grace much shorter than the test: a refresh the library did not swap in would close it (4001).
  const t = await startTestBeacon({ env: { TOKEN_TTL_SECONDS: '3' }, refreshGraceMs: 500 });
  const clients: Array<{ close(): void }> = [];
  try {
    await register(t.http, 'rf_alice');
    await register(t.http, 'rf_bob');
    const alice = clientFor(t.http, { getToken: loginTokens(t.http, { username: 'rf_alice', password: PASSWORD }) });
    const bob = clientFor(t.http, { getToken: loginTokens(t.http, { username: 'rf_bob', password: PASSWORD }) });
    clients.push(alice, bob);
    const closes = record(alice, 'disconnected');
    const expired = record(alice, 'token_expired');
    const refreshed = record(alice, 'token_refreshed');
    const seen = record(alice, 'publication');
    const subscribedEvents = record(alice, 'subscribed');
    const up = Promise.all([next(alice, 'authenticated'), next(bob, 'authenticated')]);
    alice.connect();
    bob.connect();
    await up;
    await Promise.all([alice.subscribe('room:refresh'), bob.subscribe('room:refresh')]);
    for (let round = 1; round <= 3; round++) {
      await next(alice, 'token_refreshed', () => true, 4_000);
      // A round trip on the connection that was just refreshed, then a publication from bob.
      const ping = await alice.request('ping_manual', { t: round });
      assert.equal(ping.t, round);
      assert.equal((await bob.publish('room:refresh', round)).offset, round);
      await next(alice, 'publication', (p) => p.offset === round, 4_000);
    }
    assert.deepEqual(closes, [], 'no close, no reconnect');
    assert.deepEqual(expired, []);
    assert.ok(refreshed.length >= 3 && refreshed.every((r) => !r.reconnected && r.username === 'rf_alice'), JSON.stringify(refreshed));
    assert.deepEqual(seen.map((p) => [p.offset, p.data, p.recovered]), [[1, 1, false], [2, 2, false], [3, 3, false]], 'every publication live, once');
    assert.equal(subscribedEvents.length, 1, 'subscribed once: no resubscription');
  } finally {
    // Also after a failed check: a client left connected would reconnect for ever and keep
    // the test process (and the whole suite) from ending.
    for (const c of clients) c.close();
    await t.stop();
  }
});
