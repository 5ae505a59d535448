// One group commit against PostgreSQL: under the cluster-wide append lock, hand over what
// other nodes committed since this node last read, write each caller's events after the
// head (in a savepoint of its own only once a constraint broke), NOTIFY the followers.

import type pg from 'pg';
import { BeaconError } from '../../errors.js';
import { serialize, streamOf } from '../../events/index.js';
import type { BeaconEvent, ProjectionState, RecordedEvent } from '../../events/index.js';
import { conflictOf, noClaims } from './conflicts.js';
import { readAfter } from './rows.js';
import { APPEND_LOCK_KEY, NOTIFY_CHANNEL } from './schema.js';

/** Events read per query when catching up under the lock. */
const CATCH_UP_PAGE = 1_000;

export interface BatchContext {
  /** The last position this node has handed to its folds and listeners. */
  known(): number;
  /** Hands committed events (another node's) to the folds and listeners, in log order. */
  deliver(events: readonly RecordedEvent[]): void;
  /** The folds, current up to known(). */
  state(): ProjectionState;
  /** This log's own mark in notifications (letters and digits), so it skips its own. */
  origin: string;
}

/**
 * The log ends before what this node has read: PostgreSQL was restored from a backup or
 * failed over to a replica that lagged. The node's folds hold events the log no longer
 * has, and new events will reuse their positions: it must be restarted to rebuild.
 */
export class LogRegressedError extends Error {
  constructor(
    readonly known: number,
    /** The head found, when it is below `known`; undefined when the event at `known` changed. */
    readonly head?: number,
  ) {
    const found = head === undefined ? `no longer holds the event this node read at position ${known}` : `ends at position ${head} but this node has read up to ${known}`;
    super(`the PostgreSQL event log ${found}: it lost committed events (restored from a backup, or failed over); restart every node`);
    this.name = 'LogRegressedError';
  }
}

/** Per caller: its recorded events, or the error that refused it alone. */
export type CallerResult = RecordedEvent[] | Error;

/**
 * Each stream's next positions computed in the statement (the rows of earlier statements of
 * the transaction are visible to it), so one round trip per caller. Stream positions are
 * unique by the table's constraint and, under the lock, gap-free.
 */
const INSERT = `INSERT INTO events (position, stream, stream_position, type, schema_version, data, recorded_at)
  SELECT v.position, v.stream,
         COALESCE((SELECT MAX(e.stream_position) FROM events e WHERE e.stream = v.stream), 0)
           + row_number() OVER (PARTITION BY v.stream ORDER BY v.position),
         v.type, v.schema_version, v.data, v.recorded_at
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::bigint[])
    AS v(position, stream, type, schema_version, data, recorded_at)
  RETURNING position, stream_position`;

// Why a lock and not a sequence: a sequence hands out numbers at INSERT time, so a
// transaction holding position 8 can commit after one holding 9 was committed and read; a
// follower that read 9 moves its cursor past 8 and never sees it. Under the transaction-
// scoped advisory lock a position is taken only by the one transaction that holds it, and
// the lock is released after its commit is visible: positions become visible in order.
// What it costs (bench/pgAppend.ts: durable events, each append awaited, loopback
// PostgreSQL 15 with fsync on, this 2-core machine under other load, 7 runs): one appender
// 300-680 appends/s against 500-1600 for a plain sequence INSERT; four appenders on four
// nodes 200-460/s in all (the lock serialises them; sequence INSERTs: 1500-3000/s); four
// on one node 740-1430/s (group commit shares each hold of the lock). The log carries
// auth events, and a login costs ~30 ms of argon2id CPU: the lock is not what bounds them.
/**
 * Commits the batch or throws; after a throw the caller must destroy `client` (that rolls
 * the transaction back: a ROLLBACK sent to a server that stopped answering would only wait).
 */
export async function writeBatch(
  client: pg.ClientBase,
  batch: ReadonlyArray<readonly BeaconEvent[]>,
  options: { recordedAt: number },
  ctx: BatchContext,
): Promise<CallerResult[]> {
  try {
    return await attempt(client, batch, options, ctx, false);
  } catch (err) {
    // No constraint can break under the lock but through a bug or a writer that ignores
    // the lock; then the batch is retried with one savepoint per caller (two more round
    // trips each, which the common case does not pay), so that caller alone fails.
    if (batch.length < 2 || !isConstraintError(err)) throw err;
    await client.query('ROLLBACK');
  }
  return attempt(client, batch, options, ctx, true);
}

async function attempt(
  client: pg.ClientBase,
  batch: ReadonlyArray<readonly BeaconEvent[]>,
  options: { recordedAt: number },
  ctx: BatchContext,
  savepoints: boolean,
): Promise<CallerResult[]> {
  // One round trip: a simple query runs its statements in order, each with its own
  // snapshot, so the head is read only once the lock is held. Every commit waits for the
  // WAL flush, connection bookkeeping too (unlike SQLite's): an asynchronous commit is seen
  // by other nodes before it is durable, and a crash that lost it would hand its positions
  // to new events, which a node that had read the lost ones would then skip.
  const opened: unknown = await client.query(
    `BEGIN; SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY}); SELECT COALESCE(MAX(position), 0) AS h FROM events`,
  );
  const last = (Array.isArray(opened) ? opened.at(-1) : opened) as pg.QueryResult<{ h: string }>;
  const head = Number(last.rows[0]?.h ?? 0);
  if (head < ctx.known()) throw new LogRegressedError(ctx.known(), head);
  while (ctx.known() < head) {
    const page = await readAfter(client, ctx.known(), CATCH_UP_PAGE);
    if (page.length === 0) throw new Error(`log head is ${head} but nothing follows position ${ctx.known()}`);
    ctx.deliver(page);
  }
  const claims = noClaims();
  let position = head;
  const results: CallerResult[] = [];
  for (const events of batch) {
    const conflict = conflictOf(events, ctx.state(), claims);
    if (conflict !== undefined) {
      results.push(conflict);
      continue;
    }
    const serialized = events.map(serialize);
    const params = [
      events.map((_, i) => position + i + 1),
      events.map(streamOf),
      serialized.map((s) => s.type),
      serialized.map((s) => s.version),
      serialized.map((s) => s.data),
      events.map(() => options.recordedAt),
    ];
    let rows: Array<{ position: string; stream_position: number }>;
    try {
      if (savepoints) await client.query('SAVEPOINT caller');
      ({ rows } = await client.query<{ position: string; stream_position: number }>(INSERT, params));
      if (savepoints) await client.query('RELEASE SAVEPOINT caller');
    } catch (err) {
      if (!savepoints || !isConstraintError(err)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT caller');
      results.push(new BeaconError('internal_error', { cause: err }));
      continue;
    }
    const streamPositions = new Map(rows.map((r) => [Number(r.position), r.stream_position]));
    results.push(
      events.map((event, i) => {
        const at = position + i + 1;
        return { ...event, position: at, stream: streamOf(event), streamPosition: streamPositions.get(at) ?? 0, recordedAt: options.recordedAt } as RecordedEvent;
      }),
    );
    position += events.length;
  }
  // The notification is delivered with the commit, never before: a follower woken by it finds the rows.
  await client.query(position > head ? `SELECT pg_notify('${NOTIFY_CHANNEL}', '${position} ${ctx.origin}'); COMMIT` : 'COMMIT');
  return results;
}

/** SQLSTATE class 23: integrity constraint violation. */
function isConstraintError(err: unknown): boolean {
  const code: unknown = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('23');
}
