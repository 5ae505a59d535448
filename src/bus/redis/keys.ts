// Names of every Redis key and pub/sub channel the bindings use, in one place, and the
// wire format of a bus message. Channel names hold no braces (see names.ts), so the
// `{...}` hash tags keep a channel's stream and meta in one slot should a cluster be used.

import { REDIS_KEY_PREFIX } from '../../constants.js';

export interface RedisKeys {
  /** Pub/sub channel of a bus topic. */
  topic(topic: string): string;
  /** Pub/sub channel of one user's directed messages. */
  user(userId: number): string;
  /** Pub/sub channel of presence transitions. */
  readonly presenceChannel: string;
  /** Sorted set: node id by presence deadline (ms, Redis time). */
  readonly nodes: string;
  /** Prefix of each node's hash of sid -> ConnectionAuthenticated data (JSON). */
  readonly nodePrefix: string;
  node(nodeId: string): string;
  /** Hash: userId -> live connections, cluster-wide. */
  readonly userCounts: string;
  /** Counter ordering presence transitions, so a snapshot and the stream line up. */
  readonly presenceSeq: string;
  /** Pub/sub channel of channel-subscription changes (channel presence). */
  readonly channelPresenceChannel: string;
  /** Prefix of each node's hash of `<sid> <channel>` -> SubscriptionChange (JSON). */
  readonly channelNodePrefix: string;
  channelNode(nodeId: string): string;
  /** A channel's history stream and its meta hash (epoch, offset, last ts). */
  historyStream(channel: string): string;
  historyMeta(channel: string): string;
  /** The store-wide secret that epochs of channels without a meta are derived from. */
  readonly historySecret: string;
  throttle(key: string): string;
}

export function redisKeys(prefix: string = REDIS_KEY_PREFIX): RedisKeys {
  return {
    topic: (topic) => `${prefix}t:${topic}`,
    user: (userId) => `${prefix}u:${userId}`,
    presenceChannel: `${prefix}presence`,
    nodes: `${prefix}presence:nodes`,
    nodePrefix: `${prefix}presence:node:`,
    node: (nodeId) => `${prefix}presence:node:${nodeId}`,
    userCounts: `${prefix}presence:users`,
    presenceSeq: `${prefix}presence:seq`,
    channelPresenceChannel: `${prefix}chpresence`,
    channelNodePrefix: `${prefix}chpresence:node:`,
    channelNode: (nodeId) => `${prefix}chpresence:node:${nodeId}`,
    historyStream: (channel) => `${prefix}h:{${channel}}:s`,
    historyMeta: (channel) => `${prefix}h:{${channel}}:m`,
    historySecret: `${prefix}h:secret`,
    throttle: (key) => `${prefix}throttle:${key}`,
  };
}

/** A topic or user message on the wire: `{"e": event, "d": data}`. */
export const encodeMessage = (event: string, data: unknown): string => JSON.stringify({ e: event, d: data ?? null });

/**
 * Decodes a topic or user message. Only Beacon nodes write these channels (Redis is a
 * trusted store), and this runs once per message on the fan-out path, so it checks the
 * shape by hand rather than with a schema; anything else is dropped by the caller.
 */
export function decodeMessage(raw: string): { event: string; data: unknown } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { e, d } = parsed as { e?: unknown; d?: unknown };
  return typeof e === 'string' ? { event: e, data: d ?? null } : undefined;
}
