// The shared login throttle on a real redis-server: failures counted on two "nodes" add
// up, the window opens at the first failure and ends with the key's expiry, reset clears
// it, and while Redis is down the throttle answers `unavailable` rather than guessing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createRedisThrottle, redisKeys, type AsyncThrottle } from '../../src/bus/index.js';
import { BeaconError } from '../../src/errors.js';
import { redisSkipReason, startRedis, type RedisServer } from '../support/redis.js';
import { freshPrefix, quietLogger } from '../support/redisNodes.js';

const skip = redisSkipReason();
const RULE = { limit: 3, windowSeconds: 60 };

describe('Redis login throttle', { skip }, () => {
  let redis: RedisServer;
  const opened: AsyncThrottle[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(opened.map((t) => t.close()));
    await redis.dispose();
  });
  const open = async (prefix: string, rule = RULE): Promise<AsyncThrottle> => {
    const t = await createRedisThrottle({ rule, name: 'account', prefix, redis: { url: redis.url, logger: quietLogger } });
    opened.push(t);
    return t;
  };

  test('failures on two nodes count together; at the limit both refuse for the window', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await open(prefix), await open(prefix)];
    await a.fail('alice');
    await b.fail('alice');
    assert.equal(await a.retryAfter('alice'), 0);
    await a.fail('alice');
    assert.equal(await b.retryAfter('alice'), 60);
    assert.equal(await a.retryAfter('alice'), 60);
    assert.equal(await a.retryAfter('bob'), 0, 'other keys unaffected');
    assert.equal(await a.size(), 1);
    await b.reset('alice');
    assert.equal(await a.retryAfter('alice'), 0);
    assert.equal(await a.size(), 0);
  });

  test('the window opens at the first failure; a count is never left without its expiry', async () => {
    const prefix = freshPrefix();
    const t = await open(prefix, { limit: 2, windowSeconds: 1 });
    await t.fail('k');
    await t.fail('k');
    assert.equal(await t.retryAfter('k'), 1);
    const probe = new Redis(redis.url);
    const key = redisKeys(prefix).throttle('account:k');
    const ttl = await probe.pttl(key);
    assert.ok(ttl > 0 && ttl <= 1_000, `expiry set with the first failure: ${ttl}`);
    // A count left without an expiry (a crash between two commands elsewhere) gets one on the next failure.
    await probe.persist(key);
    await t.fail('k');
    assert.ok((await probe.pttl(key)) > 0);
    await probe.quit();
  });

  test('Redis down: the throttle answers unavailable', async () => {
    const t = await open(freshPrefix());
    await redis.stop();
    try {
      const isUnavailable = (err: unknown): boolean => err instanceof BeaconError && err.code === 'unavailable';
      await assert.rejects(t.retryAfter('alice'), isUnavailable);
      await assert.rejects(t.fail('alice'), isUnavailable);
    } finally {
      await redis.start();
    }
  });
});
