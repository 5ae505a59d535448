// What the realtime side shares with other nodes, chosen from the config: the embedded
// default (in-process bus, SQLite channel history in DATA_DIR) or, with REDIS_URL, the Redis
// bus and the channel history in Redis streams, which publishes each publication itself.

import { join } from 'node:path';
import { AUTHENTICATED_TOPIC } from '../actors/index.js';
import { createInProcessBus } from '../bus/index.js';
import { createRedisBus, createRedisHistory, type RedisBus, type RedisChannelHistory } from '../bus/redis/index.js';
import { CHANNELS_DB_FILE, channelTopic, openSqliteHistory, type ChannelHistory } from '../channels/index.js';
import type { Bus } from '../ports/index.js';
import type { Core } from './core.js';
import { StartupError } from '../startupError.js';

/** The Redis bindings' start errors name REDIS_URL already: printed as they are, one line. */
const startupFailure = (err: unknown): StartupError => new StartupError(err instanceof Error ? err.message : String(err), { cause: err });

export interface Shared {
  readonly bus: Bus;
  readonly history: ChannelHistory;
  /** The history hands publications to the bus itself (the channel service must not). */
  readonly historyPublishes: boolean;
  keptByNamespace?(): Map<string, number>;
  /** Redis, when the node uses it: up or down (for /healthz and /metrics). */
  readonly redis: { bus: RedisBus; history: RedisChannelHistory } | undefined;
}

export async function openShared(core: Core): Promise<Shared> {
  const { config, clock, loggers } = core;
  const logger = loggers.websocket;
  if (config.REDIS_URL === undefined) {
    const bus = createInProcessBus({ onError: (err) => logger.warn({ err }, 'bus listener failed') });
    const history = openSqliteHistory({
      path: join(config.DATA_DIR, CHANNELS_DB_FILE),
      clock,
      onError: (err) => logger.error({ err }, 'channel history failed'),
    });
    return { bus, history, historyPublishes: false, keptByNamespace: () => history.keptByNamespace(), redis: undefined };
  }
  const url = config.REDIS_URL;
  const bus = await createRedisBus({
    url,
    nodeId: config.NODE_ID,
    clock,
    logger,
    // Every authenticated connection hears the authenticated topic: the bus joins it for them.
    connectionTopics: [AUTHENTICATED_TOPIC],
  }).catch((err: unknown) => {
    throw startupFailure(err);
  });
  let history: RedisChannelHistory;
  try {
    // Published from the append script: every node hears one channel in offset order.
    history = await createRedisHistory({ url, clock, logger, topicOf: channelTopic });
  } catch (err) {
    bus.abandon();
    throw startupFailure(err);
  }
  return { bus, history, historyPublishes: true, redis: { bus, history } };
}
