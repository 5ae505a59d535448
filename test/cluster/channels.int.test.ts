// Channels across three in-process nodes: a publication reaches the subscribers of every
// node once, in offset order per channel even with publishers on several nodes at once, and
// channel presence with join/leave is cluster-wide (once per user, not per node).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clusterSkip, eventually, startCluster, type Cluster, type ClusterNode } from '../support/cluster.js';
import { ask, connect, publications, pushedOffsets, subscribed, user, WAIT_MS } from '../support/clusterClients.js';
import { within, type TestClient } from '../support/wsClient.js';

/** Publishes `n` times with up to `inFlight` unanswered, under the per-connection frame rate. */
async function publishMany(client: TestClient, channel: string, label: string, n: number, inFlight = 5): Promise<Map<number, string>> {
  const acked = new Map<number, string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const data = `${label}-${next++}`;
      const reply = await ask(client, 'publish', { channel, data });
      assert.equal(reply.event, 'published', `${label}: ${JSON.stringify(reply)}`);
      acked.set(reply.data.offset as number, data);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return acked;
}

describe('cluster channels', { skip: clusterSkip, timeout: 60_000 }, () => {
  let cluster: Cluster;
  let nodes: ClusterNode[];
  before(async () => {
    cluster = await startCluster({ nodes: 3 });
    nodes = cluster.nodes;
  });
  after(() => cluster?.dispose());

  test('publications from two nodes reach subscribers on all three once, in offset order per channel', async () => {
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const subs: TestClient[] = [];
    for (const [i, node] of nodes.entries()) {
      const u = await user(node, `ch_sub${i}`);
      const client = await connect(node, u.token);
      for (const channel of ['room:order1', 'room:order2']) {
        const s = await subscribed(client, channel);
        assert.equal(s.offset, 0);
      }
      subs.push(client);
    }
    const pubA = await connect(a, (await user(a, 'ch_pub_a')).token);
    const pubB = await connect(b, (await user(c, 'ch_pub_b', b)).token);
    for (const p of [pubA, pubB]) await subscribed(p, 'room:order1');
    await subscribed(pubB, 'room:order2');

    const [one, two, three] = await Promise.all([
      publishMany(pubA, 'room:order1', 'a', 20),
      publishMany(pubB, 'room:order1', 'b', 20),
      publishMany(pubB, 'room:order2', 'b2', 15),
    ]);
    const order1 = new Map([...one, ...two]);
    assert.deepEqual([...order1.keys()].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1), 'one offset each, gap-free, across both nodes');
    assert.deepEqual([...three.keys()].sort((x, y) => x - y), Array.from({ length: 15 }, (_, i) => i + 1));

    for (const [i, client] of [...subs, pubA, pubB].entries()) {
      await publications(client, 'room:order1', 40);
      assert.deepEqual(pushedOffsets(client, 'room:order1'), [...order1.keys()].sort((x, y) => x - y), `subscriber ${i}: room:order1 in order, each once`);
      const data = client.frames.filter((f) => f.event === 'publication' && f.data.channel === 'room:order1').map((f) => f.data.data as string);
      assert.deepEqual(data, pushedOffsets(client, 'room:order1').map((o) => order1.get(o)), `subscriber ${i}: each offset carries what was acknowledged for it`);
    }
    for (const [i, client] of subs.entries()) {
      await publications(client, 'room:order2', 15);
      assert.deepEqual(pushedOffsets(client, 'room:order2'), Array.from({ length: 15 }, (_, k) => k + 1), `subscriber ${i}: room:order2 in order`);
    }
    // One epoch for the channel, whichever node published.
    const epochs = new Set(subs.flatMap((s) => s.frames.filter((f) => f.event === 'publication' && f.data.channel === 'room:order1').map((f) => f.data.epoch as string)));
    assert.equal(epochs.size, 1);
    const from = subs[2]?.frames.find((f) => f.event === 'publication' && f.data.data === 'a-0');
    assert.equal(from?.data.from.username, 'ch_pub_a');

    // A node whose sockets are not subscribed gets nothing more after they unsubscribe.
    const left = subs[2] as TestClient;
    const bye = await ask(left, 'unsubscribe', { channel: 'room:order1' });
    assert.equal(bye.event, 'unsubscribed');
    await ask(pubA, 'publish', { channel: 'room:order1', data: 'after' });
    await publications(subs[0] as TestClient, 'room:order1', 41);
    await ask(left, 'ping_manual');
    assert.equal(pushedOffsets(left, 'room:order1').length, 40);
    await Promise.all([...subs, pubA, pubB].map((s) => s.close()));
  });

  test('channel_presence counts every node; join and leave once per user, cluster-wide', async () => {
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const watcher = await connect(c, (await user(c, 'cp_watch')).token);
    await subscribed(watcher, 'room:pres');
    const dana = await user(a, 'cp_dana');
    const danaA = await connect(a, dana.token);
    const danaB = await connect(b, dana.token);
    const eve = await connect(b, (await user(b, 'cp_eve')).token);

    const first = await subscribed(danaA, 'room:pres');
    assert.ok((first.presence.users as Array<{ username: string }>).some((u) => u.username === 'cp_dana'), JSON.stringify(first.presence));
    await within(watcher.next('join', (d) => d.username === 'cp_dana'), WAIT_MS, 'join of dana on node C');
    await subscribed(danaB, 'room:pres');
    await subscribed(eve, 'room:pres');
    await within(watcher.next('join', (d) => d.username === 'cp_eve'), WAIT_MS, 'join of eve on node C');

    const expected = ['cp_dana:2', 'cp_eve:1', 'cp_watch:1'];
    for (const client of [watcher, danaA, eve]) {
      const p = await eventually('channel presence of three users on every node', WAIT_MS, async () => {
        const reply = await ask(client, 'channel_presence', { channel: 'room:pres' });
        assert.equal(reply.event, 'channel_presence', JSON.stringify(reply));
        const users = (reply.data.users as Array<{ username: string; connections: number }>).map((u) => `${u.username}:${u.connections}`).sort();
        return JSON.stringify(users) === JSON.stringify(expected) ? reply.data : undefined;
      });
      assert.equal(p.count, 3);
    }

    // Dana leaves through A but is still subscribed through B: no leave.
    await ask(danaA, 'unsubscribe', { channel: 'room:pres' });
    await ask(eve, 'unsubscribe', { channel: 'room:pres' });
    await within(watcher.next('leave', (d) => d.username === 'cp_eve'), WAIT_MS, 'leave of eve');
    await ask(danaB, 'unsubscribe', { channel: 'room:pres' });
    await within(watcher.next('leave', (d) => d.username === 'cp_dana'), WAIT_MS, 'leave of dana after her last subscription');
    const seen = (event: string): string[] => watcher.frames.filter((f) => f.event === event && f.data.channel === 'room:pres' && f.data.username !== 'cp_watch').map((f) => f.data.username as string);
    assert.deepEqual(seen('join').sort(), ['cp_dana', 'cp_eve'], 'one join per user');
    assert.deepEqual(seen('leave'), ['cp_eve', 'cp_dana'], 'one leave per user, dana only after her last subscription');
    await Promise.all([watcher, danaA, danaB, eve].map((s) => s.close()));
  });
});
