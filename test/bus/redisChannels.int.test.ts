// The Redis Bus's channel members across nodes (bus instances on one real redis-server):
// a node hears a channel's publications only while it has a local subscriber, in offset
// order; channel presence (subscription up/down) reaches every node, is known to a node that
// starts later, and goes with a node that dies without a word.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Publication } from '../../src/channels/index.js';
import type { SubscriptionChange } from '../../src/ports/index.js';
import { redisSkipReason, startRedis, type RedisServer } from '../support/redis.js';
import { freshPrefix, startNode, up, type Node } from '../support/redisNodes.js';

const skip = redisSkipReason();

/** A node plus what its channel listeners heard. */
interface ChannelNode extends Node {
  publications: Publication[];
  subscriptions: SubscriptionChange[];
}

async function channelNode(url: string, prefix: string): Promise<ChannelNode> {
  const node = await startNode(url, { prefix });
  const publications: Publication[] = [];
  const subscriptions: SubscriptionChange[] = [];
  node.bus.listen({
    publication: (p) => {
      publications.push(p);
      node.rec.push({ kind: 'topic', topic: 'publication', event: 'publication', data: p });
    },
    subscription: (c) => {
      subscriptions.push(c);
      node.rec.push({ kind: 'topic', topic: 'subscription', event: c.kind, data: c });
    },
  });
  return { ...node, publications, subscriptions };
}

const pub = (channel: string, offset: number): Publication => ({ channel, offset, epoch: 'e1', from: null, data: offset, ts: offset });
const change = (kind: 'up' | 'down', sid: string, channel: string, userId: number): SubscriptionChange => ({ kind, channel, sid, userId, username: `u${userId}` });

describe('Redis bus: channels across nodes', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.dispose();
  });

  test('publications reach a node while it has a local subscriber, in offset order', async () => {
    const prefix = freshPrefix();
    const a = await channelNode(redis.url, prefix);
    const b = await channelNode(redis.url, prefix);
    try {
      b.bus.connectionUp(up('b1', 2, 'u2'));
      b.bus.subscriptionChanged(change('up', 'b1', 'room:x', 2));
      await b.bus.channelReady?.('room:x');
      for (let i = 1; i <= 20; i++) a.bus.publishChannel(pub('room:x', i));
      await b.rec.until('20 publications on b', () => b.publications.length === 20);
      assert.deepEqual(b.publications.map((p) => p.offset), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.equal(a.publications.length, 0, 'a has no local subscriber: it does not hear the channel');

      b.bus.subscriptionChanged(change('down', 'b1', 'room:x', 2));
      // Once b has left, a's next publication is not heard there; a marker channel proves delivery went on.
      b.bus.subscriptionChanged(change('up', 'b1', 'room:marker', 2));
      await b.bus.channelReady?.('room:marker');
      await new Promise<void>((resolve) => setImmediate(resolve));
      a.bus.publishChannel(pub('room:x', 21));
      a.bus.publishChannel(pub('room:marker', 1));
      await b.rec.until('the marker on b', () => b.publications.some((p) => p.channel === 'room:marker'));
      assert.equal(b.publications.filter((p) => p.channel === 'room:x').length, 20);
    } finally {
      await Promise.all([a.bus.close(), b.bus.close()]);
    }
  });

  test('channel presence reaches every node, a later node reads it whole, and a dead node takes its subscriptions along', async () => {
    const prefix = freshPrefix();
    const a = await channelNode(redis.url, prefix);
    const b = await channelNode(redis.url, prefix);
    let c: ChannelNode | undefined;
    try {
      a.bus.connectionUp(up('a1', 1, 'u1'));
      a.bus.subscriptionChanged(change('up', 'a1', 'room:y', 1));
      assert.deepEqual(a.subscriptions.map((s) => `${s.kind}:${s.sid}`), ['up:a1'], 'a hears its own change at once');
      await b.rec.until('a1 up on b', () => b.subscriptions.some((s) => s.kind === 'up' && s.sid === 'a1'));

      c = await channelNode(redis.url, prefix);
      const late = c;
      await late.rec.until('a1 known to the later node', () => late.subscriptions.some((s) => s.kind === 'up' && s.sid === 'a1'));

      // SIGKILL-like: a stops without leaving; the others reap it and its subscription goes.
      a.bus.abandon();
      const waited = await b.rec.until('a1 down on b', () => b.subscriptions.some((s) => s.kind === 'down' && s.sid === 'a1'), 8_000);
      assert.ok(waited < 5_000, `a dead node's subscriptions went within 5 s (took ${waited} ms)`);
      await late.rec.until('a1 down on c', () => late.subscriptions.some((s) => s.kind === 'down' && s.sid === 'a1'));
      assert.equal(b.subscriptions.filter((s) => s.sid === 'a1').length, 2, 'one up and one down, each once');
    } finally {
      await Promise.all([b.bus.close(), c?.bus.close()]);
    }
  });
});
