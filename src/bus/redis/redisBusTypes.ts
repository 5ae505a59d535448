// The Redis Bus's types: its options, what it offers beyond the Bus port (promises that
// reject `unavailable`, counted join / leave, health), and its counters for /metrics.

import type { Clock } from '../../clock.js';
import type { Bus } from '../../ports/index.js';
import type { RedisLogger } from './connection.js';

export interface RedisBusOptions {
  url: string;
  /** Unique per running node; default a random id (a restarted node is a new node). */
  nodeId?: string;
  clock?: Clock;
  logger: RedisLogger;
  /** Key and channel prefix (default REDIS_KEY_PREFIX): nodes of one service share it. */
  prefix?: string;
  /**
   * Topics every local authenticated connection listens to (the hub's AUTHENTICATED_TOPIC):
   * joined on each connectionUp and left on its connectionDown, so the hub need not call join.
   */
  connectionTopics?: readonly string[];
  heartbeatMs?: number;
  deadlineMs?: number;
  /** Told each time healthy() changes. */
  onHealth?(healthy: boolean): void;
}

/** The Bus as Redis binds it; what needs Redis answers a promise that rejects `unavailable`. */
export interface RedisBus extends Bus {
  readonly nodeId: string;
  /** Resolves once delivered to Redis; rejects `unavailable` (nothing is half-delivered in silence). */
  publish(topic: string, event: string, data: unknown): Promise<void>;
  deliver(userIds: readonly number[], event: string, data: unknown): Promise<void>;
  /**
   * A local listener of `topic` arrived / went (counted: each join wants its leave); the
   * node is subscribed from the first join to the last leave. Settles once Redis has it.
   */
  join(topic: string): Promise<void>;
  leave(topic: string): Promise<void>;
  /** Both connections up, this node registered, the cluster's presence heard in full. */
  healthy(): boolean;
  /** Other nodes' connections this node knows of. */
  remoteConnections(): number;
  /** Counters for /metrics. */
  stats(): Readonly<RedisBusStats>;
  /** Stops at once without leaving presence, as SIGKILL would: for tests of reaping. */
  abandon(): void;
}

export interface RedisBusStats {
  /** Topic and user messages handed to Redis, and those heard back. */
  published: number;
  received: number;
  /** Publishes and deliveries refused `unavailable`. */
  refused: number;
  /** Dead nodes this node reaped; presence snapshots it re-based on. */
  reaped: number;
  rebases: number;
  subscriptions: number;
}
