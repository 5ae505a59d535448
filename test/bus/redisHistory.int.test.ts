// The Redis channel history on a real redis-server, two instances standing for two nodes:
// offsets without gaps or repeats across nodes, exact recovery by the contract's rule,
// retention by size and age, a new epoch when Redis lost the history (FLUSHALL), the
// publication published with its append in offset order, and `unavailable` when down.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createRedisHistory, redisKeys, type RedisChannelHistory } from '../../src/bus/index.js';
import { BeaconError } from '../../src/errors.js';
import { redisSkipReason, startRedis, type RedisServer } from '../support/redis.js';
import { freshPrefix, quietLogger, startNode } from '../support/redisNodes.js';

const skip = redisSkipReason();
const KEEP = { size: 100, ttlSeconds: 3_600 };
const alice = { username: 'alice', user_id: 1 };

function fakeClock(start = 1_700_000_000_000): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('Redis channel history', { skip }, () => {
  let redis: RedisServer;
  const opened: RedisChannelHistory[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(opened.map((h) => h.close()));
    await redis.dispose();
  });
  const open = async (prefix: string, extra: Partial<Parameters<typeof createRedisHistory>[0]> = {}): Promise<RedisChannelHistory> => {
    const h = await createRedisHistory({ url: redis.url, logger: quietLogger, prefix, ...extra });
    opened.push(h);
    return h;
  };

  test('two nodes appending at once: offsets 1..n, no gap, no repeat, each node in offset order', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await open(prefix), await open(prefix)];
    const order: Record<string, number[]> = { a: [], b: [] };
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      appends.push(a.append('room:x', { from: alice, data: { i } }, KEEP).then((p) => order['a']?.push(p.offset)));
      appends.push(b.append('room:x', { from: null, data: { i } }, KEEP).then((p) => order['b']?.push(p.offset)));
    }
    await Promise.all(appends);
    const all = [...(order['a'] ?? []), ...(order['b'] ?? [])].sort((x, y) => x - y);
    assert.deepEqual(all, Array.from({ length: 80 }, (_, i) => i + 1));
    for (const list of Object.values(order)) assert.deepEqual(list, [...list].sort((x, y) => x - y), 'resolved in offset order');
    const head = await b.head('room:x');
    assert.equal(head.offset, 80);
    const page = await a.recent('room:x', 100);
    assert.deepEqual(page.publications.map((p) => p.offset), all);
    assert.equal(page.publications.every((p) => p.epoch === head.epoch), true);
  });

  test('since: exactly the publications after, or not recovered (beyond the head, a foreign epoch, too many)', async () => {
    const h = await open(freshPrefix());
    for (let i = 1; i <= 5; i++) await h.append('room:r', { from: alice, data: { i } }, KEEP);
    const { epoch } = await h.head('room:r');
    const got = await h.since('room:r', { offset: 2, epoch });
    assert.equal(got.recovered, true);
    assert.deepEqual(got.publications.map((p) => [p.offset, p.data]), [[3, { i: 3 }], [4, { i: 4 }], [5, { i: 5 }]]);
    assert.deepEqual(got.publications[0]?.from, alice);
    assert.deepEqual(await h.since('room:r', { offset: 5, epoch }), { recovered: true, epoch, offset: 5, publications: [] });
    const miss = { recovered: false, epoch, offset: 5, publications: [] };
    assert.deepEqual(await h.since('room:r', { offset: 6, epoch }), miss);
    assert.deepEqual(await h.since('room:r', { offset: 2, epoch: 'other' }), miss);
    assert.deepEqual(await h.since('room:r', { offset: 1.5, epoch }), miss);
    assert.deepEqual(await h.since('room:r', { offset: 0, epoch }, 4), miss, 'more than the limit is not handed over in part');
  });

  test('retention by size: trimmed publications make an older position unrecoverable', async () => {
    const h = await open(freshPrefix());
    for (let i = 1; i <= 5; i++) await h.append('room:s', { from: null, data: i }, { size: 3, ttlSeconds: 60 });
    const { epoch } = await h.head('room:s');
    assert.equal((await h.since('room:s', { offset: 1, epoch })).recovered, false);
    assert.deepEqual((await h.since('room:s', { offset: 2, epoch })).publications.map((p) => p.offset), [3, 4, 5]);
    assert.deepEqual((await h.recent('room:s', 2)).publications.map((p) => p.offset), [4, 5]);
    assert.deepEqual((await h.recent('room:s', 10, 3)).publications.map((p) => p.offset), [4, 5]);
    // Size 0 keeps nothing, but offsets go on.
    const none = await h.append('room:s', { from: null, data: 6 }, { size: 0, ttlSeconds: 60 });
    assert.equal(none.offset, 6);
    assert.deepEqual((await h.recent('room:s', 10)).publications, []);
  });

  test('retention by age: an aged-out publication is not kept; the stream expires with its TTL', async () => {
    const prefix = freshPrefix();
    const clock = fakeClock();
    const h = await open(prefix, { clock });
    await h.append('room:t', { from: null, data: 1 }, { size: 10, ttlSeconds: 10 });
    clock.advance(6_000);
    await h.append('room:t', { from: null, data: 2 }, { size: 10, ttlSeconds: 10 });
    const { epoch } = await h.head('room:t');
    clock.advance(5_000); // the first is 11 s old, the second 5 s
    assert.equal((await h.since('room:t', { offset: 0, epoch })).recovered, false);
    assert.deepEqual((await h.since('room:t', { offset: 1, epoch })).publications.map((p) => p.offset), [2]);
    assert.deepEqual((await h.recent('room:t', 10)).publications.map((p) => p.offset), [2]);
    const probe = new Redis(redis.url);
    const ttl = await probe.pttl(redisKeys(prefix).historyStream('room:t'));
    assert.ok(ttl > 9_000 && ttl <= 10_000, `stream TTL refreshed on append: ${ttl}`);
    await probe.quit();
  });

  test('Redis lost the history (FLUSHALL): a new epoch, so the old position is not recovered', async () => {
    const h = await open(freshPrefix());
    const first = await h.head('room:f');
    assert.equal(first.offset, 0);
    const p1 = await h.append('room:f', { from: null, data: 1 }, KEEP);
    assert.equal(p1.epoch, first.epoch, 'the epoch head promised is the one the first publication carries');
    await h.append('room:f', { from: null, data: 2 }, KEEP);
    const probe = new Redis(redis.url);
    await probe.flushall();
    await probe.quit();
    const after = await h.since('room:f', { offset: 1, epoch: first.epoch });
    assert.equal(after.recovered, false);
    assert.equal(after.offset, 0);
    assert.notEqual(after.epoch, first.epoch);
    const next = await h.append('room:f', { from: null, data: 3 }, KEEP);
    assert.deepEqual([next.offset, next.epoch], [1, after.epoch]);
  });

  test('reading a channel that has no publication writes nothing, and its head epoch is the one its first publication carries', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await open(prefix), await open(prefix)];
    const head = await a.head('room:empty');
    assert.deepEqual(await b.head('room:empty'), head, 'every node derives the same head');
    assert.equal((await a.since('room:empty', { offset: 0, epoch: head.epoch })).recovered, true);
    await a.recent('room:empty', 10);
    const probe = new Redis(redis.url);
    assert.deepEqual(await probe.keys(`${prefix}h:{*`), [], 'no key per channel asked about');
    await probe.quit();
    const first = await b.append('room:empty', { from: null, data: 1 }, KEEP);
    assert.equal(first.epoch, head.epoch);
  });

  test('a head that expired (no publication for the meta TTL) comes back under a new epoch', async () => {
    const prefix = freshPrefix();
    const h = await open(prefix, { metaTtlSeconds: 1 });
    const probe = new Redis(redis.url);
    const events = new Redis(redis.url);
    await probe.config('SET', 'notify-keyspace-events', 'Ex');
    const meta = redisKeys(prefix).historyMeta('room:e');
    const expired = new Promise<void>((resolve) => events.on('message', (_c: string, key: string) => key === meta && resolve()));
    await events.subscribe('__keyevent@0__:expired');
    const p1 = await h.append('room:e', { from: null, data: 1 }, { size: 10, ttlSeconds: 1 });
    await expired; // Redis expired the meta (an event, not a guess at how long to wait)
    const head = await h.head('room:e');
    assert.equal(head.offset, 0);
    assert.notEqual(head.epoch, p1.epoch, 'the lost history has a new epoch');
    assert.equal((await h.since('room:e', { offset: 1, epoch: p1.epoch })).recovered, false);
    const next = await h.append('room:e', { from: null, data: 2 }, KEEP);
    assert.deepEqual([next.offset, next.epoch], [1, head.epoch]);
    await events.quit();
    await probe.quit();
  });

  test('with topicOf, each publication is published with its append: a bus node hears them in offset order', async () => {
    const prefix = freshPrefix();
    const node = await startNode(redis.url, { prefix });
    await node.bus.join('room:p');
    const [a, b] = [await open(prefix, { topicOf: (c) => c }), await open(prefix, { topicOf: (c) => c })];
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) appends.push(a.append('room:p', { from: alice, data: i }, KEEP), b.append('room:p', { from: null, data: i }, KEEP));
    await Promise.all(appends);
    await node.rec.until('40 publications', () => node.rec.of('topic', 'publication').length === 40);
    const heard = node.rec.of('topic', 'publication').map((h) => h.data as { channel: string; offset: number; epoch: string });
    assert.deepEqual(heard.map((p) => p.offset), Array.from({ length: 40 }, (_, i) => i + 1));
    const { epoch } = await a.head('room:p');
    assert.equal(heard.every((p) => p.channel === 'room:p' && p.epoch === epoch), true);
    await node.bus.close();
  });

  test('Redis down: append and since reject unavailable', async () => {
    const h = await open(freshPrefix());
    await redis.stop();
    try {
      const isUnavailable = (err: unknown): boolean => err instanceof BeaconError && err.code === 'unavailable';
      await assert.rejects(h.append('room:d', { from: null, data: 1 }, KEEP), isUnavailable);
      await assert.rejects(h.since('room:d', { offset: 0, epoch: 'x' }), isUnavailable);
    } finally {
      await redis.start();
    }
  });
});
