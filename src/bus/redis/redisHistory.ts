// The channel history in Redis streams (the ChannelHistory port, shared by every node):
// offsets and epoch taken atomically with the append (historyLua.ts), retention by size
// (MAXLEN) and age (each entry's expiry, and the stream's own TTL refreshed on append),
// and `since` answered by the contract's one rule, recoveryFrom.

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CHANNEL_HISTORY_SIZE_MAX, CHANNEL_META_TTL_SECONDS } from '../../constants.js';
import { systemClock, type Clock } from '../../clock.js';
import { BeaconError } from '../../errors.js';
import { recoveryFrom, type ChannelHistory, type Publication, type PublicationSender } from '../../channels/index.js';
import { commandConnection, connectOrFail, reportErrors, unavailable, type RedisLogger } from './connection.js';
import { historyAppend, historyRead } from './historyLua.js';
import { redisKeys } from './keys.js';

export interface RedisHistoryOptions {
  url: string;
  logger: RedisLogger;
  clock?: Clock;
  prefix?: string;
  /**
   * How long a channel's head outlives its last publication (default CHANNEL_META_TTL_SECONDS);
   * also the period of the derived epochs (historyLua.ts).
   */
  metaTtlSeconds?: number;
  /**
   * Publish each publication on the bus topic `topicOf(channel)` (event `publication`) in
   * the same script as the append, so every node hears a channel's publications in offset
   * order; the caller then does not publish them itself. Off when unset.
   */
  topicOf?(channel: string): string;
  /** The store secret epochs are derived from, made when Redis has none; default 16 random bytes. */
  newSecret?: () => string;
}

export interface RedisChannelHistory extends ChannelHistory {
  healthy(): boolean;
}

type Entry = [id: string, fields: string[]];

export async function createRedisHistory(options: RedisHistoryOptions): Promise<RedisChannelHistory> {
  const clock = options.clock ?? systemClock;
  const keys = redisKeys(options.prefix);
  const metaTtlMs = (options.metaTtlSeconds ?? CHANNEL_META_TTL_SECONDS) * 1000;
  const newSecret = options.newSecret ?? ((): string => randomBytes(16).toString('base64url'));
  const keysOf = (channel: string): string[] => [keys.historyStream(channel), keys.historyMeta(channel), keys.historySecret];
  const cmd: Redis = commandConnection(options.url, 'beacon:history');
  reportErrors(cmd, options.logger, 'history');
  await connectOrFail(cmd);
  let closed = false;

  const guard = async <T>(run: () => Promise<T>): Promise<T> => {
    if (closed) throw new BeaconError('unavailable', { message: 'Channel history is closed' });
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof BeaconError)) options.logger.warn({ err }, 'redis history failed');
      throw unavailable(err);
    }
  };

  const read = async (channel: string, args: (string | number)[]): Promise<{ offset: number; epoch: string; entries: Entry[] }> => {
    const reply = await historyRead(cmd, keysOf(channel), [newSecret(), channel, metaTtlMs, ...args]);
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'string' || !Array.isArray(reply[2])) {
      throw new Error('history read: unexpected reply');
    }
    return { offset: reply[0], epoch: reply[1], entries: reply[2] as Entry[] };
  };

  /** Kept entries as publications; those past their age are not kept any more. */
  const publications = (channel: string, epoch: string, entries: readonly Entry[]): Publication[] => {
    const now = clock.now();
    const out: Publication[] = [];
    for (const [id, flat] of entries) {
      const fields = new Map<string, string>();
      for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
      if (Number(fields.get('x')) <= now) continue;
      const from = JSON.parse(fields.get('f') ?? 'null') as PublicationSender | null;
      out.push({ channel, offset: Number.parseInt(id, 10), epoch, from, data: JSON.parse(fields.get('d') ?? 'null') as unknown, ts: Number(fields.get('t')) });
    }
    return out;
  };

  return {
    append(channel, input, retention) {
      let data: string;
      try {
        data = JSON.stringify(input.data ?? null);
      } catch (err) {
        return Promise.reject(new BeaconError('invalid_message', { message: 'Publication data is not JSON', cause: err }));
      }
      const from = input.from === null ? null : { username: input.from.username, user_id: input.from.user_id };
      const fromJson = JSON.stringify(from);
      const size = Math.min(Math.max(0, Math.floor(retention.size)), CHANNEL_HISTORY_SIZE_MAX);
      const ttlMs = Math.max(0, Math.floor(retention.ttlSeconds * 1000));
      const topic = options.topicOf === undefined ? '' : keys.topic(options.topicOf(channel));
      return guard(async () => {
        const args = [newSecret(), channel, metaTtlMs, clock.now(), size, ttlMs, data, fromJson, topic, JSON.stringify(channel), '"publication"'];
        const reply = await historyAppend(cmd, keysOf(channel), args);
        if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'string') throw new Error('history append: unexpected reply');
        return { channel, offset: reply[0], epoch: reply[1], from, data: input.data ?? null, ts: Number(reply[2]) };
      });
    },
    since(channel, since, limit = CHANNEL_HISTORY_SIZE_MAX) {
      return guard(async () => {
        const offset = Number.isSafeInteger(since.offset) ? since.offset : -1;
        const head = await read(channel, ['since', since.epoch, offset, limit]);
        return recoveryFrom(head, since, publications(channel, head.epoch, head.entries));
      });
    },
    head: (channel) =>
      guard(async () => {
        const { offset, epoch } = await read(channel, ['head']);
        return { offset, epoch };
      }),
    recent(channel, limit, after) {
      const count = Math.max(0, Math.floor(limit));
      return guard(async () => {
        if (count === 0) {
          const { offset, epoch } = await read(channel, ['head']);
          return { offset, epoch, publications: [] };
        }
        const head = await read(channel, after === undefined ? ['last', count] : ['after', after, count]);
        const entries = after === undefined ? [...head.entries].reverse() : head.entries;
        return { offset: head.offset, epoch: head.epoch, publications: publications(channel, head.epoch, entries) };
      });
    },
    healthy: () => !closed && cmd.status === 'ready',
    async close() {
      if (closed) return;
      closed = true;
      try {
        await cmd.quit();
      } catch (err) {
        options.logger.warn({ err }, 'redis history quit failed');
        cmd.disconnect();
      }
    },
  };
}
