// Cluster presence on the Redis Bus, with bus instances on one real redis-server standing
// for nodes and the hub's presence feed on each: counts are cluster-wide, online / offline
// is announced once (offline only when the user's last connection anywhere is gone), a
// node that stops heartbeating is reaped within 5 s, and after Redis lost everything the
// view is whole again within 5 s. A raw subscriber counts the transitions Redis published.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { redisKeys } from '../../src/bus/index.js';
import { ROOT, spawnCommand } from '../support/process.js';
import { redisSkipReason, startRedis, type RedisServer } from '../support/redis.js';
import { down, freshPrefix, startNode, up, type Node } from '../support/redisNodes.js';

const skip = redisSkipReason();

/** The transitions Redis published for a prefix: "online:<userId>" / "offline:<userId>". */
async function transitions(url: string, prefix: string): Promise<{ list: string[]; stop(): Promise<void> }> {
  const sub = new Redis(url);
  const list: string[] = [];
  sub.on('message', (_channel: string, raw: string) => {
    const m = JSON.parse(raw) as { c: Array<[number, { type: string; data: { userId: number } }]> };
    for (const [t, e] of m.c) if (t === 1) list.push(`${e.type === 'ConnectionClosed' ? 'offline' : 'online'}:${e.data.userId}`);
  });
  await sub.subscribe(redisKeys(prefix).presenceChannel);
  return { list, stop: async () => void (await sub.quit()) };
}

const onlineOf = (node: Node): string =>
  node.feed
    .view()
    .users.map((u) => `${u.username}=${u.connections}`)
    .join(',');

