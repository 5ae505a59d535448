// The login throttle with its counts in Redis, so every node counts the same failures:
// the fixed window of src/auth/throttle.ts (it opens at the first failure and lasts the
// rule's window), kept by Redis's key expiry. Each call answers a promise, since the
// in-memory throttle's synchronous interface cannot wait for a round trip.

import type { Redis } from 'ioredis';
import type { ThrottleRule } from '../../auth/throttle.js';
import { commandConnection, connectOrFail, defineScript, reportErrors, unavailable, type RedisLogger } from './connection.js';
import { redisKeys } from './keys.js';

/** src/auth/throttle.ts's Throttle, each answer a promise (rejecting `unavailable`). */
export interface AsyncThrottle {
  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string): Promise<number>;
  fail(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  /** Keys with a current window (a scan: for metrics and tests, not a hot path). */
  size(): Promise<number>;
  /** Closes the connection it opened (a connection it was given stays open). */
  close(): Promise<void>;
}

/** One failure: the count and its window's expiry in one step (a key is never left without one). */
const failScript = defineScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`);

/** {failures, ms left in the window}; a missing key is {0, 0}. */
const peekScript = defineScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {n, ttl}
`);

export interface RedisThrottleOptions {
  rule: ThrottleRule;
  /** Tells apart throttles sharing a Redis (`account`, `address`). */
  name: string;
  prefix?: string;
  /** An existing command connection, or a URL to open one for this throttle. */
  redis: Redis | { url: string; logger: RedisLogger };
}

export async function createRedisThrottle(options: RedisThrottleOptions): Promise<AsyncThrottle> {
  const keys = redisKeys(options.prefix);
  let cmd: Redis;
  const owned = 'url' in options.redis;
  if ('url' in options.redis) {
    const { logger } = options.redis;
    cmd = commandConnection(options.redis.url, `beacon:throttle:${options.name}`);
    reportErrors(cmd, logger, `throttle ${options.name}`);
    await connectOrFail(cmd);
  } else {
    cmd = options.redis;
  }
  const windowMs = options.rule.windowSeconds * 1000;
  const keyOf = (key: string): string => keys.throttle(`${options.name}:${key}`);
  const wrap = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw unavailable(err);
    }
  };

  return {
    retryAfter: (key) =>
      wrap(async () => {
        const reply = (await peekScript(cmd, [keyOf(key)], [])) as [number, number];
        const [failures, leftMs] = reply;
        if (failures < options.rule.limit) return 0;
        return Math.max(1, Math.ceil(leftMs / 1000));
      }),
    fail: (key) => wrap(async () => void (await failScript(cmd, [keyOf(key)], [windowMs]))),
    reset: (key) => wrap(async () => void (await cmd.del(keyOf(key)))),
    size: () =>
      wrap(async () => {
        let cursor = '0';
        let count = 0;
        do {
          const [next, found] = await cmd.scan(cursor, 'MATCH', keyOf('*'), 'COUNT', 1000);
          cursor = next;
          count += found.length;
        } while (cursor !== '0');
        return count;
      }),
    async close() {
      if (!owned) return;
      try {
        await cmd.quit();
      } catch {
        // Already gone: nothing left to release but the socket.
        cmd.disconnect();
      }
    },
  };
}
