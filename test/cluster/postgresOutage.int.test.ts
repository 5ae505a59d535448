// PostgreSQL stopped under two in-process nodes with CLUSTER_FENCE_SECONDS=2: writes answer
// 503 `unavailable` and nothing unacknowledged is kept; once a node could not follow the
// log for the fence time it closes its authenticated sockets with 1013, refuses new ones
// and fails /healthz; after PostgreSQL returns it catches up and rejoins by itself.

import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { call } from '../support/beacon.js';
import { clusterSkip, eventually, startCluster, type Cluster, type ClusterNode } from '../support/cluster.js';
import { ask, connect, login, PASSWORD, status, user, WAIT_MS } from '../support/clusterClients.js';
import { TestClient, within, wsUrl, type Closed } from '../support/wsClient.js';

const FENCE_SECONDS = 2;
/** How stale a node's last read may be when PostgreSQL stops: the periodic catch-up's interval. */
const CATCH_UP_MS = 1_000;

describe('PostgreSQL stopped under a cluster', { skip: clusterSkip, timeout: 90_000 }, () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;
  before(async () => {
    cluster = await startCluster({ nodes: 2, env: { CLUSTER_FENCE_SECONDS: String(FENCE_SECONDS) } });
    [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
  });
  after(() => cluster?.dispose());

  test('writes 503, fencing with 1013 after CLUSTER_FENCE_SECONDS, /healthz 503, rejoin after the restart', async () => {
    const alice = await user(a, 'po_alice');
    const bob = await user(b, 'po_bob');
    const aliceA = await connect(a, alice.token);
    const bobB = await connect(b, bob.token);
    await status(aliceA, 'po_bob', 'online');
    for (const node of [a, b]) assert.equal((await call('GET', `${node.http}/healthz`)).status, 200);
    const closes = [aliceA, bobB].map((s) => s.closed.then((c): Closed & { at: number } => ({ ...c, at: performance.now() })));

    await cluster.pg.stop();
    const stoppedAt = performance.now();

    // Writes are refused, not acknowledged from memory.
    const reg = await call('POST', `${a.http}/register`, { body: { username: 'po_lost', password: PASSWORD } });
    assert.equal(reg.status, 503, `register while PostgreSQL is down: ${reg.status} ${reg.text}`);
    assert.equal(reg.json.error, 'unavailable');
    const again = await call('POST', `${b.http}/login-token`, { body: { username: 'po_bob', password: PASSWORD } });
    assert.equal(again.status, 503, `login while PostgreSQL is down: ${again.text}`);
    const out = await call('POST', `${b.http}/logout`, { token: bob.token });
    assert.equal(out.status, 503, `logout while PostgreSQL is down: ${out.text}`);

    // Live sockets stay until the fence time has passed...
    const early = await ask(aliceA, 'ping_manual');
    assert.equal(early.event, 'pong_manual');
    // ...then every authenticated socket is closed with 1013.
    const fenced = await within(Promise.all(closes), FENCE_SECONDS * 1_000 + 5_000, 'the 1013 closes of a fenced node');
    for (const [i, closed] of fenced.entries()) {
      assert.equal(closed.code, 1013, `socket ${i}: ${JSON.stringify(closed)}`);
      const after = closed.at - stoppedAt;
      assert.ok(after >= FENCE_SECONDS * 1_000 - CATCH_UP_MS - 200, `socket ${i} closed ${Math.round(after)} ms after the stop: not before the fence time`);
    }
    const farewell = aliceA.frames.find((f) => f.event === 'disconnect');
    assert.equal(farewell?.data.code, 1013, JSON.stringify(farewell));
    for (const node of [a, b]) {
      const health = await call('GET', `${node.http}/healthz`);
      assert.equal(health.status, 503, `${node.id} /healthz while fenced: ${health.text}`);
      assert.equal(health.json.status, 'fenced');
      assert.equal(health.json.node, node.id);
      assert.equal(health.json.postgres, 'down');
      assert.ok(health.json.log_lag_ms >= FENCE_SECONDS * 1_000, `log lag past the fence time: ${health.text}`);
      const metrics = (await call('GET', `${node.http}/metrics`)).text;
      assert.match(metrics, /^beacon_node_fenced 1$/m);
      assert.match(metrics, /^beacon_dependency_up\{dependency="postgres"\} 0$/m);
    }
    await assert.rejects(TestClient.open(wsUrl(a.http, alice.token)), (err: { status?: number }) => err.status === 503, 'a fenced node refuses new sockets');

    await cluster.pg.restart();
    for (const node of [a, b]) {
      await eventually(`${node.id} /healthz 200 after PostgreSQL returned`, 15_000, async () => ((await call('GET', `${node.http}/healthz`)).status === 200 ? true : undefined));
    }
    // Nothing answered 503 was kept: po_lost does not exist; bob's token outlived its failed logout.
    const lost = await call('POST', `${b.http}/login-token`, { body: { username: 'po_lost', password: PASSWORD } });
    assert.equal(lost.status, 401, `a registration answered 503 was not committed: ${lost.text}`);
    const still = await call('GET', `${a.http}/protected`, { token: bob.token });
    assert.equal(still.status, 200, `a logout answered 503 revoked nothing: ${still.text}`);

    // Rejoined: sockets, writes and cross-node presence work again.
    const aliceBack = await connect(a, alice.token);
    const bobBack = await connect(b, bob.token);
    await status(aliceBack, 'po_bob', 'online');
    const fresh = await login(b, 'po_alice');
    const replaced = await within(aliceBack.closed, WAIT_MS, 'the replaced token closes the socket on A');
    assert.equal(replaced.code, 4004);
    assert.equal((await call('POST', `${a.http}/register`, { body: { username: 'po_new', password: PASSWORD } })).status, 201);
    await bobBack.close();
    assert.ok(fresh.length > 0);
  });
});
