// The PostgreSQL binding of the EventLog and Projections ports, for a cluster: one log all
// nodes append to in one total order (appendBatch.ts), each node's folds rebuilt from it at
// start and kept current by following it (follower.ts), every event heard once, in order.

import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Clock } from '../../clock.js';
import { nowSeconds } from '../../clock.js';
import { PG_CATCH_UP_INTERVAL_MS, PG_CONNECT_TIMEOUT_MS, PG_LISTEN_RETRY_MS } from '../../constants.js';
import { BeaconError } from '../../errors.js';
import { createProjectionSet } from '../../events/index.js';
import type { BeaconEvent, RecordedEvent } from '../../events/index.js';
import type { CommitListener, EventLog, LogStats, Projections } from '../../ports/index.js';
import { LogRegressedError, writeBatch } from './appendBatch.js';
import { createPool, startupFailure } from './connection.js';
import { createFollower } from './follower.js';
import { readAfter } from './rows.js';
import { migrate } from './schema.js';

const REBUILD_PAGE_SIZE = 5_000;
const FOLLOW_PAGE_SIZE = 1_000;

export interface PostgresLogStats extends LogStats {
  /** Events this node heard from other nodes (read back, not appended here). */
  followed: number;
  /** Times the LISTEN connection was lost (each one followed by a catch-up). */
  listenDrops: number;
  listening: boolean;
}

/**
 * `healthy()` is false after a failed append or read, until one succeeds again (the catch-up
 * every PG_CATCH_UP_INTERVAL_MS is a read, so a node recovers with no traffic reaching it).
 */
export interface PostgresLog extends EventLog, Projections {
  /** Clock time (ms) of the last read that reached the head. */
  followedAt(): number;
  stats(): Readonly<PostgresLogStats>;
}

export interface PostgresLogOptions {
  url: string;
  clock: Clock;
  onError?: (err: unknown, what?: string) => void;
  /** Group commit: batch appends of one event-loop turn into one transaction (default on). */
  groupCommit?: boolean;
  catchUpIntervalMs?: number;
}

interface Pending {
  events: readonly BeaconEvent[];
  resolve(recorded: RecordedEvent[]): void;
  reject(err: unknown): void;
}

