// SIGKILL of a cluster node (a child process; the others in-process): within 5 s its users
// are out of the others' presence, `offline` and `leave` sent exactly once and not at all
// for a user still connected through another node; and a channel subscriber of the dead
// node resubscribes through another node with `since` and sees every publication once.

import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { clusterSkip, eventually, quietFor, startCluster, type Cluster, type ClusterNode } from '../support/cluster.js';
import { ask, connect, online, publications, pushedOffsets, status, statusesOf, subscribed, user, WAIT_MS } from '../support/clusterClients.js';
import { within, type TestClient } from '../support/wsClient.js';

const OUT_OF_PRESENCE_MS = 5_000;
const MAX_FEED = 80;

describe('SIGKILL of a cluster node', { skip: clusterSkip, timeout: 120_000 }, () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let victim: ClusterNode;
  let c: ClusterNode;
  before(async () => {
    cluster = await startCluster({ nodes: 0 });
    a = await cluster.startNode({ id: 'node-a' });
    victim = await cluster.startNode({ id: 'node-b', process: true });
    c = await cluster.startNode({ id: 'node-c' });
  });
  after(() => cluster?.dispose());

  test('presence on the others within 5 s, offline and leave once, none for a user still connected elsewhere; channel recovery through another node', async (t) => {
    const watch = await connect(a, (await user(a, 'k_watch')).token);
    await subscribed(watch, 'room:kill');
    const erin = await user(c, 'k_erin');
    const frank = await user(c, 'k_frank');
    const reader = await user(c, 'k_reader');
    const erinB = await connect(victim, erin.token);
    const frankB = await connect(victim, frank.token);
    const frankC = await connect(c, frank.token);
    const readerB = await connect(victim, reader.token);
    for (const s of [erinB, frankB, frankC]) await subscribed(s, 'room:kill');
    for (const name of ['k_erin', 'k_frank', 'k_reader']) await status(watch, name, 'online');
    await within(watch.next('join', (d) => d.username === 'k_frank'), WAIT_MS, 'join of frank');
    await within(watch.next('join', (d) => d.username === 'k_erin'), WAIT_MS, 'join of erin');

    // The reader follows a channel a publisher on A keeps publishing to, across the kill.
    const publisher = await connect(a, (await user(a, 'k_pub')).token);
    await subscribed(publisher, 'room:feed');
    const start = await subscribed(readerB, 'room:feed');
    let sent = 0;
    const acked: number[] = [];
    let publishing = true;
    // At most MAX_FEED publications in all: the room keeps 100, so what the reader missed
    // while its node was dead is still there to recover.
    const pump = (async () => {
      while (publishing && sent < MAX_FEED) {
        const reply = await ask(publisher, 'publish', { channel: 'room:feed', data: `p${sent++}` });
        assert.equal(reply.event, 'published', JSON.stringify(reply));
        acked.push(reply.data.offset as number);
        await new Promise((r) => setTimeout(r, 50)); // pacing, not a wait for an event
      }
    })();
    pump.catch(() => undefined);
    t.after(() => void (publishing = false));
    await publications(readerB, 'room:feed', 10);
    const seenBefore = readerB.frames.filter((f) => f.event === 'publication' && f.data.channel === 'room:feed');
    const last = seenBefore[seenBefore.length - 1]?.data as { offset: number; epoch: string };

    const killedAt = performance.now();
    await victim.kill();
    const offline = await status(watch, 'k_erin', 'offline', OUT_OF_PRESENCE_MS + 1_000);
    const offlineMs = performance.now() - killedAt;
    assert.ok(offlineMs <= OUT_OF_PRESENCE_MS, `erin offline on node A ${Math.round(offlineMs)} ms after the kill (limit ${OUT_OF_PRESENCE_MS})`);
    assert.equal(offline.data.user_id, erin.userId);
    await within(watch.next('leave', (d) => d.username === 'k_erin'), OUT_OF_PRESENCE_MS, 'leave of erin');
    await status(watch, 'k_reader', 'offline', OUT_OF_PRESENCE_MS);
    const view = await eventually('the dead node out of get_online_users', OUT_OF_PRESENCE_MS, async () => {
      const o = await online(watch);
      return o.users.some((u) => u.startsWith('k_erin') || u.startsWith('k_reader')) ? undefined : o;
    });
    assert.ok(view.users.includes('k_frank:1'), `frank still online through node C with one connection: ${view.users.join(' ')}`);

    // The reader comes back through C with what it last saw: every later publication once.
    const readerC = await connect(c, reader.token);
    const back = await subscribed(readerC, 'room:feed', { offset: last.offset, epoch: last.epoch });
    assert.equal(back.recovered, true, JSON.stringify(back));
    assert.equal(back.epoch, start.epoch);
    publishing = false;
    await pump;
    const recovered = (back.publications as Array<{ offset: number }>).map((p) => p.offset);
    const highest = Math.max(...acked);
    await eventually('the live publications after the resubscription', WAIT_MS, () =>
      Math.max(last.offset, ...recovered, ...pushedOffsets(readerC, 'room:feed')) >= highest ? true : undefined,
    );
    const all = [...seenBefore.map((f) => f.data.offset as number), ...recovered, ...pushedOffsets(readerC, 'room:feed')];
    assert.deepEqual(all, Array.from({ length: highest - (start.offset as number) }, (_, i) => (start.offset as number) + i + 1), 'every publication exactly once, no gap, in order');

    // A window past the presence deadline: a second reaper or a late duplicate would be in.
    await quietFor(2_000);
    assert.deepEqual(statusesOf(watch, 'k_erin'), ['online', 'offline'], 'erin offline exactly once');
    assert.deepEqual(statusesOf(watch, 'k_frank'), ['online'], 'no offline for frank, still connected through node C');
    const leaves = watch.frames.filter((f) => f.event === 'leave' && f.data.channel === 'room:kill').map((f) => f.data.username as string);
    assert.deepEqual(leaves, ['k_erin'], 'leave once for erin, none for frank (still subscribed through C)');
    const p = await ask(watch, 'channel_presence', { channel: 'room:kill' });
    const members = (p.data.users as Array<{ username: string; connections: number }>).map((u) => `${u.username}:${u.connections}`).sort();
    assert.deepEqual(members, ['k_frank:1', 'k_watch:1']);
    for (const s of [erinB, frankB]) await s.closed;
    await Promise.all([watch, frankC, readerC, publisher].map((s: TestClient) => s.close()));
  });
});
