// The Redis Bus across nodes (bus instances on one real redis-server): topic broadcasts
// reach every node's listeners once and in one order per topic, directed messages reach
// every node where the user has a connection, a node subscribes only while it has local
// listeners, and while Redis is down publishes reject `unavailable` and health says so.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createRedisBus, redisKeys } from '../../src/bus/index.js';
import { BeaconError } from '../../src/errors.js';
import { redisSkipReason, startRedis, type RedisServer } from '../support/redis.js';
import { freePort } from '../support/process.js';
import { down, freshPrefix, quietLogger, startNode, up, type Node } from '../support/redisNodes.js';

const skip = redisSkipReason();

describe('Redis bus: fan-out across nodes', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.dispose();
  });

  let prefix = '';
  const cluster = async (n: number): Promise<Node[]> => {
    prefix = freshPrefix();
    const nodes: Node[] = [];
    for (let i = 0; i < n; i++) nodes.push(await startNode(redis.url, { prefix }));
    return nodes;
  };
  const closeAll = (nodes: Node[]): Promise<unknown> => Promise.all(nodes.map((n) => n.bus.close()));

  test('a topic broadcast reaches every subscribed node once, in the same order on each', async () => {
    const nodes = await cluster(3);
    await Promise.all(nodes.map((node) => node.bus.join('room:a')));
    const [a, b, c] = nodes as [Node, Node, Node];
    // Two publishers interleaving: every node must see one and the same order.
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      sends.push(a.bus.publish('room:a', 'publication', { from: 'a', i }));
      sends.push(b.bus.publish('room:a', 'publication', { from: 'b', i }));
    }
    await Promise.all(sends);
    const seen = (node: Node): string[] =>
      node.rec.of('topic', 'publication').map((h) => {
        const d = h.data as { from: string; i: number };
        return `${d.from}${d.i}`;
      });
    await Promise.all(nodes.map((node) => node.rec.until('100 publications', () => seen(node).length >= 100)));
    assert.deepEqual(seen(b), seen(a));
    assert.deepEqual(seen(c), seen(a));
    assert.equal(new Set(seen(a)).size, 100, 'each once');
    // Per publisher, in the order published.
    const ofA = seen(a).filter((s) => s.startsWith('a'));
    assert.deepEqual(ofA, Array.from({ length: 50 }, (_, i) => `a${i}`));
    await closeAll(nodes);
  });

  test('a node hears a topic only while it has a local listener for it', async () => {
    const [a, b] = (await cluster(2)) as [Node, Node];
    await a.bus.join('room:x');
    await a.bus.publish('room:x', 'publication', { n: 1 });
    await a.rec.until('first', () => a.rec.of('topic').length === 1);
    await b.bus.join('room:x');
    await b.bus.leave('room:x');
    await a.bus.publish('room:x', 'publication', { n: 2 });
    await a.rec.until('second', () => a.rec.of('topic').length === 2);
    assert.equal(b.rec.of('topic').length, 0, 'b left before the publish');
    // What Redis says: only a is subscribed to the topic's channel.
    const probe = new Redis(redis.url);
    const channel = redisKeys(prefix).topic('room:x');
    assert.deepEqual(await probe.pubsub('NUMSUB', channel), [channel, 1]);
    await a.bus.leave('room:x');
    assert.deepEqual(await probe.pubsub('NUMSUB', channel), [channel, 0]);
    await probe.quit();
    await closeAll([a, b]);
  });

  test('a directed message reaches every node where the user is connected, each once', async () => {
    const [a, b, c] = (await cluster(3)) as [Node, Node, Node];
    a.bus.connectionUp(up('s1', 7, 'alice'));
    b.bus.connectionUp(up('s2', 7, 'alice'));
    c.bus.connectionUp(up('s3', 8, 'bob'));
    // From c, to alice and (twice, as the hub does when writing to oneself) bob.
    await c.bus.deliver([7, 8, 8], 'authenticated_message', { text: 'hi' });
    await a.rec.until('a hears', () => a.rec.of('users').length === 1);
    await b.rec.until('b hears', () => b.rec.of('users').length === 1);
    await c.rec.until('c hears', () => c.rec.of('users').length === 1);
    assert.deepEqual(a.rec.of('users')[0]?.userIds, [7]);
    assert.deepEqual(c.rec.of('users')[0]?.userIds, [8]);
    // The user's channel is left with its last local connection.
    a.bus.connectionDown(down('s1', 7));
    await c.bus.deliver([7], 'authenticated_message', { text: 'again' });
    await b.rec.until('b hears again', () => b.rec.of('users').length === 2);
    assert.equal(a.rec.of('users').length, 1, 'a has no connection of alice any more');
    await closeAll([a, b, c]);
  });

  test('a connection topic is joined with the first local connection: its own publish comes back once', async () => {
    const [a, b] = (await cluster(2)) as [Node, Node];
    a.bus.connectionUp(up('s1', 1, 'ann'));
    b.bus.connectionUp(up('s2', 2, 'ben'));
    // Published at once, while the subscription may still be on its way: it waits for it.
    await a.bus.publish('authenticated', 'authenticated_message', { from: 'ann' });
    await a.rec.until('a', () => a.rec.of('topic', 'authenticated_message').length === 1);
    await b.rec.until('b', () => b.rec.of('topic', 'authenticated_message').length === 1);
    // announce is local only.
    a.bus.announce('authenticated', 'user_count', { count: 2 });
    assert.equal(a.rec.of('topic', 'user_count').length, 1);
    await b.bus.publish('authenticated', 'authenticated_message', { from: 'ben' });
    await a.rec.until('a second', () => a.rec.of('topic', 'authenticated_message').length === 2);
    assert.equal(b.rec.of('topic', 'user_count').length, 0);
    assert.equal(a.rec.of('topic', 'authenticated_message').length, 2, 'no local double delivery');
    await closeAll([a, b]);
  });

  test('a Redis that cannot be reached at start fails the start, naming REDIS_URL', async () => {
    const port = await freePort(); // nothing listens there
    await assert.rejects(
      createRedisBus({ url: `redis://127.0.0.1:${port}`, logger: quietLogger, prefix: freshPrefix() }),
      /REDIS_URL: cannot reach Redis/,
    );
  });

  test('Redis down: unhealthy, publishes reject unavailable; back: healthy and delivering again', async () => {
    const [a, b] = (await cluster(2)) as [Node, Node];
    await Promise.all([a.bus.join('room:r'), b.bus.join('room:r')]);
    assert.equal(a.bus.healthy(), true);
    await redis.stop();
    await a.rec.until('unhealthy', () => a.rec.of('health', 'unhealthy').length === 1);
    await assert.rejects(a.bus.publish('room:r', 'publication', { n: 1 }), (err: unknown) => err instanceof BeaconError && err.code === 'unavailable');
    await assert.rejects(a.bus.deliver([1], 'authenticated_message', {}), (err: unknown) => err instanceof BeaconError && err.code === 'unavailable');
    assert.equal(a.bus.stats().refused, 2);
    await redis.start();
    await Promise.all([a, b].map((n) => n.rec.until('healthy again within 5 s', () => n.bus.healthy(), 5_000)));
    await a.bus.publish('room:r', 'publication', { n: 2 });
    await b.rec.until('b hears after the outage', () => b.rec.of('topic', 'publication').length === 1);
    await closeAll([a, b]);
  });
});
