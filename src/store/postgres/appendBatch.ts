// One group commit against PostgreSQL: a transaction that takes the cluster-wide append lock,
// first hands over what other nodes committed since this node last read, then writes each
// caller's events in a savepoint at the positions after the head, and NOTIFYs the followers.
//
// Why a lock and not a sequence: a sequence hands out numbers at INSERT time, so a
// transaction holding position 8 can commit after one holding 9 was committed and read; a
// follower that read 9 moves its cursor past 8 and never sees it. Under the transaction-
// scoped advisory lock a position is taken only by the one transaction that holds it, and
// the lock is released after its commit is visible: positions become visible in order.
// Cost, measured by test/store/postgresOrder.int.test.ts on this 2-core machine (a
// loopback PostgreSQL 15, fsync on, each append one durable event awaited before the next):
// see APPEND_COST in that test's output and the figures quoted in the commit message.

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
}

/** Per caller: its recorded events, or the error that refused it alone. */
export type CallerResult = RecordedEvent[] | Error;

const INSERT = `INSERT INTO events (position, stream, stream_position, type, schema_version, data, recorded_at)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::int[], $6::text[], $7::bigint[])`;

export async function writeBatch(
  client: pg.ClientBase,
  batch: ReadonlyArray<readonly BeaconEvent[]>,
  options: { recordedAt: number; durable: boolean },
  ctx: BatchContext,
): Promise<CallerResult[]> {
  await client.query('BEGIN');
  try {
    // Connection bookkeeping need not wait for the WAL flush; anything a client was promised does.
    if (!options.durable) await client.query('SET LOCAL synchronous_commit = off');
    await client.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK_KEY.toString()]);
    const head = Number((await client.query<{ h: string }>('SELECT COALESCE(MAX(position), 0) AS h FROM events')).rows[0]?.h ?? 0);
    while (ctx.known() < head) {
      const page = await readAfter(client, ctx.known(), CATCH_UP_PAGE);
      if (page.length === 0) throw new Error(`log head is ${head} but nothing follows position ${ctx.known()}`);
      ctx.deliver(page);
    }
    const streams = [...new Set(batch.flatMap((events) => events.map(streamOf)))];
    const { rows } = await client.query<{ stream: string; p: number }>(
      'SELECT stream, MAX(stream_position) AS p FROM events WHERE stream = ANY($1) GROUP BY stream',
      [streams],
    );
    const streamHeads = new Map(rows.map((r) => [r.stream, r.p]));
    const claims = noClaims();
    const savepoints = batch.length > 1;
    let position = head;
    const results: CallerResult[] = [];
    for (const events of batch) {
      const conflict = conflictOf(events, ctx.state(), claims);
      if (conflict !== undefined) {
        results.push(conflict);
        continue;
      }
      const recorded: RecordedEvent[] = [];
      const local = new Map<string, number>();
      for (const event of events) {
        const stream = streamOf(event);
        const streamPosition = (local.get(stream) ?? streamHeads.get(stream) ?? 0) + 1;
        local.set(stream, streamPosition);
        recorded.push({ ...event, position: position + recorded.length + 1, stream, streamPosition, recordedAt: options.recordedAt } as RecordedEvent);
      }
      const serialized = recorded.map(serialize);
      const params = [
        recorded.map((e) => e.position),
        recorded.map((e) => e.stream),
        recorded.map((e) => e.streamPosition),
        serialized.map((s) => s.type),
        serialized.map((s) => s.version),
        serialized.map((s) => s.data),
        recorded.map((e) => e.recordedAt),
      ];
      try {
        if (savepoints) await client.query('SAVEPOINT caller');
        await client.query(INSERT, params);
        if (savepoints) await client.query('RELEASE SAVEPOINT caller');
      } catch (err) {
        // A broken constraint fails its caller alone; anything else (connection, disk) all.
        if (!savepoints || !isConstraintError(err)) throw err;
        await client.query('ROLLBACK TO SAVEPOINT caller');
        results.push(new BeaconError('internal_error', { cause: err }));
        continue;
      }
      for (const [stream, p] of local) streamHeads.set(stream, p);
      position += recorded.length;
      results.push(recorded);
    }
    // Delivered with the commit, never before: a follower woken by it finds the rows.
    if (position > head) await client.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, String(position)]);
    await client.query('COMMIT');
    return results;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** SQLSTATE class 23: integrity constraint violation. */
function isConstraintError(err: unknown): boolean {
  const code: unknown = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('23');
}