/** Connects, migrates and rebuilds; a DATABASE_URL it cannot use is a StartupError. */
export async function openPostgresLog(options: PostgresLogOptions): Promise<PostgresLog> {
  const { clock, url } = options;
  const onError = (err: unknown, what = 'event log'): void => options.onError?.(err, what);
  const pool = createPool(url, (err) => onError(err, 'idle PostgreSQL connection lost'));
  const folds = createProjectionSet();
  const origin = randomBytes(6).toString('hex');
  let known = 0;
  /** The event at `known`: each catch-up reads it again to prove the log did not go back. */
  let anchor: RecordedEvent | undefined;
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw startupFailure(url, 'cannot connect to', err);
  }
  try {
    await migrate(client);
    // The log is the truth: every fold starts from position 0, page by page.
    for (;;) {
      const page = await readAfter(client, known, REBUILD_PAGE_SIZE);
      for (const event of page) folds.apply(event);
      known = page.at(-1)?.position ?? known;
      anchor = page.at(-1) ?? anchor;
      if (page.length < REBUILD_PAGE_SIZE) break;
    }
  } catch (err) {
    client.release(true);
    await pool.end().catch(() => undefined);
    throw startupFailure(url, 'cannot prepare the event log in', err);
  }
  client.release();

  const listeners = new Set<CommitListener>();
  const stats: PostgresLogStats = { commits: 0, events: 0, failures: 0, followed: 0, listenDrops: 0, listening: false };
  let followedAt = clock.now();
  let isHealthy = true;
  let closed = false;
  let pending: Pending[] = [];
  let scheduled = false;
  let inFlight: Promise<void> | undefined;
  /** Set once the log was found to end before what this node read: unhealthy until a restart. */
  let regressed: LogRegressedError | undefined;

  const setHealth = (ok: boolean, err?: unknown, what?: string): void => {
    // One line per outage, not one per failed read every second.
    if (!ok && isHealthy) onError(err, what);
    isHealthy = ok;
  };

  /** The one way events reach the folds and listeners: each position once, in order. */
  const deliver = (events: readonly RecordedEvent[], ownAppend = false): void => {
    const fresh = events.filter((e) => e.position > known);
    if (fresh.length === 0) return;
    for (const event of fresh) folds.apply(event);
    known = fresh.at(-1)?.position ?? known;
    anchor = fresh.at(-1) ?? anchor;
    if (!ownAppend) stats.followed += fresh.length;
    for (const listener of listeners) {
      try {
        listener(fresh);
      } catch (err) {
        onError(err, 'commit listener failed');
      }
    }
  };

  const readToHead = async (): Promise<void> => {
    const started = clock.now();
    try {
      if (regressed !== undefined) throw regressed;
      for (;;) {
        // From the event at `known` itself: gone or different, the log lost what was read.
        const from = anchor;
        const page = await readAfter(pool, (from?.position ?? 1) - 1, FOLLOW_PAGE_SIZE + 1);
        if (from !== undefined) {
          if (!sameEvent(page[0], from)) throw (regressed = new LogRegressedError(from.position));
          page.shift();
        }
        deliver(page);
        if (page.length < FOLLOW_PAGE_SIZE) break;
      }
    } catch (err) {
      setHealth(false, err, 'cannot follow the event log');
      throw new BeaconError('unavailable', { cause: err });
    }
    followedAt = Math.max(followedAt, started);
    setHealth(true);
  };

  const follower = createFollower({
    url,
    readToHead,
    known: () => known,
    origin,
    intervalMs: options.catchUpIntervalMs ?? PG_CATCH_UP_INTERVAL_MS,
    retryMs: PG_LISTEN_RETRY_MS,
    connectTimeoutMs: PG_CONNECT_TIMEOUT_MS,
    onError,
  });
  await follower.start();

  const commit = async (batch: readonly Pending[]): Promise<void> => {
    const started = clock.now();
    let results;
    let c: pg.PoolClient | undefined;
    try {
      c = await pool.connect();
      results = await writeBatch(c, batch.map((p) => p.events), { recordedAt: clock.now() }, {
        known: () => known,
        deliver: (events) => deliver(events),
        state: () => folds.state,
        origin,
      });
      c.release();
    } catch (err) {
      // A lost connection may have committed or not: nothing is acknowledged, and if it did
      // commit the follower reads it back like another node's events.
      c?.release(true);
      if (err instanceof LogRegressedError) regressed = err;
      stats.failures++;
      setHealth(false, err, 'event log commit failed');
      const failure = new BeaconError('unavailable', { cause: err });
      for (const p of batch) p.reject(failure);
      return;
    }
    stats.commits++;
    followedAt = Math.max(followedAt, started);
    setHealth(true);
    const recorded = results.filter((r): r is RecordedEvent[] => !(r instanceof Error)).flat();
    stats.events += recorded.length;
    deliver(recorded, true);
    batch.forEach((p, i) => {
      const result = results[i];
      if (result instanceof Error) {
        if (!(result instanceof BeaconError) || result.code === 'internal_error') onError(result, 'append refused');
        p.reject(result);
      } else p.resolve(result ?? []);
    });
  };

  // One batch in flight per node (they would only queue on the lock); appends that arrive
  // meanwhile form the next batch.
  const flush = (): void => {
    scheduled = false;
    if (inFlight !== undefined || pending.length === 0) return;
    const batch = pending;
    pending = [];
    inFlight = commit(batch).finally(() => {
      inFlight = undefined;
      if (pending.length > 0) schedule();
    });
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  return {
    projections: () => folds.state,
    append(events) {
      if (closed) return Promise.reject(new BeaconError('unavailable', { message: 'Store is closed' }));
      if (regressed !== undefined) return Promise.reject(new BeaconError('unavailable', { cause: regressed }));
      if (events.length === 0) return Promise.resolve([]);
      return new Promise<RecordedEvent[]>((resolve, reject) => {
        pending.push({ events, resolve, reject });
        if (options.groupCommit === false) flush();
        else schedule();
      });
    },
    async read(afterPosition, limit) {
      try {
        return await readAfter(pool, afterPosition, limit);
      } catch (err) {
        throw new BeaconError('unavailable', { cause: err });
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    lastPosition: () => known,
    catchUp: () => follower.catchUp(),
    lag: () => Math.max(0, clock.now() - followedAt),
    followedAt: () => followedAt,
    healthy: () => isHealthy && !closed && regressed === undefined,
    stats: () => ({ ...stats, listenDrops: follower.drops(), listening: follower.listening() }),
    pruneBlacklist: () => folds.prune(nowSeconds(clock)).length,
    async close() {
      if (closed) return;
      closed = true;
      // What was asked before close is committed (or refused), as with SQLite.
      while (inFlight !== undefined || pending.length > 0) {
        if (inFlight === undefined) flush();
        await inFlight;
      }
      await follower.close();
      await pool.end();
    },
  };
}

/** The same event at the same place: what a log that never goes back reads again. */
function sameEvent(a: RecordedEvent | undefined, b: RecordedEvent): boolean {
  return a !== undefined && a.position === b.position && a.stream === b.stream && a.streamPosition === b.streamPosition && a.type === b.type && a.recordedAt === b.recordedAt;
}
