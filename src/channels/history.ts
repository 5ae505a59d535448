// The channel history port: per-channel offsets 1, 2, 3 ... without gaps, an epoch that
// changes when history was lost, retention by size and age, and exact recovery. The
// embedded binding is sqliteHistory.ts; a shared-store binding (Redis) satisfies the same.

import type { NamespacePolicy } from './namespaces.js';

// The wire shapes live with the protocol's types; re-exported for the channel modules.
import type { Publication, PublicationSender, StreamPosition } from '../protocol/publication.js';
export type { Publication, PublicationSender, StreamPosition };

/** How much a channel keeps: the last `size` publications, each for `ttlSeconds`. */
export interface Retention {
  /** 0: keep none, offsets are still numbered. */
  readonly size: number;
  readonly ttlSeconds: number;
}

export const retentionOf = (policy: NamespacePolicy): Retention => ({
  size: policy.history_size,
  ttlSeconds: policy.history_ttl_seconds,
});

/** The answer to `since`: the channel's head, and the missed publications if recovered. */
export interface Recovery extends StreamPosition {
  readonly recovered: boolean;
  /** Every publication after `since.offset`, oldest first, when recovered; else []. */
  readonly publications: readonly Publication[];
}

/** The answer to `recent`: the channel's head and kept publications, oldest first. */
export interface HistoryPage extends StreamPosition {
  readonly publications: readonly Publication[];
}

export interface ChannelHistory {
  /**
   * Gives the publication the channel's next offset and keeps it under `retention`;
   * resolves only once it is written (an answer to the publisher may rest on it).
   * Appends to one channel resolve in offset order. Rejects with `unavailable`.
   */
  append(channel: string, input: { from: PublicationSender | null; data: unknown }, retention: Retention): Promise<Publication>;
  /**
   * Recovery. `recovered: true` when `since` has the channel's epoch, is not beyond its head,
   * and every publication after it is still kept (and at most `limit` of them): then
   * `publications` holds them all, in order. Otherwise `recovered: false`, `[]`. Either way
   * `epoch` and `offset` are the channel's current head. Reads committed state only: a
   * publication whose append has not resolved yet is not in it.
   */
  since(channel: string, since: StreamPosition, limit?: number): Promise<Recovery>;
  /**
   * The latest offset and the epoch. A channel with no publication yet is at offset 0 with
   * the epoch its first publication will carry, unless history is lost before it comes.
   */
  head(channel: string): Promise<StreamPosition>;
  /**
   * Kept publications, oldest first: the last `limit`, or with `after` the first `limit`
   * after that offset (paging forward). For the `history` event.
   */
  recent(channel: string, limit: number, after?: number): Promise<HistoryPage>;
  /** Writes what is pending, then releases the store. */
  close(): Promise<void>;
}

/**
 * The recovery rule of the contract, shared by every binding. `keptAfter` is what the
 * store still keeps after `since.offset`, ascending. Recovered only when it is exactly
 * `since.offset + 1 .. head.offset` under the same epoch: an offset beyond the head, a
 * foreign epoch, or any publication trimmed or aged out in between means not recovered.
 */
export function recoveryFrom(head: StreamPosition, since: StreamPosition, keptAfter: readonly Publication[]): Recovery {
  const miss = notRecovered(head);
  if (!isRecoverable(head, since)) return miss;
  if (keptAfter.length !== head.offset - since.offset) return miss;
  for (let i = 0; i < keptAfter.length; i++) {
    if (keptAfter[i]?.offset !== since.offset + 1 + i) return miss;
  }
  return { recovered: true, epoch: head.epoch, offset: head.offset, publications: keptAfter };
}

/** Same epoch and a whole offset within 0..head: worth reading the history for. */
export function isRecoverable(head: StreamPosition, since: StreamPosition): boolean {
  return since.epoch === head.epoch && Number.isSafeInteger(since.offset) && since.offset >= 0 && since.offset <= head.offset;
}

export const notRecovered = (head: StreamPosition): Recovery => ({ recovered: false, epoch: head.epoch, offset: head.offset, publications: [] });
