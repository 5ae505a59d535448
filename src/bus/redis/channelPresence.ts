// Channel presence across nodes: each node keeps its own channel subscriptions in a hash
// of its own in Redis and publishes every change with it in one script, so what Redis holds
// and what the others hear never disagree. The others fold what they hear into a copy; a
// node's entries go with its connections (reaped, or closed), and a node re-registers its
// whole set when Redis may have lost it, so join/leave and channel_presence span the cluster.

import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { SubscriptionChange } from '../../ports/index.js';
import { defineScript, type RedisLogger } from './connection.js';
import type { RedisKeys } from './keys.js';

/**
 * KEYS: node hash. ARGV: pub/sub channel, message, then per change 'u' field json / 'd' field.
 * The message is published after the hash moved, in the same script.
 */
const applyScript = defineScript(`
for i = 3, #ARGV, 3 do
  if ARGV[i] == 'u' then redis.call('HSET', KEYS[1], ARGV[i + 1], ARGV[i + 2])
  else redis.call('HDEL', KEYS[1], ARGV[i + 1]) end
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`);

/** KEYS: node hash. ARGV: pub/sub channel, message, then field json pairs: the whole set. */
const syncScript = defineScript(`
redis.call('DEL', KEYS[1])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`);

/** KEYS: nodes sorted set. ARGV: node hash prefix. Node id and HGETALL per registered node. */
const snapshotScript = defineScript(`
local out = {}
for _, node in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  table.insert(out, node)
  table.insert(out, redis.call('HGETALL', ARGV[1] .. node))
end
return out
`);

const Change = z.strictObject({
  kind: z.enum(['up', 'down']),
  channel: z.string(),
  sid: z.string(),
  userId: z.number().int(),
  username: z.string(),
});
/** `{n: node, c: [change...]}` (changes in order) or `{n: node, s: [up...]}` (the node's whole set). */
const Message = z.union([z.strictObject({ n: z.string(), c: z.array(Change) }), z.strictObject({ n: z.string(), s: z.array(Change) })]);

export interface ChannelPresenceSync {
  /** A change of this node's: Redis and the other nodes hear it (batched per event-loop turn). */
  local(change: SubscriptionChange): void;
  /** A raw message from the channel presence pub/sub. */
  message(raw: string): void;
  /** Another node's connection is gone (closed or reaped): its subscriptions end here. */
  connectionLost(sid: string): void;
  /** Re-reads every registered node's set (the stream may have had a gap). */
  rebase(): Promise<void>;
  /** Registers this node's whole set (start, Redis back, this node reaped). */
  sync(): Promise<void>;
  /** Takes this node's set out of Redis (clean shutdown). */
  leave(): Promise<void>;
  /** Other nodes' subscriptions known now (for a listener that arrives late). */
  current(): IterableIterator<SubscriptionChange>;
}

export interface ChannelPresenceOptions {
  cmd: Redis;
  sub: Redis;
  keys: RedisKeys;
  nodeId: string;
  logger: RedisLogger;
  /** Tells the local listeners of a remote change. */
  emit(change: SubscriptionChange): void;
}

const fieldOf = (c: { sid: string; channel: string }): string => `${c.sid} ${c.channel}`;

