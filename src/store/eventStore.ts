// The event store: appends events to the SQLite log with group commit, keeps the
// projections (in memory and in their tables) in step inside the same transaction, and
// tells subscribers about events only after they are committed.

import type { Clock } from '../clock.js';
import { nowSeconds } from '../clock.js';
import { BeaconError } from '../errors.js';
import { deserialize, serialize } from '../events/serde.js';
import { DURABLE_EVENT_TYPES, streamOf, type BeaconEvent, type RecordedEvent } from '../events/types.js';
import { activeTokensProjection, type ActiveTokensState } from '../events/projections/activeTokens.js';
import { blacklistProjection, type BlacklistState } from '../events/projections/blacklist.js';
import { usersProjection, type UsersState } from '../events/projections/users.js';
import { openDatabase, type Db, type EventRow as Row } from './db.js';
import { acquireLogLock } from './logLock.js';
import { projectionTables } from './projectionTables.js';

export interface Projections {
  readonly users: UsersState;
  readonly blacklist: BlacklistState;
  readonly activeTokens: ActiveTokensState;
}

export type CommitListener = (events: readonly RecordedEvent[]) => void;

export interface AppendStats {
  commits: number;
  events: number;
  failures: number;
}

export interface EventStore {
  /** The in-memory projections, current as of the last commit. Read-only for callers. */
  projections(): Projections;
  /** Appends in order; resolves once committed (fsynced when any event is durable). */
  append(events: readonly BeaconEvent[]): Promise<RecordedEvent[]>;
  subscribe(listener: CommitListener): () => void;
  /** Events after `afterPosition`, oldest first. */
  read(afterPosition: number, limit: number): RecordedEvent[];
  lastPosition(): number;
  /** Forgets revoked tokens that have expired (memory and table); returns how many. */
  pruneBlacklist(): number;
  /**
   * False after a failed commit, until a commit succeeds again. While false, each call (at
   * most once per HEALTH_PROBE_INTERVAL_MS) tries a one-row write, so a store whose fault was
   * fixed reports healthy again even when no traffic reaches it (a load balancer that polls
   * /healthz sends none to an unhealthy server).
   */
  healthy(): boolean;
  stats(): Readonly<AppendStats>;
  /** Commits what is pending, then closes the database. */
  close(): Promise<void>;
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

  const state = {
    users: usersProjection.initial(),
    blacklist: blacklistProjection.initial(),
    activeTokens: activeTokensProjection.initial(),
  };
  const evolve = (event: BeaconEvent): void => {
    state.users = usersProjection.evolve(state.users, event);
    state.blacklist = blacklistProjection.evolve(state.blacklist, event);
    state.activeTokens = activeTokensProjection.evolve(state.activeTokens, event);
  };

  // Rebuild every projection from position 0: the log is the truth, the tables a cache.
  // Read in pages: iterating while the same connection writes the tables is not allowed,
  // and loading the whole log at once would cost memory proportional to its length.
  db.transaction(() => {
    tables.clear();
    for (let after = 0; ; ) {
      const rows = readAfter.all(after, REBUILD_PAGE_SIZE) as Row[];
      for (const row of rows) {
        const event = toRecorded(row);
        evolve(event);
        tables.apply(event);
        after = row.position;
      }
      if (rows.length < REBUILD_PAGE_SIZE) break;
    }
  })();

  const listeners = new Set<CommitListener>();
  const stats: AppendStats = { commits: 0, events: 0, failures: 0 };
  let pending: Pending[] = [];
  let scheduled = false;
  let isHealthy = true;
  let lastProbe = Number.NEGATIVE_INFINITY;
  let closed = false;
  let synchronousFull = true;

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
  const writeBatch = db.transaction((batch: readonly Pending[], recordedAt: number): Array<RecordedEvent[] | Error> =>
    batch.map((p) => {
      try {
        return writeEvents(p.events, recordedAt);
      } catch (err) {
        if (isConstraintError(err)) return err;
        throw err;
      }
    }),
  );

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
      results = writeBatch(batch, clock.now());
    } catch (err) {
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
      for (const event of result) evolve(event);
      recorded.push(...result);
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
    projections: () => state,
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
    read(afterPosition, limit) {
      return (readAfter.all(afterPosition, limit) as Row[]).map(toRecorded);
    },
    lastPosition: () => maxPosition.get() as number,
    pruneBlacklist() {
      const now = nowSeconds(clock);
      const pruned = blacklistProjection.prune(state.blacklist, now);
      try {
        tables.pruneRevoked(now);
      } catch (err) {
        options.onError?.(err);
      }
      return pruned.length;
    },
    healthy() {
      if (isHealthy || closed) return isHealthy;
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
