// The SQLite binding of the EventLog and Projections ports: appends with group commit,
// feeds the in-memory folds (and their tables, a cache) inside the same transaction, tells
// subscribers only after the commit, and refuses to write once another process wrote.

import type { Clock } from '../clock.js';
import { nowSeconds } from '../clock.js';
import { BeaconError } from '../errors.js';
import { createProjectionSet, deserialize, DURABLE_EVENT_TYPES, serialize, streamOf } from '../events/index.js';
import type { BeaconEvent, RecordedEvent } from '../events/index.js';
import type { CommitListener, EventLog, LogStats, Projections } from '../ports/index.js';
import { openDatabase, type Db, type EventRow as Row } from './db.js';
import { acquireLogLock } from './logLock.js';
import { projectionTables } from './projectionTables.js';

/**
 * The SQLite log. `healthy()` is false after a failed commit, until a commit succeeds
 * again: while false, each call (at most once per HEALTH_PROBE_INTERVAL_MS) tries a one-row
 * write, so a store whose fault was fixed reports healthy again even when no traffic
 * reaches it (a load balancer that polls /healthz sends none to an unhealthy server).
 * After a foreign write (another process appended) it stays false until a restart: the
 * folds in memory no longer match the log, and only a rebuild makes them match again.
 */
export interface EventStore extends EventLog, Projections {}

/** An append refused because the log moved under this process (another writer). */
export class ForeignWriteError extends Error {
  constructor(
    readonly expected: number,
    readonly found: number,
  ) {
    super(`the event log was written by another process (last position ${found}, this server wrote up to ${expected}): refusing writes until restart`);
    this.name = 'ForeignWriteError';
  }
}

const REBUILD_PAGE_SIZE = 5_000;
/** While unhealthy, the health check re-tries the disk at most this often. */
export const HEALTH_PROBE_INTERVAL_MS = 1_000;

interface Pending {
  events: readonly BeaconEvent[];
  resolve(recorded: RecordedEvent[]): void;
  reject(err: unknown): void;
}

export interface StoreOptions {
  path: string;
  clock: Clock;
  onError?: (err: unknown) => void;
  /** Group commit: batch appends of one event-loop turn into one transaction (default on). */
  groupCommit?: boolean;
  /**
   * `synchronous` level of commits holding durable events. 'FULL' (the default) is what
   * Beacon's promises rest on; 'NORMAL' exists so bench/ can measure what FULL costs.
   */
  durableSync?: 'FULL' | 'NORMAL';
  /** Who writes: named in the lock file, so a refused second writer can say who holds it. */
  writer?: string;
}

