// This node's own presence in Redis: its connections under its node id, a heartbeat that
// renews its deadline and reaps nodes past theirs, and a full re-registration whenever
// Redis may have lost or dropped them (start, Redis back, this node reaped after a stall).
// The local set of connections is the truth; Redis is brought back to it, never the reverse.

import type { Redis } from 'ioredis';
import { CloseCode, REDIS_PRESENCE_BATCH } from '../../constants.js';
import type { EventOf } from '../../events/index.js';
import type { RedisLogger } from './connection.js';
import type { RedisKeys } from './keys.js';
import { NODE_LOST_REASON } from './clusterView.js';
import { presenceApply, presenceHeartbeat, presenceLeave, presenceSync } from './presenceLua.js';
import { storedOf } from './presenceWire.js';

export interface NodePresence {
  up(change: EventOf<'ConnectionAuthenticated'>): void;
  down(change: EventOf<'ConnectionClosed'>): void;
  has(sid: string): boolean;
  /** This node's connections, as the changes that brought them. */
  current(): IterableIterator<EventOf<'ConnectionAuthenticated'>>;
  /** Renews the deadline (re-registering when Redis no longer knows this node); may reap. */
  beat(reap: boolean): Promise<void>;
  /** Registers the whole local set of connections. */
  sync(): Promise<void>;
  /** Takes this node out of presence (clean shutdown). */
  leave(): Promise<void>;
  /** Redis holds this node's connections as they are here, as far as this node knows. */
  readonly registered: boolean;
  readonly connections: number;
}

export interface NodePresenceOptions {
  cmd: Redis;
  keys: RedisKeys;
  nodeId: string;
  deadlineMs: number;
  logger: RedisLogger;
  /** Told after each registration of the whole set (what else the node keeps per node follows it). */
  onSynced?(): void;
  /** Told when a heartbeat reaped dead nodes. */
  onReaped?(nodes: number): void;
}

export function createNodePresence(options: NodePresenceOptions): NodePresence {
  const { cmd, keys, nodeId, logger } = options;
  const local = new Map<string, EventOf<'ConnectionAuthenticated'>>();
  const nodeKey = keys.node(nodeId);
  let registered = false;
  let syncing: Promise<void> | undefined;

  const connected = (): boolean => cmd.status === 'ready';
  /** Redis may be missing a change: the next beat (or an immediate sync) puts it right. */
  const unsynced = (err?: unknown): void => {
    if (registered) logger.warn({ err, nodeId }, 'redis presence out of sync; registering again');
    registered = false;
    if (connected()) void sync();
  };

  function sync(): Promise<void> {
    // One at a time; a change made meanwhile was sent after it, in order, on the same connection.
    if (syncing !== undefined) return syncing;
    const args: (string | number)[] = [nodeId, options.deadlineMs, keys.presenceChannel, CloseCode.goingAway, NODE_LOST_REASON];
    for (const up of local.values()) args.push(up.data.sid, up.data.userId, storedOf(up));
    const run = presenceSync(cmd, [keys.nodes, nodeKey, keys.userCounts, keys.presenceSeq], args)
      .then(() => {
        registered = true;
        options.onSynced?.();
      })
      .catch((err: unknown) => {
        registered = false;
        logger.warn({ err, nodeId }, 'redis presence registration failed');
      })
      .finally(() => {
        syncing = undefined;
      });
    syncing = run;
    return run;
  }

  /**
   * Changes of one event-loop turn go in one script (a storm of connections costs a script
   * and a message per turn, not per connection), at most REDIS_PRESENCE_BATCH per script.
   */
  let queued: (string | number)[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const ops = queued;
    queued = [];
    if (ops.length === 0) return;
    if (!connected()) return unsynced();
    for (let i = 0; i < ops.length; i += REDIS_PRESENCE_BATCH * 4) {
      const args = [nodeId, keys.presenceChannel, ...ops.slice(i, i + REDIS_PRESENCE_BATCH * 4)];
      presenceApply(cmd, [keys.nodes, nodeKey, keys.userCounts, keys.presenceSeq], args).then(
        (result) => (result === -1 ? unsynced() : undefined),
        (err: unknown) => unsynced(err),
      );
    }
  };
  const enqueue = (...op: (string | number)[]): void => {
    queued.push(...op);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  return {
    up(change) {
      if (local.has(change.data.sid)) return;
      local.set(change.data.sid, change);
      enqueue('u', change.data.sid, change.data.userId, storedOf(change));
    },
    down(change) {
      // Another node's sid (the hub reconciling its view) is that node's to remove.
      if (!local.delete(change.data.sid)) return;
      enqueue('d', change.data.sid, change.data.code, change.data.reason);
    },
    has: (sid) => local.has(sid),
    current: () => local.values(),
    async beat(reap) {
      if (!connected()) return;
      if (!registered) return sync();
      const args = [nodeId, options.deadlineMs, reap ? 1 : 0, keys.presenceChannel, CloseCode.goingAway, NODE_LOST_REASON, keys.nodePrefix, keys.channelNodePrefix];
      try {
        const result = await presenceHeartbeat(cmd, [keys.nodes, keys.userCounts, keys.presenceSeq], args);
        if (result === -1) return unsynced();
        if (typeof result === 'number' && result > 0) {
          logger.warn({ nodeId, reaped: result }, 'reaped nodes past their presence deadline');
          options.onReaped?.(result);
        }
      } catch (err) {
        logger.warn({ err, nodeId }, 'redis heartbeat failed');
      }
    },
    sync,
    async leave() {
      registered = false;
      local.clear();
      queued = [];
      if (!connected()) return;
      const args = [nodeId, keys.presenceChannel, CloseCode.goingAway, 'node stopped'];
      await presenceLeave(cmd, [keys.nodes, nodeKey, keys.userCounts, keys.presenceSeq], args);
    },
    get registered() {
      return registered;
    },
    get connections() {
      return local.size;
    },
  };
}
