// The client against the admin API of a real Beacon: a kick (4005) is come back from after
// the backoff delay with the same token and the subscriptions recovered; a revocation (4001)
// and a disabled account (4006) are final, surfaced to the application, and not retried.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestBeacon } from '../support/beacon.js';
import { admin, startAdminBeacon } from '../admin/support.js';
import { clientFor, login, next, record, register } from './support.js';

describe('client and the admin API', () => {
  let t: TestBeacon;
  before(async () => {
    t = await startAdminBeacon();
  });
  after(() => t.stop());

  test('kicked (4005): back after the delay with the same token, the subscription recovered', async () => {
    await register(t.http, 'kk_kicked');
    let logins = 0;
    const client = clientFor(t.http, {
      getToken: () => {
        logins += 1;
        return login(t.http, 'kk_kicked');
      },
    });
    const up = next(client, 'authenticated');
    client.connect();
    await up;
    await client.subscribe('room:kick');
    const seen = record(client, 'publication');
    const closed = next(client, 'disconnected');
    assert.equal((await admin('POST', `${t.http}/admin/users/kk_kicked/disconnect`, { body: { reason: 'test' } })).status, 200);
    const d = await closed;
    assert.deepEqual([d.code, d.meaning, d.reconnect, typeof d.delayMs], [4005, 'disconnected by an administrator', true, 'number']);
    // Published while the client is away; recovered once it is back.
    assert.equal((await admin('POST', `${t.http}/admin/publish`, { body: { channel: 'room:kick', data: 'while away' } })).status, 200);
    const back = await next(client, 'subscribed', (s) => s.since !== null, 10_000);
    assert.equal(back.recovered, true);
    assert.equal(logins, 1, 'the token stayed valid: no new login');
    assert.deepEqual(seen.map((p) => [p.data, p.recovered]), [['while away', true]]);
    client.close();
  });

  for (const [name, action, code] of [
    ['kk_revoked', 'revoke', 4001],
    ['kk_disabled', 'disable', 4006],
  ] as const) {
    test(`${action} (${code}): final, and no reconnect`, async () => {
      await register(t.http, name);
      const client = clientFor(t.http, { getToken: () => login(t.http, name) });
      const connecting = record(client, 'connecting');
      const up = next(client, 'authenticated');
      client.connect();
      await up;
      const closed = next(client, 'disconnected');
      assert.equal((await admin('POST', `${t.http}/admin/users/${name}/${action}`)).status, 200);
      const d = await closed;
      assert.deepEqual([d.code, d.reconnect, d.delayMs], [code, false, null]);
      // A request on another connection is time enough for any (50 ms) reconnect to have started.
      const probe = clientFor(t.http);
      const probeUp = next(probe, 'connected');
      probe.connect();
      await probeUp;
      await probe.request('ping_manual', {});
      probe.close();
      assert.equal(connecting.length, 1);
      assert.equal(client.state, 'disconnected');
      assert.equal(client.active, false, 'no reconnect scheduled at all');
    });
  }
});