export function openEventStore(options: StoreOptions): EventStore {
  const { clock } = options;
  // One writer per log: a second appender would break the projections' view of it.
  const lock = acquireLogLock(options.path, options.writer ?? 'beacon');
  let db: Db;
  try {
    db = openDatabase(options.path);
  } catch (err) {
    lock.release();
    throw err;
  }
  const tables = projectionTables(db);
  const insert = db.prepare(
    'INSERT INTO events (stream, stream_position, type, schema_version, data, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const lastInStream = db.prepare('SELECT MAX(stream_position) AS p FROM events WHERE stream = ?').pluck();
  const readAfter = db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
  const maxPosition = db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck();
  const probe = db.prepare('INSERT INTO store_probe (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at');

  const folds = createProjectionSet();
  /** The last position this process committed or rebuilt from: anything beyond it on disk is foreign. */
  let known = 0;

  // Rebuild every projection from position 0: the log is the truth, the tables a cache.
  // Read in pages: iterating while the same connection writes the tables is not allowed,
  // and loading the whole log at once would cost memory proportional to its length.
  db.transaction(() => {
    tables.clear();
    for (let after = 0; ; ) {
      const rows = readAfter.all(after, REBUILD_PAGE_SIZE) as Row[];
      for (const row of rows) {
        const event = toRecorded(row);
        folds.apply(event);
        tables.apply(event);
        after = row.position;
        known = row.position;
      }
      if (rows.length < REBUILD_PAGE_SIZE) break;
    }
  })();

  const listeners = new Set<CommitListener>();
  const stats: LogStats = { commits: 0, events: 0, failures: 0 };
  let pending: Pending[] = [];
  let scheduled = false;
  let isHealthy = true;
  let lastProbe = Number.NEGATIVE_INFINITY;
  let closed = false;
  let synchronousFull = true;
  let foreign: ForeignWriteError | undefined;

  const writeEvents = db.transaction((events: readonly BeaconEvent[], recordedAt: number): RecordedEvent[] => {
    const out: RecordedEvent[] = [];
    for (const event of events) {
      const stream = streamOf(event);
      const streamPosition = ((lastInStream.get(stream) as number | null) ?? 0) + 1;
      const s = serialize(event);
      const info = insert.run(stream, streamPosition, s.type, s.version, s.data, recordedAt);
      tables.apply(event);
      out.push({ ...event, position: Number(info.lastInsertRowid), stream, streamPosition, recordedAt } as RecordedEvent);
    }
    return out;
  });

  // One transaction per batch; each caller's events in a savepoint inside it (better-sqlite3
  // nests transactions as savepoints), so a constraint broken by one caller fails that
  // caller alone. Any other error (disk full, read-only, I/O) fails the whole batch.
  // A write by another process (an importer, a second server) means the folds decided
  // against a log that has moved on: appending would break constraints at best (500s) and
  // contradict the log at worst. So the batch checks, under the write lock, that the log
  // ends where this process left it.
  const writeBatch = db.transaction((batch: readonly Pending[], recordedAt: number): Array<RecordedEvent[] | Error> => {
    const onDisk = maxPosition.get() as number;
    if (onDisk !== known) throw new ForeignWriteError(known, onDisk);
    return batch.map((p) => {
      try {
        return writeEvents(p.events, recordedAt);
      } catch (err) {
        if (isConstraintError(err)) return err;
        throw err;
      }
    });
  });

  const flush = (): void => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    // Connection bookkeeping need not be fsynced one by one; anything a client was promised is.
    const durable = options.durableSync !== 'NORMAL' && batch.some((p) => p.events.some((e) => DURABLE_EVENT_TYPES.has(e.type)));
    let results: Array<RecordedEvent[] | Error>;
    try {
      if (durable !== synchronousFull) {
        db.pragma(durable ? 'synchronous = FULL' : 'synchronous = NORMAL');
        synchronousFull = durable;
      }
      if (foreign !== undefined) throw foreign;
      results = writeBatch.immediate(batch, clock.now());
    } catch (err) {
      if (err instanceof ForeignWriteError) foreign = err;
      isHealthy = false;
      lastProbe = clock.now(); // the failure itself was the last look at the disk
      stats.failures++;
      options.onError?.(err);
      const failure = new BeaconError('unavailable', { cause: err });
      for (const p of batch) p.reject(failure);
      return;
    }
    isHealthy = true;
    stats.commits++;
    const recorded: RecordedEvent[] = [];
    batch.forEach((p, i) => {
      const result = results[i] as RecordedEvent[] | Error;
      if (result instanceof Error) {
        options.onError?.(result);
        p.reject(new BeaconError('internal_error', { cause: result }));
        return;
      }
      for (const event of result) folds.apply(event);
      recorded.push(...result);
      known = Math.max(known, result.at(-1)?.position ?? known);
      p.resolve(result);
    });
    stats.events += recorded.length;
    if (recorded.length === 0) return;
    for (const listener of listeners) {
      try {
        listener(recorded);
      } catch (err) {
        options.onError?.(err);
      }
    }
  };

  return {
    projections: () => folds.state,
    append(events) {
      if (closed) return Promise.reject(new BeaconError('unavailable', { message: 'Store is closed' }));
      if (events.length === 0) return Promise.resolve([]);
      return new Promise<RecordedEvent[]>((resolve, reject) => {
        pending.push({ events, resolve, reject });
        if (options.groupCommit === false) return flush();
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async read(afterPosition, limit) {
      return (readAfter.all(afterPosition, limit) as Row[]).map(toRecorded);
    },
    lastPosition: () => known,
    // The one writer of its file knows every commit as it makes it.
    catchUp: () => Promise.resolve(),
    lag: () => 0,
    // Memory and the revoked_tokens table alike.
    pruneBlacklist() {
      const now = nowSeconds(clock);
      const pruned = folds.prune(now);
      try {
        tables.pruneRevoked(now);
      } catch (err) {
        options.onError?.(err);
      }
      return pruned.length;
    },
    healthy() {
      if (isHealthy || closed || foreign !== undefined) return isHealthy;
      const now = clock.now();
      if (now - lastProbe < HEALTH_PROBE_INTERVAL_MS) return false;
      lastProbe = now;
      try {
        probe.run(now);
        isHealthy = true;
      } catch (err) {
        options.onError?.(err);
      }
      return isHealthy;
    },
    stats: () => stats,
    async close() {
      if (closed) return;
      closed = true;
      flush();
      db.close();
      lock.release();
    },
  };
}

function isConstraintError(err: unknown): err is Error {
  const code: unknown = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
}

function toRecorded(row: Row): RecordedEvent {
  const event = deserialize(row.type, row.schema_version, row.data);
  return {
    ...event,
    position: row.position,
    stream: row.stream,
    streamPosition: row.stream_position,
    recordedAt: row.recorded_at,
  } as RecordedEvent;
}
