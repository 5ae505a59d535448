// The Bus port: fan-out between the hub and whoever else must hear it (other nodes, once
// a cluster binding exists). The hub says "connection up / down", "publish to a topic",
// "deliver to these users"; listeners hear topic deliveries (the transports' broadcaster),
// user deliveries (the hub's local actors) and presence transitions (the presence feed).

import type { Publication } from '../channels/history.js';
import type { EventOf } from '../events/index.js';

/** A presence transition is the same fact the log's audit trail records for a connection. */
export type PresenceChange = EventOf<'ConnectionAuthenticated'> | EventOf<'ConnectionClosed'>;

/** A connection subscribed to a channel, or left it: what channel presence is folded from. */
export interface SubscriptionChange {
  readonly kind: 'up' | 'down';
  readonly channel: string;
  readonly sid: string;
  readonly userId: number;
  readonly username: string;
}

/** What a node's local side hears. Every member is optional: listen for what you handle. */
export interface BusListener {
  /** A broadcast to every local subscriber of `topic`. */
  topic?(topic: string, event: string, data: unknown): void;
  /** A directed message for every local connection of these users. */
  users?(userIds: readonly number[], event: string, data: unknown): void;
  /** A connection somewhere came up (authenticated) or went down. */
  presence?(change: PresenceChange): void;
  /** A publication written to a channel's history, in offset order per channel. */
  publication?(publication: Publication): void;
  /** A connection somewhere subscribed to a channel or left it. */
  subscription?(change: SubscriptionChange): void;
}

/**
 * Channels use `publishChannel` (a publication already written to the channel history,
 * which stays its own port: src/channels/history.ts) and `subscriptionChanged` (channel
 * presence). A cluster binding would add join(topic) / leave(topic), called when the first
 * local listener of a channel arrives or the last one goes.
 */
export interface Bus {
  /** An authenticated connection of this node: everyone's presence hears it. */
  connectionUp(change: EventOf<'ConnectionAuthenticated'>): void;
  connectionDown(change: EventOf<'ConnectionClosed'>): void;
  /**
   * Whether presence entry `sid` is this node's to close (it announced it); absent: every
   * entry is (one node). The hub's reconciliation closes only its own.
   */
  ownsConnection?(sid: string): boolean;
  /**
   * A broadcast to `topic` on every node. A binding that can fail (Redis) answers a promise
   * that rejects `unavailable`: the sender is told, nothing is half-delivered in silence.
   */
  publish(topic: string, event: string, data: unknown): void | Promise<void>;
  /**
   * A broadcast to this node's subscribers of `topic` only: for announcements every node
   * derives itself from what the bus carries (the coalesced presence feed), which would
   * otherwise arrive once per node.
   */
  announce(topic: string, event: string, data: unknown): void;
  /** A directed message to every connection of these users, on any node. */
  deliver(userIds: readonly number[], event: string, data: unknown): void | Promise<void>;
  /** A written publication, to every node's listeners; callers hand them over in offset order. */
  publishChannel(publication: Publication): void;
  /** A subscription of this node's began or ended: every node's channel presence hears it. */
  subscriptionChanged(change: SubscriptionChange): void;
  /**
   * Settles once this node hears every publication of `channel` written from now on (after
   * its first local subscription's `up`); the history is read only then, or a publication
   * between the read and the subscription would be lost. Absent: at once (one node).
   */
  channelReady?(channel: string): Promise<void>;
  /**
   * False while the binding cannot carry what it shares (Redis down): answers built from
   * the cluster's state (channel presence) are then refused rather than given stale.
   * Absent: always healthy (one node).
   */
  healthy?(): boolean;
  /** Returns the unsubscribe. */
  listen(listener: BusListener): () => void;
  close(): Promise<void>;
}
