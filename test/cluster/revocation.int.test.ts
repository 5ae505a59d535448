// Revocation across three in-process nodes: logout, a new login, admin revoke, disable and
// a removed membership on node A end the affected sockets and subscriptions on B and C
// within 1 s (p99 over 200 revocations printed as a diagnostic); and a node whose LISTEN
// connection was killed still applies a revocation, from its catch-up.

import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import type { PostgresLogStats } from '../../src/store/postgres/postgresLog.js';
import { call } from '../support/beacon.js';
import { admin, clusterSkip, killListeners, percentile, startCluster, type Cluster, type ClusterNode } from '../support/cluster.js';
import { connect, login, subscribed, user, WAIT_MS } from '../support/clusterClients.js';
import { within, type Closed, type TestClient } from '../support/wsClient.js';

const REVOCATIONS = 200;
const CLOSE_WITHIN_MS = 1_000;

/** The close of a socket, with the time it arrived (performance.now()). */
const timedClose = (client: TestClient): Promise<Closed & { at: number }> => client.closed.then((c) => ({ ...c, at: performance.now() }));

describe('cluster revocation', { skip: clusterSkip, timeout: 120_000 }, () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  before(async () => {
    cluster = await startCluster({ nodes: 3 });
    [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  });
  after(() => cluster?.dispose());

  /** Sockets of one token on B and C, then `revoke` on A: both closed with `code` within 1 s. */
  async function closesElsewhere(token: string, code: number, revoke: () => Promise<void>): Promise<number> {
    const sockets = [await connect(b, token), await connect(c, token)];
    const closes = sockets.map(timedClose);
    const started = performance.now();
    await revoke();
    const done = await within(Promise.all(closes), CLOSE_WITHIN_MS * 3, 'closes on B and C');
    for (const [i, closed] of done.entries()) {
      assert.equal(closed.code, code, `socket on ${i === 0 ? 'B' : 'C'}: close code`);
      assert.ok(closed.at - started <= CLOSE_WITHIN_MS, `closed on ${i === 0 ? 'B' : 'C'} after ${Math.round(closed.at - started)} ms (limit ${CLOSE_WITHIN_MS})`);
    }
    return Math.max(...done.map((d) => d.at - started));
  }

  test('logout, new login, admin revoke and disable on A close the sockets on B and C', async () => {
    const u = await user(a, 'rv_kinds');
    await closesElsewhere(u.token, 4001, async () => assert.equal((await call('POST', `${a.http}/logout`, { token: u.token })).status, 200));
    const t2 = await login(b, 'rv_kinds');
    await closesElsewhere(t2, 4004, async () => void (await login(a, 'rv_kinds')));
    const t3 = await login(c, 'rv_kinds');
    await closesElsewhere(t3, 4001, async () => assert.equal((await admin('POST', `${a.http}/admin/users/rv_kinds/revoke`)).status, 200));
    const t4 = await login(a, 'rv_kinds');
    await closesElsewhere(t4, 4006, async () => assert.equal((await admin('POST', `${a.http}/admin/users/rv_kinds/disable`)).status, 200));
    const refused = await call('POST', `${b.http}/login-token`, { body: { username: 'rv_kinds', password: 'correct horse battery' } });
    assert.equal(refused.status, 403, 'a disabled account logs in on no node');
    assert.equal(refused.json.error, 'account_disabled');
  });

  test('a membership removed on A ends the subscriptions on B and C', async () => {
    const u = await user(a, 'rv_member');
    const grant = await admin('PUT', `${a.http}/admin/channels/private:club/members/rv_member`);
    assert.ok(grant.status === 200 || grant.status === 201 || grant.status === 204, `grant: ${grant.status} ${grant.text}`);
    const sockets = [await connect(b, u.token), await connect(c, u.token)];
    for (const s of sockets) await subscribed(s, 'private:club');
    const ended = sockets.map((s) => within(s.next('unsubscribed', (d) => d.channel === 'private:club'), WAIT_MS, 'unsubscribed').then((f) => ({ f, at: performance.now() })));
    const started = performance.now();
    const removed = await admin('DELETE', `${a.http}/admin/channels/private:club/members/rv_member`);
    assert.ok(removed.status === 200 || removed.status === 204, `remove: ${removed.status} ${removed.text}`);
    for (const { f, at } of await Promise.all(ended)) {
      assert.equal(f.data.reason, 'permission_revoked');
      assert.ok(at - started <= CLOSE_WITHIN_MS, `unsubscribed after ${Math.round(at - started)} ms`);
    }
    await Promise.all(sockets.map((s) => s.close()));
  });

  test(`${REVOCATIONS} logouts on A close the sockets on B and C, each within 1 s`, async (t) => {
    await user(a, 'rv_many');
    const samples: number[] = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const token = await login(a, 'rv_many');
      samples.push(await closesElsewhere(token, 4001, async () => assert.equal((await call('POST', `${a.http}/logout`, { token })).status, 200)));
    }
    const p50 = percentile(samples, 50);
    const p99 = percentile(samples, 99);
    t.diagnostic(`revocation to close on the other nodes over ${REVOCATIONS}: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms`);
    assert.equal(samples.length, REVOCATIONS);
    assert.ok(Math.max(...samples) <= CLOSE_WITHIN_MS);
  });

  test('a node that missed the notification (LISTEN connection killed) applies the revocation after its catch-up', async () => {
    const u = await user(a, 'rv_missed');
    const sockets = [await connect(b, u.token), await connect(c, u.token)];
    const closes = sockets.map(timedClose);
    const drops = (node: ClusterNode): number => (node.beacon?.store as unknown as { stats(): PostgresLogStats }).stats().listenDrops;
    const before = [drops(b), drops(c)];
    // Waits for the backends to be gone: the logout's NOTIFY then reaches no listener.
    assert.equal(await killListeners(cluster.databaseUrl, 3), 3, 'every node\'s LISTEN connection killed');
    const out = await call('POST', `${a.http}/logout`, { token: u.token });
    assert.equal(out.status, 200);
    // The catch-up runs every second, and on the LISTEN connection's return.
    const done = await within(Promise.all(closes), 5_000, 'closes on B and C after the catch-up');
    for (const closed of done) assert.equal(closed.code, 4001);
    assert.ok(drops(b) > (before[0] ?? 0), 'node B lost its LISTEN connection');
    assert.ok(drops(c) > (before[1] ?? 0), 'node C lost its LISTEN connection');
    const refused = await call('GET', `${b.http}/protected`, { token: u.token });
    assert.equal(refused.status, 401);
  });
});
