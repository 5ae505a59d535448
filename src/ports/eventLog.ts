// The EventLog port: what the auth layer, the hub and the CLIs need from the log, whatever
// holds it (SQLite in src/store, PostgreSQL for a cluster in src/store/postgres; the wiring
// in src/app picks one).

import type { BeaconEvent, RecordedEvent } from '../events/index.js';

/** Hears each commit once, in log order, after it is durable. */
export type CommitListener = (events: readonly RecordedEvent[]) => void;

export interface LogStats {
  commits: number;
  events: number;
  failures: number;
}

export interface EventLog {
  /**
   * Appends in one total order; resolves once committed (durable events fsynced), and only
   * after every subscriber and this node's projections have been handed the events, so a
   * caller reads its own writes. Rejects with BeaconError('unavailable') when the log cannot
   * take writes (then healthy() is false).
   */
  append(events: readonly BeaconEvent[]): Promise<RecordedEvent[]>;
  /** Up to `limit` committed events after `afterPosition`, oldest first. */
  read(afterPosition: number, limit: number): Promise<RecordedEvent[]>;
  /** Follows new commits (from now on; `read` catches up on the past). Returns the unsubscribe. */
  subscribe(listener: CommitListener): () => void;
  /** The position of the last event this node knows to be committed. */
  lastPosition(): number;
  /**
   * Reads what other nodes committed up to the head now, into the folds and to subscribers:
   * for a node that does not know a user or a token before it answers "unknown". Rejects
   * with BeaconError('unavailable') when the log cannot be read. Immediate for a single writer.
   */
  catchUp(): Promise<void>;
  /**
   * Milliseconds since this node last knew itself current with the log: a node past
   * CLUSTER_FENCE_SECONDS may be missing a revocation. Always 0 for a single writer.
   */
  lag(): number;
  /** False while appends cannot be trusted to commit (see each binding for when it recovers). */
  healthy(): boolean;
  stats(): Readonly<LogStats>;
  /** Commits what is pending, then releases the log. Idempotent. */
  close(): Promise<void>;
}
