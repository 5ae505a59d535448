// `npm run migrate-to-postgres -- --from DATA_DIR/beacon.db --to $DATABASE_URL`: copies one
// node's SQLite event log into PostgreSQL event for event (positions, user ids, JSON kept);
// re-runs copy only what is missing, and a PostgreSQL log not a prefix of it is refused.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { acquireLogLock, LogLockedError, openDatabase, type Db, type EventRow } from '../store/index.js';
import { APPEND_LOCK_KEY, describePgError, migrate, NOTIFY_CHANNEL, redactUrl, type PgEventRow } from '../store/postgres/index.js';
import { CliError, defaultDbPath, isEntry, runCli } from './common.js';

const USAGE = 'usage: npm run migrate-to-postgres -- --to <postgres URL> [--from <beacon.db>]';
/** Events per read and per copy transaction. */
const PAGE = 2_000;
/** A progress line at most this often during a long copy. */
const PROGRESS_INTERVAL_MS = 1_000;

export interface MigrationReport {
  /** Events in the SQLite log. */
  source: number;
  /** Events PostgreSQL already held (the prefix checked). */
  present: number;
  copied: number;
}

const INSERT = `INSERT INTO events (position, stream, stream_position, type, schema_version, data, recorded_at)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::int[], $6::text[], $7::bigint[])`;

const same = (a: EventRow, b: PgEventRow): boolean =>
  a.position === Number(b.position) &&
  a.stream === b.stream &&
  a.stream_position === b.stream_position &&
  a.type === b.type &&
  a.schema_version === b.schema_version &&
  a.data === b.data &&
  a.recorded_at === Number(b.recorded_at);

/** Proves PostgreSQL's log a prefix of the SQLite one; returns its length and last position. */
async function checkPrefix(source: Db, client: pg.Client): Promise<{ present: number; head: number }> {
  const sourcePage = source.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
  let present = 0;
  for (let after = 0; ; ) {
    const { rows } = await client.query<PgEventRow>('SELECT * FROM events WHERE position > $1 ORDER BY position LIMIT $2', [after, PAGE]);
    const mine = sourcePage.all(after, PAGE) as EventRow[];
    rows.forEach((row, i) => {
      const theirs = mine[i];
      if (theirs === undefined || !same(theirs, row)) {
        throw new CliError(
          `refusing: the PostgreSQL log is not a copy of this one (they differ at position ${row.position}); it belongs to another deployment, or this SQLite log is not the one it was copied from`,
        );
      }
    });
    present += rows.length;
    after = rows.length === 0 ? after : Number(rows.at(-1)?.position);
    if (rows.length < PAGE) return { present, head: after };
  }
}

export async function migrateToPostgres(options: { from: string; to: string; progress?: (line: string) => void }): Promise<MigrationReport> {
  // The single node must be stopped: a log that grows while it is copied is copied short.
  let lock;
  try {
    lock = acquireLogLock(options.from, 'migrate-to-postgres');
  } catch (err) {
    if (err instanceof LogLockedError) throw new CliError(err.message);
    throw err;
  }
  const source = openDatabase(options.from, { readonly: true });
  const client = new pg.Client({ connectionString: options.to });
  try {
    try {
      await client.connect();
      await migrate(client);
    } catch (err) {
      throw new CliError(`cannot use ${redactUrl(options.to)}: ${describePgError(err, options.to)}`);
    }
    const total = source.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    const { present, head: copiedUpTo } = await checkPrefix(source, client);
    const page = source.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
    let after = copiedUpTo;
    let copied = 0;
    let lastProgress = Date.now();
    for (;;) {
      const rows = page.all(after, PAGE) as EventRow[];
      if (rows.length === 0) break;
      // Each page under the cluster's append lock, after checking no node appended meanwhile.
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK_KEY.toString()]);
        const head = Number((await client.query<{ h: string }>('SELECT COALESCE(MAX(position), 0) AS h FROM events')).rows[0]?.h);
        if (head !== after) throw new CliError(`refusing: something else appended to the PostgreSQL log while copying (its head is ${head}, expected ${after}); stop the cluster's nodes`);
        await client.query(INSERT, [
          rows.map((r) => r.position),
          rows.map((r) => r.stream),
          rows.map((r) => r.stream_position),
          rows.map((r) => r.type),
          rows.map((r) => r.schema_version),
          rows.map((r) => r.data),
          rows.map((r) => r.recorded_at),
        ]);
        await client.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, String(rows.at(-1)?.position)]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      copied += rows.length;
      after = rows.at(-1)?.position ?? after;
      if (Date.now() - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = Date.now();
        options.progress?.(`copied ${present + copied} of ${total} events`);
      }
    }
    return { source: total, present, copied };
  } finally {
    await client.end().catch(() => undefined);
    source.close();
    lock.release();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { from: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    }));
  } catch (err) {
    throw new CliError(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`, 2);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.to === undefined || !/^postgres(ql)?:\/\//.test(values.to)) throw new CliError(`--to must be a postgres:// URL\n${USAGE}`, 2);
  const from = resolve(values.from ?? defaultDbPath());
  if (!existsSync(from)) throw new CliError(`no event log at ${from}`);
  const report = await migrateToPostgres({ from, to: values.to, progress: (line) => process.stderr.write(`migrate-to-postgres: ${line}\n`) });
  const where = `${from} -> ${redactUrl(values.to)}`;
  process.stdout.write(
    report.copied === 0
      ? `migrate-to-postgres: ${where}: nothing to copy, PostgreSQL already holds all ${report.present} events\n`
      : `migrate-to-postgres: ${where}: copied ${report.copied} events (${report.present} were already there, ${report.source} in all)\n`,
  );
  return 0;
}

if (isEntry(import.meta.url)) runCli('migrate-to-postgres', main);
