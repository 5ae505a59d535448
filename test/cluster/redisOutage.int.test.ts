// Redis stopped under two in-process nodes and started again (empty, as a lost Redis is):
// live sockets stay open, what needs Redis answers `unavailable` instead of reaching part
// of the audience, and within 5 s of its return the cluster view is whole again.

import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { call } from '../support/beacon.js';
import { clusterSkip, eventually, startCluster, type Cluster, type ClusterNode } from '../support/cluster.js';
import { ask, connect, PASSWORD, online, publications, published, refused, status, subscribed, user, WAIT_MS } from '../support/clusterClients.js';
import { within } from '../support/wsClient.js';

const WHOLE_WITHIN_MS = 5_000;
/** A graceful stop waits at most this for its connections (the hub's shutdown wait) and some more. */
const STOP_WITHIN_MS = 5_000;

describe('Redis stopped and restarted under a cluster', { skip: clusterSkip, timeout: 60_000 }, () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;
  let leaving: ClusterNode;
  before(async () => {
    cluster = await startCluster({ nodes: 3 });
    [a, b, leaving] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  });
  after(() => cluster?.dispose());

  test('live sockets stay, publish and cross-node messages answer unavailable, the view is whole within 5 s after', async () => {
    const alice = await connect(a, (await user(a, 'ro_alice')).token);
    const bob = await connect(b, (await user(b, 'ro_bob')).token);
    const carl = await connect(leaving, (await user(leaving, 'ro_carl')).token);
    await status(alice, 'ro_bob', 'online');
    await status(alice, 'ro_carl', 'online');
    for (const s of [alice, bob]) await subscribed(s, 'room:outage');
    await published(alice, 'room:outage', 'before');
    await publications(bob, 'room:outage', 1);
    let closedEarly = false;
    for (const s of [alice, bob]) void s.closed.then(() => (closedEarly = true));

    await cluster.redis.stop();
    // Until the nodes notice, a publish may still be refused for a lost connection: both are
    // `unavailable`, never `published` to a part of the audience.
    await eventually('publish answered unavailable while Redis is down', WAIT_MS, async () => {
      const reply = await ask(alice, 'publish', { channel: 'room:outage', data: 'during' });
      assert.notEqual(reply.event, 'published', `a publish acknowledged while Redis is down: ${JSON.stringify(reply)}`);
      return reply.data.code === 'unavailable' ? reply : undefined;
    });
    await refused(bob, 'publish', { channel: 'room:outage', data: 'during' }, 'unavailable');
    const message = await ask(alice, 'authenticated_message', { text: 'during' });
    assert.equal(message.event, 'response', JSON.stringify(message));
    assert.equal(message.data.code, 'unavailable', 'authenticated_message to other nodes needs Redis');
    await refused(alice, 'channel_presence', { channel: 'room:outage' }, 'unavailable');

    // The sockets themselves are untouched: they answer, and neither was closed.
    for (const s of [alice, bob]) {
      const pong = await ask(s, 'ping_manual', { t: 1 });
      assert.equal(pong.event, 'pong_manual');
    }
    assert.equal(closedEarly, false, 'no live socket closed while Redis is down');
    assert.equal(bob.frames.filter((f) => f.event === 'publication' && f.data.data === 'during').length, 0, 'nothing delivered in part');

    // Logins need the shared throttle counts; /healthz stays 200 (a load balancer must not
    // take every node out at once) and names Redis as down, as /metrics does.
    const loginNow = await call('POST', `${a.http}/login-token`, { body: { username: 'ro_alice', password: PASSWORD } });
    assert.equal(loginNow.status, 503, `login while Redis is down: ${loginNow.text}`);
    assert.equal(loginNow.json.error, 'unavailable');
    const health = await eventually('node A reporting Redis down', WAIT_MS, async () => {
      const h = await call('GET', `${a.http}/healthz`);
      return h.json?.redis === 'down' ? h : undefined;
    });
    assert.equal(health.status, 200, health.text);
    assert.deepEqual({ ...health.json, log_lag_ms: 0 }, { status: 'ok', node: 'node-a', postgres: 'up', redis: 'down', log_lag_ms: 0 });
    const metrics = (await call('GET', `${a.http}/metrics`)).text;
    assert.match(metrics, /^beacon_dependency_up\{dependency="redis"\} 0$/m);
    assert.match(metrics, /^beacon_dependency_up\{dependency="postgres"\} 1$/m);

    // A node stopped meanwhile (a rolling deploy, `docker stop`) still stops: it says goodbye
    // to its sockets and does not wait for a Redis that is not there.
    await within(leaving.stop(), STOP_WITHIN_MS, 'a node stopping while Redis is down');
    assert.equal((await within(carl.closed, WAIT_MS, 'the stopped node closes its socket')).code, 1001);

    await cluster.redis.start();
    const back = performance.now();
    // A lost Redis is an empty one: each node must re-register what it holds.
    for (const [name, s] of [['A', alice], ['B', bob]] as const) {
      const view = await eventually(`node ${name} sees both users again`, WHOLE_WITHIN_MS + 1_000, async () => {
        const o = await online(s);
        return o.count === 2 ? o : undefined;
      });
      assert.deepEqual(view.users, ['ro_alice:1', 'ro_bob:1']);
    }
    const presence = await eventually('channel presence whole again', WHOLE_WITHIN_MS + 1_000, async () => {
      const reply = await ask(bob, 'channel_presence', { channel: 'room:outage' });
      return reply.event === 'channel_presence' && reply.data.count === 2 ? reply : undefined;
    });
    assert.equal(presence.data.users.length, 2);
    const elapsed = performance.now() - back;
    assert.ok(elapsed <= WHOLE_WITHIN_MS, `cluster view whole ${Math.round(elapsed)} ms after Redis returned (limit ${WHOLE_WITHIN_MS})`);

    const healthy = await eventually('node B reporting Redis up again', WAIT_MS, async () => {
      const h = await call('GET', `${b.http}/healthz`);
      return h.json?.redis === 'up' ? h : undefined;
    });
    assert.equal(healthy.status, 200);

    // Fan-out works again, across nodes.
    const reply = await ask(alice, 'publish', { channel: 'room:outage', data: 'after' });
    assert.equal(reply.event, 'published', JSON.stringify(reply));
    const got = await within(bob.next('publication', (d) => d.data === 'after'), WAIT_MS, 'publication after Redis returned');
    assert.equal(got.data.from.username, 'ro_alice');
    alice.send('authenticated_message', { text: 'after' });
    await within(bob.next('authenticated_message', (d) => d.text === 'after'), WAIT_MS, 'authenticated_message after Redis returned');
    assert.equal(closedEarly, false);
    await Promise.all([alice.close(), bob.close()]);
  });
});
