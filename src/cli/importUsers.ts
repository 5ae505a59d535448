// `npm run import-users -- <old database>`: brings the Flask-SocketIO application's users
// into Beacon's event log as UserRegistered events, keeping their ids (where free) and their
// Werkzeug password hashes (rehashed to argon2id at their next login). Safe to re-run.

import { basename, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { storedHashScheme } from '../auth/passwords.js';
import { CliError, defaultDbPath, isEntry, runCli } from './common.js';
import { systemClock } from '../clock.js';
import type { BeaconEvent } from '../events/index.js';
import type { EventLog } from '../ports/index.js';
import { usernameSchema } from '../http/schemas.js';
import { openDatabase, openEventStore, type Db } from '../store/index.js';

const USAGE = `usage: npm run import-users -- <old database> [--db <beacon.db>] [--dry-run]
         [--table T] [--id-column C] [--username-column C] [--hash-column C]`;
/** Column names tried in order when no flag names the column. */
const USERNAME_COLUMNS = ['username', 'user_name', 'login', 'name'];
const HASH_COLUMNS = ['password_hash', 'passwordhash', 'pwhash', 'password', 'passwd', 'hash'];
const ID_COLUMNS = ['id', 'user_id', 'userid'];
const CREATED_COLUMNS = ['created_at', 'created', 'registered_at', 'date_joined'];
const PREFERRED_TABLES = ['users', 'user'];
/** Events read per page when looking for earlier imports. */
const READ_PAGE = 5_000;
/** Epoch values below this are seconds, above it milliseconds. */
const MILLIS_THRESHOLD = 1e12;

interface Source {
  table: string;
  id: string;
  username: string;
  hash: string;
  created: string | undefined;
}

interface Row {
  id: unknown;
  username: unknown;
  hash: unknown;
  created: unknown;
}

export interface ImportReport {
  source: Source;
  imported: Array<{ id: number; newId?: number; username: string }>;
  alreadyImported: string[];
  taken: Array<{ id: string; username: string }>;
  damaged: Array<{ id: string; reason: string }>;
  failed: Array<{ id: string; reason: string }>;
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;
/** A row's id as printed: short, escaped, never anything but the id column's value. */
const showId = (id: unknown): string => (typeof id === 'number' || typeof id === 'bigint' ? String(id) : JSON.stringify(id ?? null).slice(0, 40));

function columnsOf(db: Db, table: string): Array<{ name: string; type: string; pk: number }> {
  return db.prepare(`PRAGMA table_info(${quote(table)})`).all() as Array<{ name: string; type: string; pk: number }>;
}

function pick(columns: readonly string[], wanted: string | undefined, candidates: readonly string[], what: string, table: string): string | undefined {
  if (wanted !== undefined) {
    const found = columns.find((c) => c.toLowerCase() === wanted.toLowerCase());
    if (found === undefined) throw new CliError(`table ${table} has no column ${wanted} (${what}); it has: ${columns.join(', ')}`);
    return found;
  }
  for (const candidate of candidates) {
    const found = columns.find((c) => c.toLowerCase() === candidate);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Finds the users table and its columns, from the flags or from the usual names. */
export function detectSource(db: Db, flags: { table?: string; id?: string; username?: string; hash?: string }): Source {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]);
  const describe = (table: string): Source | undefined => {
    const info = columnsOf(db, table);
    const names = info.map((c) => c.name);
    const username = pick(names, flags.username, USERNAME_COLUMNS, 'username', table);
    const hash = pick(names, flags.hash, HASH_COLUMNS, 'password hash', table);
    if (username === undefined || hash === undefined) return undefined;
    const integerKey = info.find((c) => c.pk === 1 && c.type.toUpperCase() === 'INTEGER')?.name;
    const id = pick(names, flags.id, ID_COLUMNS, 'id', table) ?? integerKey ?? 'rowid';
    // Ids and usernames are printed in the report: neither may be the hash column.
    if (id === hash || username === hash) throw new CliError(`the hash column ${hash} cannot also be the id or username column`);
    return { table, id, username, hash, created: pick(names, undefined, CREATED_COLUMNS, 'created', table) };
  };
  if (flags.table !== undefined) {
    const table = tables.find((t) => t === flags.table);
    if (table === undefined) throw new CliError(`no table ${flags.table}; the database has: ${tables.join(', ') || 'no tables'}`);
    const source = describe(table);
    if (source === undefined) throw new CliError(`table ${table} has no username or password hash column: pass --username-column and --hash-column`);
    return source;
  }
  const found = tables.map((t) => describe(t)).filter((s): s is Source => s !== undefined);
  if (found.length === 0) throw new CliError(`no table with a username and a password hash column among: ${tables.join(', ') || 'no tables'} (pass --table and the column flags)`);
  if (found.length === 1) return found[0] as Source;
  const preferred = found.find((s) => PREFERRED_TABLES.includes(s.table.toLowerCase()));
  if (preferred !== undefined) return preferred;
  throw new CliError(`several tables look like users (${found.map((s) => s.table).join(', ')}): pass --table`);
}

function registeredAtOf(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value < MILLIS_THRESHOLD ? Math.round(value * 1000) : Math.round(value);
  if (typeof value !== 'string') return fallback;
  // SQLite's CURRENT_TIMESTAMP is UTC without a zone: `2024-01-31 12:00:00`.
  const text = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : fallback;
}

/** Usernames already brought in by an earlier run (UserRegistered with importedFrom). */
async function importedUsernames(log: EventLog): Promise<Set<string>> {
  const names = new Set<string>();
  for (let after = 0; ; ) {
    const page = await log.read(after, READ_PAGE);
    for (const event of page) {
      if (event.type === 'UserRegistered' && event.data.importedFrom !== undefined) names.add(event.data.username);
      after = event.position;
    }
    if (page.length < READ_PAGE) return names;
  }
}

/** The damage that makes a row unusable, or undefined. The hash is judged, never shown. */
function damageOf(row: Row): string | undefined {
  if (typeof row.id !== 'number' || !Number.isSafeInteger(row.id) || row.id < 1) return 'id is not a positive integer';
  if (typeof row.username !== 'string') return 'username is missing';
  const name = usernameSchema.safeParse(row.username);
  if (!name.success) return `username ${JSON.stringify(row.username).slice(0, 40)}: ${name.error.issues[0]?.message ?? 'invalid'}`;
  if (typeof row.hash !== 'string' || row.hash.trim() === '') return 'password hash is empty';
  if (storedHashScheme(row.hash) === undefined) return 'password hash is in an unknown or malformed format';
  return undefined;
}

export async function importUsers(options: {
  source: string;
  target: string;
  flags: { table?: string; id?: string; username?: string; hash?: string };
  dryRun: boolean;
  now?: () => number;
}): Promise<ImportReport> {
  const now = options.now ?? (() => Date.now());
  let old: Db;
  try {
    old = openDatabase(options.source, { readonly: true });
  } catch (err) {
    throw new CliError(`cannot open ${options.source}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let source: Source;
  let rows: Row[];
  try {
    source = detectSource(old, options.flags);
    const created = source.created === undefined ? 'NULL' : quote(source.created);
    rows = old
      .prepare(`SELECT ${quote(source.id)} AS id, ${quote(source.username)} AS username, ${quote(source.hash)} AS hash, ${created} AS created FROM ${quote(source.table)} ORDER BY ${quote(source.id)}`)
      .all() as Row[];
  } finally {
    old.close();
  }

  const report: ImportReport = { source, imported: [], alreadyImported: [], taken: [], damaged: [], failed: [] };
  const store = openEventStore({ path: options.target, clock: systemClock, writer: 'import-users' });
  try {
    const { users } = store.projections();
    const earlier = await importedUsernames(store);
    const seen = new Map<string, string>();
    const accepted: Array<{ id: number; username: string; hash: string; created: unknown }> = [];
    for (const row of rows) {
      const damage = damageOf(row);
      if (damage !== undefined) {
        report.damaged.push({ id: showId(row.id), reason: damage });
        continue;
      }
      const [id, username, hash] = [row.id as number, row.username as string, row.hash as string];
      const twin = seen.get(username);
      if (twin !== undefined) {
        report.damaged.push({ id: String(id), reason: `duplicate username (also row ${twin})` });
        continue;
      }
      seen.set(username, String(id));
      if (users.byName.has(username)) {
        if (earlier.has(username)) report.alreadyImported.push(username);
        else report.taken.push({ id: String(id), username });
        continue;
      }
      accepted.push({ id, username, hash, created: row.created });
    }

    // Ids are kept where free; the others get fresh ones above every id in use or kept.
    const kept = new Set(accepted.filter((r) => !users.byId.has(r.id)).map((r) => r.id));
    let next = users.maxId + 1;
    for (const id of kept) next = Math.max(next, id + 1);
    const events: Array<{ row: (typeof accepted)[number]; event: BeaconEvent }> = [];
    for (const row of accepted) {
      const userId = kept.has(row.id) ? row.id : next++;
      const importedFrom = `${basename(options.source)}:${source.table}:${row.id}`;
      events.push({
        row,
        event: { type: 'UserRegistered', data: { userId, username: row.username, passwordHash: row.hash, registeredAt: registeredAtOf(row.created, now()), importedFrom } },
      });
    }
    if (options.dryRun) {
      for (const { row, event } of events) report.imported.push(entryOf(row, event));
      return report;
    }
    // One append per user, in one tick: one transaction, and one user's conflict fails only that user.
    const results = await Promise.allSettled(events.map(({ event }) => store.append([event])));
    results.forEach((result, i) => {
      const { row, event } = events[i] as (typeof events)[number];
      if (result.status === 'fulfilled') report.imported.push(entryOf(row, event));
      else report.failed.push({ id: String(row.id), reason: result.reason instanceof Error ? result.reason.message : String(result.reason) });
    });
    return report;
  } finally {
    await store.close();
  }
}

function entryOf(row: { id: number; username: string }, event: BeaconEvent): ImportReport['imported'][number] {
  const userId = event.type === 'UserRegistered' ? event.data.userId : row.id;
  return userId === row.id ? { id: row.id, username: row.username } : { id: row.id, newId: userId, username: row.username };
}

export function formatReport(report: ImportReport, dryRun: boolean): string[] {
  const { source } = report;
  const moved = report.imported.filter((u) => u.newId !== undefined);
  const lines = [
    `source table ${source.table} (id: ${source.id}, username: ${source.username}, hash: ${source.hash}${source.created === undefined ? '' : `, created: ${source.created}`})`,
    `${dryRun ? 'would import' : 'imported'}  ${report.imported.length} user(s)${moved.length > 0 ? `, ${moved.length} with a new id` : ''}`,
  ];
  for (const u of moved) lines.push(`  id ${u.id} (${u.username}) is taken: now id ${u.newId}`);
  lines.push(`skipped   ${report.alreadyImported.length} already imported`);
  if (report.taken.length > 0) {
    lines.push(`skipped   ${report.taken.length} whose username a Beacon user already has`);
    for (const t of report.taken) lines.push(`  id ${t.id}: username ${t.username} is taken`);
  }
  lines.push(`damaged   ${report.damaged.length} row(s), skipped`);
  for (const d of report.damaged) lines.push(`  id ${d.id}: ${d.reason}`);
  if (report.failed.length > 0) {
    lines.push(`failed    ${report.failed.length} user(s) could not be recorded (run again to retry them)`);
    for (const f of report.failed) lines.push(`  id ${f.id}: ${f.reason}`);
  }
  if (!dryRun && report.imported.length > 0) lines.push('start Beacon: it loads the imported users at start');
  return lines;
}

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        table: { type: 'string' },
        'id-column': { type: 'string' },
        'username-column': { type: 'string' },
        'hash-column': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new CliError(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(`give exactly one old database\n${USAGE}`, 2);
  const sourcePath = resolve(positionals[0] as string);
  if (!existsSync(sourcePath)) throw new CliError(`no database at ${sourcePath}`);
  const target = resolve(values.db ?? defaultDbPath());
  if (target === sourcePath) throw new CliError('the old database and Beacon\'s are the same file');
  const flags = {
    ...(values.table === undefined ? {} : { table: values.table }),
    ...(values['id-column'] === undefined ? {} : { id: values['id-column'] }),
    ...(values['username-column'] === undefined ? {} : { username: values['username-column'] }),
    ...(values['hash-column'] === undefined ? {} : { hash: values['hash-column'] }),
  };
  const dryRun = values['dry-run'] === true;
  const report = await importUsers({ source: sourcePath, target, flags, dryRun });
  process.stdout.write(`import-users: ${sourcePath} -> ${target}\n`);
  for (const line of formatReport(report, dryRun)) process.stdout.write(`${line}\n`);
  return report.failed.length > 0 ? 1 : 0;
}

if (isEntry(import.meta.url)) runCli('import-users', main);
