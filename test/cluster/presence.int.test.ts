// Three in-process nodes on one PostgreSQL and one Redis: presence and counts are
// cluster-wide (offline only when a user's last connection anywhere closed), and an
// `authenticated_message`, broadcast or directed, reaches every node's sockets once.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { admin, clusterSkip, eventually, startCluster, type Cluster, type ClusterNode } from '../support/cluster.js';
import { ask, connect, online, status, statusesOf, user, WAIT_MS } from '../support/clusterClients.js';
import { within } from '../support/wsClient.js';

describe('cluster presence and authenticated messages', { skip: clusterSkip, timeout: 60_000 }, () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  before(async () => {
    cluster = await startCluster({ nodes: 3 });
    [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  });
  after(() => cluster?.dispose());

  test('user_status, user_count and get_online_users count every node; offline only after the last connection anywhere', async () => {
    const carol = await user(a, 'p_carol', c);
    const bob = await user(b, 'p_bob');
    const alice = await user(c, 'p_alice', a);
    const onC = await connect(c, carol.token);
    const onB = await connect(b, bob.token);
    await status(onC, 'p_bob', 'online');
    const aliceA = await connect(a, alice.token);
    for (const watcher of [onB, onC]) await status(watcher, 'p_alice', 'online');
    await status(aliceA, 'p_alice', 'online');

    // Each node answers for the whole cluster, whichever node it is asked on.
    for (const client of [aliceA, onB, onC]) {
      const view = await eventually('three users online on every node', WAIT_MS, async () => {
        const o = await online(client);
        return o.count === 3 ? o : undefined;
      });
      assert.deepEqual(view.users, ['p_alice:1', 'p_bob:1', 'p_carol:1']);
    }
    const count = await within(onC.next('user_count', (d) => d.count === 3), WAIT_MS, 'user_count 3 on node C');
    assert.equal(count.data.connections, 3);

    // The admin API lists the connections of the node that answers, each naming its node.
    const listed = await admin('GET', `${b.http}/admin/connections?user=p_bob`);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json.connections.map((x: { username: string; node: string }) => `${x.username}@${x.node}`), ['p_bob@node-b']);

    // A second connection of alice, on another node: no second `online`, two connections.
    const aliceB = await connect(b, alice.token);
    const two = await eventually('alice with 2 connections seen from C', WAIT_MS, async () => {
      const o = await online(onC);
      return o.users.includes('p_alice:2') ? o : undefined;
    });
    assert.equal(two.count, 3);

    // Her connection on A closes: she is still online through B, so no `offline` anywhere.
    await aliceA.close();
    await eventually('alice back to 1 connection seen from C', WAIT_MS, async () => ((await online(onC)).users.includes('p_alice:1') ? true : undefined));
    assert.deepEqual(statusesOf(onC, 'p_alice'), ['online'], 'no offline while alice is connected through node B');
    assert.deepEqual(statusesOf(onB, 'p_alice'), ['online']);

    // Her last connection closes: offline once on every node, counts drop to 2.
    await aliceB.close();
    for (const watcher of [onB, onC]) await status(watcher, 'p_alice', 'offline');
    await within(onB.next('user_count', (d) => d.count === 2), WAIT_MS, 'user_count 2 on node B');
    // A later transition (carol leaves) travels after alice's: by then any duplicate would be in.
    await onC.close();
    await status(onB, 'p_carol', 'offline');
    assert.deepEqual(statusesOf(onB, 'p_alice'), ['online', 'offline'], 'alice online and offline exactly once on node B');
    assert.deepEqual((await online(onB)).users, ['p_bob:1']);
    await onB.close();
  });

  test('authenticated_message reaches every node once; with `to`, only that user and the sender', async () => {
    const alice = await user(a, 'm_alice');
    const bob = await user(b, 'm_bob');
    const carol = await user(c, 'm_carol');
    const sender = await connect(a, alice.token);
    const toB = await connect(b, bob.token);
    const toC = await connect(c, carol.token);
    // Everyone sees everyone online first: the sockets are registered cluster-wide.
    await status(sender, 'm_carol', 'online');
    await status(sender, 'm_bob', 'online');
    await status(toC, 'm_alice', 'online');

    sender.send('authenticated_message', { text: 'to all' });
    for (const [name, client] of [['sender', sender], ['node B', toB], ['node C', toC]] as const) {
      const got = await within(client.next('authenticated_message', (d) => d.text === 'to all'), WAIT_MS, `broadcast on ${name}`);
      assert.equal(got.data.from, 'm_alice');
      assert.equal(got.id, undefined, 'broadcasts carry no id');
    }

    sender.send('authenticated_message', { text: 'just bob', to: 'm_bob' });
    const direct = await within(toB.next('authenticated_message', (d) => d.text === 'just bob'), WAIT_MS, 'directed message on node B');
    assert.equal(direct.data.from, 'm_alice');
    await within(sender.next('authenticated_message', (d) => d.text === 'just bob'), WAIT_MS, 'the sender gets its directed message');
    // A broadcast sent after it reaches C after it would have: carol never got the directed one.
    sender.send('authenticated_message', { text: 'marker' });
    await within(toC.next('authenticated_message', (d) => d.text === 'marker'), WAIT_MS, 'marker on node C');
    await within(toB.next('authenticated_message', (d) => d.text === 'marker'), WAIT_MS, 'marker on node B');
    await within(sender.next('authenticated_message', (d) => d.text === 'marker'), WAIT_MS, 'marker back to the sender');
    const texts = (client: typeof toB): string[] => client.frames.filter((f) => f.event === 'authenticated_message').map((f) => f.data.text as string);
    assert.deepEqual(texts(toC), ['to all', 'marker'], 'node C: each broadcast once, not the directed message');
    assert.deepEqual(texts(toB), ['to all', 'just bob', 'marker'], 'node B: each once, in order');
    assert.deepEqual(texts(sender), ['to all', 'just bob', 'marker']);
    await ask(sender, 'ping_manual');
    await Promise.all([sender.close(), toB.close(), toC.close()]);
  });
});
