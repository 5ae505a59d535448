// The client's channels against a real Beacon: subscribe, publish, history and presence as
// promises; a server restart in the middle, with publications made while the client was
// away recovered exactly (each once, in order, before live ones); and subscriptions that
// outlive token refreshes under a short TOKEN_TTL_SECONDS.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BeaconClient, Publication } from '../../client/src/index.js';
import { startTestBeacon, tempDir } from '../support/beacon.js';
import { clientFor, forwarder, login, next, record, register } from './support.js';

async function authenticated(base: string, username: string, extra: Parameters<typeof clientFor>[1] = {}): Promise<BeaconClient> {
  await register(base, username);
  const client = clientFor(base, { getToken: () => login(base, username), ...extra });
  const up = next(client, 'authenticated');
  client.connect();
  await up;
  return client;
}

const offsets = (pubs: Array<Publication & { recovered: boolean }>) => pubs.map((p) => `${p.offset}${p.recovered ? 'r' : ''}`);

describe('client channels', () => {
  test('subscribe, publish, history and presence resolve with their replies; refusals reject typed', async () => {
    const t = await startTestBeacon();
    try {
      const alice = await authenticated(t.http, 'ch_alice');
      const bob = await authenticated(t.http, 'ch_bob');
      const seen = record(alice, 'publication');
      const sub = await alice.subscribe('room:cl');
      assert.deepEqual([sub.channel, sub.since, sub.recovered], ['room:cl', null, false]);
      await bob.subscribe('room:cl');
      const heard = next(alice, 'publication', (p) => p.offset === 1);
      assert.deepEqual(await bob.publish('room:cl', { n: 1 }), { channel: 'room:cl', offset: 1 });
      assert.deepEqual((await heard).data, { n: 1 });
      const history = await alice.history('room:cl', { limit: 10 });
      assert.deepEqual(history.publications.map((p) => p.offset), [1]);
      const presence = await alice.channelPresence('room:cl');
      assert.deepEqual(presence.users.map((u) => u.username).sort(), ['ch_alice', 'ch_bob']);
      await assert.rejects(alice.subscribe('nowhere:x'), { name: 'BeaconError', code: 'invalid_channel' });
      await assert.rejects(alice.history('room:other'), { code: 'not_subscribed' });
      assert.deepEqual(await alice.unsubscribe('room:cl'), { channel: 'room:cl', reason: 'client' });
      assert.deepEqual(offsets(seen), ['1']);
      alice.close();
      bob.close();
    } finally {
      await t.stop();
    }
  });

  test('server restart in the middle: reconnects, resubscribes, recovers exactly what was published meanwhile', async () => {
    const dir = tempDir();
    let beacon = await startTestBeacon({ dir });
    const front = await forwarder(() => beacon.beacon.httpPort ?? 0);
    const base = `http://127.0.0.1:${front.port}`;
    const alice = await authenticated(base, 'rs_alice');
    try {
      const seen = record(alice, 'publication');
      const resubscribed = record(alice, 'subscribed');
      await alice.subscribe('room:restart');
      const first = next(alice, 'publication', (p) => p.offset === 1);
      await alice.publish('room:restart', 'one');
      await first;

      // The server goes down; while the client cannot get back, the restarted server
      // takes two publications from bob (straight, not through the front).
      front.pause(true);
      const down = next(alice, 'disconnected');
      await beacon.stop();
      assert.equal((await down).code, 1001);
      beacon = await startTestBeacon({ dir });
      const bob = await authenticated(beacon.http, 'rs_bob');
      await bob.subscribe('room:restart');
      await bob.publish('room:restart', 'two');
      await bob.publish('room:restart', 'three');

      const back = next(alice, 'subscribed', (s) => s.since !== null, 15_000);
      front.pause(false);
      const answer = await back;
      assert.deepEqual([answer.since?.offset, answer.recovered, answer.offset], [1, true, 3]);
      const live = next(alice, 'publication', (p) => p.offset === 4);
      await bob.publish('room:restart', 'four');
      await live;
      assert.deepEqual(offsets(seen), ['1', '2r', '3r', '4'], 'each once, recovered before live');
      assert.deepEqual(seen.map((p) => p.data), ['one', 'two', 'three', 'four']);
      assert.equal(resubscribed.length, 2);
      bob.close();
    } finally {
      alice.close();
      await beacon.stop();
      await front.close();
    }
  });

  test('a short TOKEN_TTL_SECONDS: refreshes keep the subscription, nothing lost or repeated', async () => {
    const t = await startTestBeacon({ env: { TOKEN_TTL_SECONDS: '3' } });
    try {
      const alice = await authenticated(t.http, 'tt_alice');
      const expired = record(alice, 'token_expired');
      const seen = record(alice, 'publication');
      await alice.subscribe('room:ttl');
      // Alice publishes right after each refresh: every publication must reach her once,
      // live or recovered across the reconnect the next refresh may cause.
      for (let round = 1; round <= 3; round++) {
        await next(alice, 'token_refreshed', () => true, 4_000);
        assert.deepEqual(await alice.publish('room:ttl', round), { channel: 'room:ttl', offset: round });
      }
      if (seen.length < 3) await next(alice, 'publication', (p) => p.offset === 3, 4_000);
      assert.deepEqual(expired, []);
      assert.deepEqual(seen.map((p) => p.offset), [1, 2, 3], 'every publication once, in order');
      assert.deepEqual(seen.map((p) => p.data), [1, 2, 3]);
      alice.close();
    } finally {
      await t.stop();
    }
  });
});