export function createChannelPresence(options: ChannelPresenceOptions): ChannelPresenceSync {
  const { cmd, sub, keys, nodeId, logger, emit } = options;
  const nodeKey = keys.channelNode(nodeId);
  const mine = new Map<string, SubscriptionChange>();
  /** Remote: field -> its node and the `up` that brought it; sid -> its fields. */
  const remote = new Map<string, { node: string; up: SubscriptionChange }>();
  const bySid = new Map<string, Set<string>>();
  /** Messages heard while a snapshot is read: replayed after it, in order. */
  let buffer: string[] | undefined;
  let queued: SubscriptionChange[] = [];
  let scheduled = false;
  let syncing: Promise<void> | undefined;

  const up = (node: string, change: SubscriptionChange): void => {
    const field = fieldOf(change);
    if (remote.has(field)) return;
    const entry = { node, up: { ...change, kind: 'up' as const } };
    remote.set(field, entry);
    let fields = bySid.get(change.sid);
    if (fields === undefined) bySid.set(change.sid, (fields = new Set()));
    fields.add(field);
    emit(entry.up);
  };
  const down = (field: string): void => {
    const entry = remote.get(field);
    if (entry === undefined) return;
    remote.delete(field);
    const fields = bySid.get(entry.up.sid);
    fields?.delete(field);
    if (fields?.size === 0) bySid.delete(entry.up.sid);
    emit({ ...entry.up, kind: 'down' });
  };
  /** Makes `node`'s entries exactly `ups`: ups first, so a moved subscription never dips. */
  const replace = (node: string, ups: readonly SubscriptionChange[]): void => {
    const keep = new Set<string>();
    for (const change of ups) {
      keep.add(fieldOf(change));
      up(node, change);
    }
    for (const [field, entry] of [...remote]) if (entry.node === node && !keep.has(field)) down(field);
  };

  const apply = (raw: string): void => {
    let parsed;
    try {
      parsed = Message.safeParse(JSON.parse(raw));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success !== true) return logger.warn({ raw }, 'malformed channel presence message ignored');
    const m = parsed.data;
    if (m.n === nodeId) return;
    if ('s' in m) return replace(m.n, m.s);
    for (const change of m.c) {
      if (change.kind === 'up') up(m.n, change);
      else down(fieldOf(change));
    }
  };

  const flush = (): void => {
    scheduled = false;
    const changes = queued;
    queued = [];
    if (changes.length === 0) return;
    const args: string[] = [keys.channelPresenceChannel, JSON.stringify({ n: nodeId, c: changes })];
    for (const c of changes) {
      if (c.kind === 'up') args.push('u', fieldOf(c), JSON.stringify(c));
      else args.push('d', fieldOf(c), '');
    }
    applyScript(cmd, [nodeKey], args).catch((err: unknown) => {
      // Redis may now differ from this node's set: registered again in full once it answers.
      logger.warn({ err, nodeId }, 'redis channel presence change failed; registering again');
      if (cmd.status === 'ready') void sync();
    });
  };

  function sync(): Promise<void> {
    if (syncing !== undefined) return syncing;
    const ups = [...mine.values()];
    const args: string[] = [keys.channelPresenceChannel, JSON.stringify({ n: nodeId, s: ups })];
    for (const c of ups) args.push(fieldOf(c), JSON.stringify(c));
    const run = syncScript(cmd, [nodeKey], args)
      .then(() => undefined)
      .catch((err: unknown) => logger.warn({ err, nodeId }, 'redis channel presence registration failed'))
      .finally(() => (syncing = undefined));
    syncing = run;
    return run;
  }

  return {
    local(change) {
      const field = fieldOf(change);
      if (change.kind === 'up') {
        if (mine.has(field)) return;
        mine.set(field, change);
      } else if (!mine.delete(field)) return;
      queued.push(change);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    message(raw) {
      if (buffer !== undefined) buffer.push(raw);
      else apply(raw);
    },
    connectionLost(sid) {
      for (const field of [...(bySid.get(sid) ?? [])]) down(field);
    },
    async rebase() {
      buffer ??= [];
      try {
        await sub.subscribe(keys.channelPresenceChannel);
        const reply = await snapshotScript(cmd, [keys.nodes], [keys.channelNodePrefix]);
        if (!Array.isArray(reply)) throw new Error('channel presence snapshot: unexpected reply');
        for (let i = 0; i + 1 < reply.length; i += 2) {
          const node: unknown = reply[i];
          const flat: unknown = reply[i + 1];
          if (typeof node !== 'string' || !Array.isArray(flat) || node === nodeId) continue;
          const ups: SubscriptionChange[] = [];
          for (let j = 1; j < flat.length; j += 2) {
            const parsed = typeof flat[j] === 'string' ? Change.safeParse(JSON.parse(flat[j] as string)) : undefined;
            if (parsed?.success === true) ups.push(parsed.data);
          }
          // Nodes absent from the snapshot keep their entries: they go with their connections.
          replace(node, ups);
        }
      } catch (err) {
        logger.warn({ err, nodeId }, 'redis channel presence snapshot failed');
      } finally {
        const held = buffer ?? [];
        buffer = undefined;
        for (const raw of held) apply(raw);
      }
    },
    sync,
    async leave() {
      mine.clear();
      queued = [];
      if (cmd.status !== 'ready') return;
      await syncScript(cmd, [nodeKey], [keys.channelPresenceChannel, JSON.stringify({ n: nodeId, s: [] })]);
      await cmd.del(nodeKey);
    },
    *current() {
      for (const entry of remote.values()) yield entry.up;
    },
  };
}
