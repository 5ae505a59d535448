// The Bus port: fan-out between the hub and whoever else must hear it (other nodes, once
// a cluster binding exists). The hub says "connection up / down", "publish to a topic",
// "deliver to these users"; listeners hear topic deliveries (the transports' broadcaster),
// user deliveries (the hub's local actors) and presence transitions (the presence feed).

import type { EventOf } from '../events/index.js';

/** A presence transition is the same fact the log's audit trail records for a connection. */
export type PresenceChange = EventOf<'ConnectionAuthenticated'> | EventOf<'ConnectionClosed'>;

/** What a node's local side hears. Every member is optional: listen for what you handle. */
export interface BusListener {
  /** A broadcast to every local subscriber of `topic`. */
  topic?(topic: string, event: string, data: unknown): void;
  /** A directed message for every local connection of these users. */
  users?(userIds: readonly number[], event: string, data: unknown): void;
  /** A connection somewhere came up (authenticated) or went down. */
  presence?(change: PresenceChange): void;
}

/**
 * Channels extend this without changing what is here: a per-channel publish that returns
 * an offset, presence join / leave per channel, and a join(topic) / leave(topic) the hub
 * calls when the first local listener of a topic arrives or the last one goes, so a
 * cluster binding subscribes a node only to the topics it has listeners for.
 */
export interface Bus {
  /** An authenticated connection of this node: everyone's presence hears it. */
  connectionUp(change: EventOf<'ConnectionAuthenticated'>): void;
  connectionDown(change: EventOf<'ConnectionClosed'>): void;
  /** A broadcast to `topic` on every node. */
  publish(topic: string, event: string, data: unknown): void;
  /**
   * A broadcast to this node's subscribers of `topic` only: for announcements every node
   * derives itself from what the bus carries (the coalesced presence feed), which would
   * otherwise arrive once per node.
   */
  announce(topic: string, event: string, data: unknown): void;
  /** A directed message to every connection of these users, on any node. */
  deliver(userIds: readonly number[], event: string, data: unknown): void;
  /** Returns the unsubscribe. */
  listen(listener: BusListener): () => void;
  close(): Promise<void>;
}
