// Redis connections as the bindings use them: a command connection that fails fast while
// Redis is away (no offline queue, nothing resent), a subscriber connection that
// resubscribes by itself, and Lua scripts run by SHA with a fallback to the source.

import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { REDIS_COMMAND_TIMEOUT_MS, REDIS_CONNECT_TIMEOUT_MS, REDIS_RECONNECT_MAX_MS } from '../../constants.js';
import { BeaconError } from '../../errors.js';

export interface RedisLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Reconnects quickly and forever: a returned Redis is found within REDIS_RECONNECT_MAX_MS. */
const retryStrategy = (times: number): number => Math.min(50 * times, REDIS_RECONNECT_MAX_MS);

const common = (name: string): RedisOptions => ({
  lazyConnect: true,
  connectionName: name,
  retryStrategy,
  connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
});

/**
 * Commands fail at once while Redis is unreachable (`unavailable` to the caller) instead of
 * queueing for a later that may deliver to half an audience; a command in flight when the
 * connection drops fails too rather than being resent (an append must never run twice).
 */
export function commandConnection(url: string, name: string): Redis {
  return new Redis(url, {
    ...common(name),
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  });
}

/** The subscriber keeps its channels across reconnects (ioredis resubscribes them). */
export function subscriberConnection(url: string, name: string): Redis {
  return new Redis(url, { ...common(name), autoResubscribe: true, enableOfflineQueue: true, maxRetriesPerRequest: null });
}

/** Connects within REDIS_CONNECT_TIMEOUT_MS or rejects naming the setting, as a start must. */
export async function connectOrFail(redis: Redis, setting = 'REDIS_URL'): Promise<void> {
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`${setting}: cannot reach Redis (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

/**
 * Logs a connection's errors once per outage: ioredis reports every failed reconnect
 * (every REDIS_RECONNECT_MAX_MS), which would flood the log while Redis is away. Listening
 * at all matters too: an 'error' nobody listens to is printed by ioredis as unhandled.
 */
export function reportErrors(redis: Redis, logger: RedisLogger, what: string, fields: object = {}): void {
  let reported = false;
  redis.on('error', (err: unknown) => {
    if (reported) return;
    reported = true;
    logger.warn({ ...fields, err }, `redis ${what} connection error (reconnecting)`);
  });
  redis.on('ready', () => {
    if (reported) logger.info(fields, `redis ${what} connection back`);
    reported = false;
  });
}

/** Wraps a Redis failure as the catalogue's `unavailable`. */
export const unavailable = (err: unknown): BeaconError =>
  err instanceof BeaconError ? err : new BeaconError('unavailable', { message: 'Shared store unavailable', cause: err });

export type Script = (redis: Redis, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/** A Lua script run by SHA; after a Redis restart (script cache empty) it is sent once in full. */
export function defineScript(lua: string): Script {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (redis, keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return await redis.eval(lua, keys.length, ...keys, ...args);
    }
  };
}

/**
 * Ends a connection politely; one that cannot send QUIT is dropped instead. While Redis is
 * away a QUIT would wait in ioredis's offline queue for ever, so a stopping node would hang.
 */
export async function quitConnection(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') return void redis.disconnect();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, REDIS_COMMAND_TIMEOUT_MS)));
  await Promise.race([redis.quit().then(() => undefined, () => undefined), late]);
  clearTimeout(timer);
  redis.disconnect();
}