describe('Redis bus: cluster presence', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.dispose();
  });

  const cluster = async (n: number): Promise<{ nodes: Node[]; prefix: string }> => {
    const prefix = freshPrefix();
    const nodes: Node[] = [];
    for (let i = 0; i < n; i++) nodes.push(await startNode(redis.url, { prefix, nodeId: `node${i}` }));
    return { nodes, prefix };
  };
  const settled = (nodes: Node[], expected: string): Promise<unknown> =>
    Promise.all(nodes.map((n) => n.rec.until(`${n.bus.nodeId} sees ${expected}`, () => onlineOf(n) === expected)));

  test('counts are cluster-wide; offline comes once, when the last connection anywhere goes', async () => {
    const { nodes, prefix } = await cluster(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    const published = await transitions(redis.url, prefix);
    a.bus.connectionUp(up('a1', 1, 'alice'));
    b.bus.connectionUp(up('b1', 1, 'alice'));
    c.bus.connectionUp(up('c1', 2, 'bob'));
    await settled(nodes, 'alice=2,bob=1');
    for (const n of nodes) assert.equal(n.feed.view().connections, 3);

    a.bus.connectionDown(down('a1', 1));
    await settled(nodes, 'alice=1,bob=1');
    b.bus.connectionDown(down('b1', 1));
    await settled(nodes, 'bob=1');
    for (const n of nodes) {
      await n.rec.until('alice offline announced', () => n.statuses().includes('alice:offline'));
      assert.deepEqual(
        n.statuses().filter((s) => s.startsWith('alice')),
        ['alice:online', 'alice:offline'],
        `${n.bus.nodeId}: once each`,
      );
    }
    // Once each, in order per user. Between users there is no order to promise: alice's and
    // bob's arrivals were sent by different nodes over different Redis connections.
    assert.equal(published.list.length, 3, published.list.join(' '));
    assert.deepEqual(published.list.filter((t) => t.endsWith(':1')), ['online:1', 'offline:1']);
    assert.deepEqual(published.list.filter((t) => t.endsWith(':2')), ['online:2']);
    // A repeated or foreign down changes nothing (the hub reconciling sids it does not hold).
    a.bus.connectionDown(down('c1', 2));
    c.bus.connectionUp(up('c1', 2, 'bob'));
    assert.equal(onlineOf(a), 'bob=1');
    assert.equal(onlineOf(c), 'bob=1');
    await published.stop();
    await Promise.all(nodes.map((n) => n.bus.close()));
  });

  test('a node that joins late hears everyone already connected', async () => {
    const { nodes, prefix } = await cluster(2);
    const [a, b] = nodes as [Node, Node];
    a.bus.connectionUp(up('a1', 1, 'alice'));
    b.bus.connectionUp(up('b1', 2, 'bob'));
    await settled(nodes, 'alice=1,bob=1');
    const late = await startNode(redis.url, { prefix, nodeId: 'late' });
    assert.equal(onlineOf(late), 'alice=1,bob=1', 'from the snapshot, at start');
    assert.equal(late.bus.remoteConnections(), 2);
    await Promise.all([a, b, late].map((n) => n.bus.close()));
  });

  test('a node that stops heartbeating is reaped within 5 s: its users offline once, not those still connected elsewhere', async () => {
    const { nodes, prefix } = await cluster(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    const published = await transitions(redis.url, prefix);
    c.bus.connectionUp(up('c1', 1, 'alice'));
    c.bus.connectionUp(up('c2', 2, 'bob'));
    a.bus.connectionUp(up('a1', 2, 'bob'));
    await settled(nodes, 'alice=1,bob=2');
    const killedAt = Date.now();
    c.bus.abandon(); // as SIGKILL: no leave, no cleanup, timers stopped, connections dropped
    await settled([a, b], 'bob=1');
    const took = Date.now() - killedAt;
    assert.ok(took < 5_000, `reaped after ${took} ms`);
    for (const n of [a, b]) {
      await n.rec.until('alice offline', () => n.statuses().includes('alice:offline'));
      assert.deepEqual(n.statuses().filter((s) => s.endsWith(':offline')), ['alice:offline'], `${n.bus.nodeId}: alice once, bob never`);
    }
    assert.deepEqual(published.list.filter((s) => s.startsWith('offline')), ['offline:1'], 'one offline transition cluster-wide');
    assert.equal(a.bus.stats().reaped + b.bus.stats().reaped, 1, 'one of the two reaped it');
    // Both live nodes reap on their heartbeats; the script leaves nothing for the second.
    const probe = new Redis(redis.url);
    assert.deepEqual(await probe.zrange(redisKeys(prefix).nodes, '0', '-1'), ['node0', 'node1']);
    assert.equal(await probe.exists(redisKeys(prefix).node('node2')), 0);
    assert.deepEqual(await probe.hgetall(redisKeys(prefix).userCounts), { '2': '1' });
    await probe.quit();
    await published.stop();
    await Promise.all([a.bus.close(), b.bus.close()]);
  });

  test('a node process killed with SIGKILL is out of the others\' presence within 5 s, offline once', async () => {
    const { nodes, prefix } = await cluster(2);
    const [a, b] = nodes as [Node, Node];
    const published = await transitions(redis.url, prefix);
    a.bus.connectionUp(up('a1', 2, 'bob'));
    const child = spawnCommand(['node', '--import', 'tsx', 'test/support/redisBusNode.ts'], {
      cwd: ROOT,
      env: { REDIS_URL: redis.url, REDIS_PREFIX: prefix, NODE_ID: 'victim', CONNECTIONS: JSON.stringify([['v1', 1, 'alice'], ['v2', 2, 'bob']]) },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const check = (): void => void (child.stdout().includes('node ready') && resolve());
        child.child.stdout?.on('data', check);
        void child.exited.then(() => reject(new Error(`node exited: ${child.stderr()}`)));
      });
      await settled([a, b], 'alice=1,bob=2');
      const killedAt = Date.now();
      child.child.kill('SIGKILL');
      await child.exited;
      await settled([a, b], 'bob=1');
      const took = Date.now() - killedAt;
      assert.ok(took < 5_000, `reaped after ${took} ms`);
      for (const n of [a, b]) {
        await n.rec.until('alice offline', () => n.statuses().includes('alice:offline'));
        assert.deepEqual(n.statuses().filter((s) => s.endsWith(':offline')), ['alice:offline'], `${n.bus.nodeId}: alice once, bob never`);
      }
      assert.deepEqual(published.list.filter((s) => s.startsWith('offline')), ['offline:1']);
    } finally {
      child.child.kill('SIGKILL');
      await published.stop();
      await Promise.all([a.bus.close(), b.bus.close()]);
    }
  });

  test('Redis lost everything and came back: every node registers again, the view is whole within 5 s, no flapping', async () => {
    const { nodes } = await cluster(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    a.bus.connectionUp(up('a1', 1, 'alice'));
    b.bus.connectionUp(up('b1', 2, 'bob'));
    c.bus.connectionUp(up('c1', 3, 'carol'));
    await settled(nodes, 'alice=1,bob=1,carol=1');
    await redis.stop();
    c.bus.abandon(); // dies while Redis is away: nobody can hear of it but by its absence
    b.bus.connectionUp(up('b2', 4, 'dave')); // a change Redis never saw
    await redis.start();
    const back = Date.now();
    await settled([a, b], 'alice=1,bob=1,dave=1');
    const took = Date.now() - back;
    assert.ok(took < 5_000, `whole after ${took} ms`);
    await Promise.all([a, b].map((n) => n.rec.until('healthy', () => n.bus.healthy())));
    for (const n of [a, b]) {
      await n.rec.until('carol offline announced', () => n.statuses().includes('carol:offline'));
      const statuses = n.statuses();
      assert.deepEqual(statuses.filter((s) => s.endsWith(':offline')), ['carol:offline'], `${n.bus.nodeId}: no flap of the live`);
    }
    await Promise.all([a.bus.close(), b.bus.close()]);
  });

  test('a node closing cleanly takes its connections out at once', async () => {
    const { nodes } = await cluster(2);
    const [a, b] = nodes as [Node, Node];
    b.bus.connectionUp(up('b1', 1, 'alice'));
    await settled(nodes, 'alice=1');
    // Online and offline inside one coalescing window would be no news at all: let it go out.
    await a.rec.until('alice online announced', () => a.statuses().includes('alice:online'));
    await b.bus.close();
    await a.rec.until('alice offline', () => a.statuses().includes('alice:offline'), 1_000);
    await a.bus.close();
  });
});
