// `npm run events -- tail|stats`: reads the event log of a Beacon database (read-only,
// safe beside a running server) and prints it as readable lines for operators.
// Password hashes and anything like them are never printed.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { deserialize } from '../events/index.js';
import { CliError, defaultDbPath, isEntry, runCli } from './common.js';
import { openDatabase, type Db, type EventRow as Row } from '../store/index.js';

const USAGE = `usage: npm run events -- tail [-n N] [--db path] [--follow]
       npm run events -- stats [--db path]`;
const DEFAULT_TAIL = 20;
const FOLLOW_INTERVAL_MS = 500;
/** Rows read per poll while following, so a burst does not load the whole log at once. */
const FOLLOW_BATCH = 1_000;
/** Data keys whose values are secrets (password hashes and the like). */
const SECRET_KEY = /password|hash|secret|token/i;
/** Values that look like a stored password hash whatever their key is called. */
const HASH_LIKE = /^(\$argon2|\$2[aby]\$|\$scrypt|pbkdf2:|scrypt:)/;
/** Keys holding epoch seconds and epoch milliseconds, shown as ISO times. */
const SECONDS_KEYS = new Set(['iat', 'exp', 'nbf']);
const MILLIS_KEYS = new Set(['registeredAt']);

const isoOrRaw = (ms: number): string => {
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date.toISOString() : String(ms);
};

function formatValue(key: string, value: unknown): string {
  // Who made an operator's change: `admin:<key fingerprint>` (the key itself is never logged).
  if (key === 'by' && typeof value === 'object' && value !== null && typeof (value as { actor?: unknown }).actor === 'string') {
    const by = value as { actor: string; fingerprint?: unknown };
    return typeof by.fingerprint === 'string' ? `${by.actor}:${by.fingerprint}` : by.actor;
  }
  if (SECRET_KEY.test(key) || (typeof value === 'string' && HASH_LIKE.test(value))) return '[redacted]';
  if (typeof value === 'number' && SECONDS_KEYS.has(key)) return isoOrRaw(value * 1000);
  if (typeof value === 'number' && MILLIS_KEYS.has(key)) return isoOrRaw(value);
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** One readable line: `#42  <recorded at>  user-1#3  LoginSucceeded  userId=1 username=alice ...`. */
export function formatRow(row: Row): string {
  const head = `#${row.position}  ${isoOrRaw(row.recorded_at)}  ${row.stream}#${row.stream_position}  ${row.type}`;
  let data: Record<string, unknown>;
  try {
    data = deserialize(row.type, row.schema_version, row.data).data as Record<string, unknown>;
  } catch (err) {
    // A row this version cannot read (newer server, unknown type): say so, never dump it raw.
    return `${head}  [unreadable v${row.schema_version}: ${err instanceof Error ? err.message : String(err)}]`;
  }
  const fields = Object.entries(data).map(([key, value]) => `${key}=${formatValue(key, value)}`);
  return fields.length === 0 ? head : `${head}  ${fields.join(' ')}`;
}

function openLog(path: string): Db {
  if (!existsSync(path)) throw new CliError(`no database at ${path} (pass --db <path> or set DATA_DIR)`);
  let db: Db;
  try {
    db = openDatabase(path, { readonly: true });
  } catch (err) {
    throw new CliError(`cannot open ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    db.prepare('SELECT 1 FROM events LIMIT 1').get();
  } catch (err) {
    db.close();
    throw new CliError(`${path} is not a Beacon database: ${err instanceof Error ? err.message : String(err)}`);
  }
  return db;
}

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function tail(db: Db, count: number, follow: boolean): Promise<void> {
  const recent = db
    .prepare('SELECT * FROM (SELECT * FROM events ORDER BY position DESC LIMIT ?) ORDER BY position')
    .all(count) as Row[];
  for (const row of recent) write(formatRow(row));
  if (!follow) return;

  let last = recent.at(-1)?.position ?? (db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck().get() as number);
  const after = db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      for (;;) {
        const rows = after.all(last, FOLLOW_BATCH) as Row[];
        for (const row of rows) write(formatRow(row));
        last = rows.at(-1)?.position ?? last;
        if (rows.length < FOLLOW_BATCH) break;
      }
    }, FOLLOW_INTERVAL_MS);
    const stop = (): void => {
      clearInterval(timer);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function stats(db: Db): void {
  const byType = db.prepare('SELECT type, COUNT(*) AS n FROM events GROUP BY type ORDER BY n DESC, type').all() as Array<{ type: string; n: number }>;
  const span = db.prepare('SELECT COUNT(*) AS n, COALESCE(MAX(position), 0) AS last, MIN(recorded_at) AS first_at, MAX(recorded_at) AS last_at FROM events').get() as {
    n: number;
    last: number;
    first_at: number | null;
    last_at: number | null;
  };
  const width = Math.max(5, ...byType.map((t) => t.type.length));
  write(`events         ${span.n}`);
  write(`last position  ${span.last}`);
  if (span.first_at !== null && span.last_at !== null) write(`recorded       ${isoOrRaw(span.first_at)} .. ${isoOrRaw(span.last_at)}`);
  if (byType.length > 0) write('');
  for (const { type, n } of byType) write(`${type.padEnd(width)}  ${String(n).padStart(8)}`);
}

export async function main(argv: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        n: { type: 'string', short: 'n' },
        db: { type: 'string' },
        follow: { type: 'boolean', short: 'f', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new CliError(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    write(USAGE);
    return;
  }
  const [command, ...extra] = positionals;
  if ((command !== 'tail' && command !== 'stats') || extra.length > 0) {
    throw new CliError(`${command === undefined ? 'missing command' : `unknown command ${[command, ...extra].join(' ')}`}\n${USAGE}`, 2);
  }
  let count = DEFAULT_TAIL;
  if (values.n !== undefined) {
    if (command !== 'tail' || !/^\d+$/.test(values.n)) throw new CliError(`-n must be a whole number (tail only)\n${USAGE}`, 2);
    count = Number(values.n);
  }
  if (values.follow === true && command !== 'tail') throw new CliError(`--follow is for tail only\n${USAGE}`, 2);

  const db = openLog(resolve(values.db ?? defaultDbPath()));
  try {
    if (command === 'stats') stats(db);
    else await tail(db, count, values.follow === true);
  } finally {
    db.close();
  }
}

if (isEntry(import.meta.url)) {
  // `events tail | head` closes the pipe early: that is a normal end, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  runCli('events', main);
}
