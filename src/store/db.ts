// Opens Beacon's one SQLite database: WAL mode, the append-only events table (guarded by
// triggers against UPDATE and DELETE) and the tables the projections keep.

import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** One row of the events table, as SQLite returns it. */
export interface EventRow {
  position: number;
  stream: string;
  stream_position: number;
  type: string;
  schema_version: number;
  data: string;
  recorded_at: number;
}

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position        INTEGER PRIMARY KEY AUTOINCREMENT,
  stream          TEXT    NOT NULL,
  stream_position INTEGER NOT NULL,
  type            TEXT    NOT NULL,
  schema_version  INTEGER NOT NULL,
  data            TEXT    NOT NULL,
  recorded_at     INTEGER NOT NULL,
  UNIQUE (stream, stream_position)
);
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE IF NOT EXISTS users (
  user_id       INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  registered_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS revoked_tokens (
  jti     TEXT    PRIMARY KEY,
  user_id INTEGER NOT NULL,
  exp     INTEGER NOT NULL,
  reason  TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS revoked_tokens_exp ON revoked_tokens (exp);
CREATE TABLE IF NOT EXISTS active_tokens (
  user_id INTEGER PRIMARY KEY,
  jti     TEXT    NOT NULL,
  exp     INTEGER NOT NULL
);
-- One row, rewritten by the health check after a failed commit: proof that the disk takes
-- writes again (see EventStore.healthy). Not part of the log, not a projection.
CREATE TABLE IF NOT EXISTS store_probe (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  checked_at INTEGER NOT NULL
);
`;

/**
 * The database holds password hashes: it is created 0600 (an empty file is a valid SQLite
 * database), and SQLite gives its -wal and -shm files the main file's mode. One made
 * before this rule, or copied in, is tightened at open, as the generated keys are.
 */
function ownerOnly(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) writeFileSync(path, '', { flag: 'a', mode: 0o600 });
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}

export function openDatabase(path: string, options: { readonly?: boolean } = {}): Db {
  if (options.readonly !== true) ownerOnly(path);
  const db = new Database(path, { readonly: options.readonly === true, fileMustExist: options.readonly === true });
  if (options.readonly !== true) {
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk (WAL fsynced) before the HTTP answer; see eventStore.ts.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
  }
  db.pragma('busy_timeout = 5000');
  return db;
}
