// The Redis bindings of cluster mode: the Bus (fan-out and presence across nodes), the
// channel history in Redis streams, and the login throttle's shared counts.

export { createRedisBus } from './redisBus.js';
export type { RedisBus, RedisBusOptions, RedisBusStats } from './redisBus.js';
export type { RedisLogger } from './connection.js';
export { redisKeys } from './keys.js';
export type { RedisKeys } from './keys.js';
export { createRedisHistory } from './redisHistory.js';
export type { RedisChannelHistory, RedisHistoryOptions } from './redisHistory.js';
export { createRedisThrottle } from './redisThrottle.js';
export type { AsyncThrottle, RedisThrottleOptions } from './redisThrottle.js';
