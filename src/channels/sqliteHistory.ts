// The embedded channel history: its own SQLite file beside the event log
// (DATA_DIR/channels.db, mode 0600, WAL), never the auth log. Appends of one event-loop
// turn share a transaction (group commit); retention is trimmed on append and swept.

import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../clock.js';
import { CHANNEL_HISTORY_SIZE_MAX, CHANNEL_META_TTL_SECONDS, CHANNEL_TRIM_BATCH, CHANNEL_TRIM_INTERVAL_MS } from '../constants.js';
import { BeaconError } from '../errors.js';
import { isRecoverable, notRecovered, recoveryFrom, type ChannelHistory, type Publication, type PublicationSender, type Retention } from './history.js';
import { SCHEMA } from './sqliteHistorySchema.js';

export { CHANNELS_DB_FILE } from './sqliteHistorySchema.js';

export interface SqliteHistoryOptions {
  /** Usually join(DATA_DIR, CHANNELS_DB_FILE). */
  path: string;
  clock: Clock;
  onError?: (err: unknown) => void;
  /** Group commit: appends of one event-loop turn in one transaction (default on). */
  groupCommit?: boolean;
  /** Sweep period; 0 leaves sweeping to `trim()` calls (tests). */
  trimIntervalMs?: number;
  /** How long a head with no kept publication is remembered (tests shorten it). */
  metaTtlMs?: number;
  /** Store secrets (tests may fix them); default 16 random bytes. */
  newSecret?: () => string;
}

export interface SqliteChannelHistory extends ChannelHistory {
  /** Deletes aged-out publications and forgotten heads; returns how many of each. */
  trim(): { publications: number; heads: number };
  /** Kept publications per namespace (the metrics gauge; never per channel). */
  keptByNamespace(): Map<string, number>;
  stats(): Readonly<HistoryStats>;
}

export interface HistoryStats {
  /** Transactions that wrote appends (one per event-loop turn with any). */
  commits: number;
  publications: number;
  failures: number;
}

interface HeadRow {
  epoch: string;
  last_offset: number;
  last_ts: number;
  keep_size: number;
  keep_ttl_ms: number;
}
interface PublicationRow {
  offset: number;
  data: string;
  from_username: string | null;
  from_user_id: number | null;
  ts: number;
}
interface Pending {
  channel: string;
  from: PublicationSender | null;
  data: unknown;
  json: string;
  retention: Retention;
  resolve(publication: Publication): void;
  reject(err: unknown): void;
}

export function openSqliteHistory(options: SqliteHistoryOptions): SqliteChannelHistory {
  const { clock } = options;
  const metaTtlMs = options.metaTtlMs ?? CHANNEL_META_TTL_SECONDS * 1000;
  const newSecret = options.newSecret ?? ((): string => randomBytes(16).toString('base64url'));
  mkdirSync(dirname(options.path), { recursive: true });
  // Created 0600 before SQLite opens it; SQLite gives the -wal and -shm files the same mode.
  closeSync(openSync(options.path, 'a', 0o600));
  chmodSync(options.path, 0o600);
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  // NORMAL under WAL: a commit is in the WAL file (the OS holds it) before append resolves,
  // so it survives kill -9 of the process; only power loss or an OS crash can lose the last
  // commits, which FULL would fsync one by one at a cost every publication would pay. The
  // auth log stays FULL: its promises (revocations) must outlive power loss, publications
  // are a realtime feed whose loss shows as recovered: false, never as a wrong answer.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  db.prepare('INSERT OR IGNORE INTO channel_store (id, secret, created_at) VALUES (1, ?, ?)').run(newSecret(), clock.now());

  const getSecret = db.prepare('SELECT secret FROM channel_store WHERE id = 1').pluck();
  const setSecret = db.prepare('UPDATE channel_store SET secret = ? WHERE id = 1');
  const getHead = db.prepare<[string], HeadRow>('SELECT epoch, last_offset, last_ts, keep_size, keep_ttl_ms FROM channel_heads WHERE channel = ?');
  const putHead = db.prepare(
    `INSERT INTO channel_heads (channel, epoch, last_offset, last_ts, keep_size, keep_ttl_ms) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (channel) DO UPDATE SET last_offset = excluded.last_offset, last_ts = excluded.last_ts,
       keep_size = excluded.keep_size, keep_ttl_ms = excluded.keep_ttl_ms`,
  );
  const insertPublication = db.prepare(
    'INSERT INTO publications (channel, "offset", data, from_username, from_user_id, ts, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const clipExpiry = db.prepare('UPDATE publications SET expires_at = MIN(expires_at, ?) WHERE channel = ?');
  const trimToSize = db.prepare('DELETE FROM publications WHERE channel = ? AND "offset" <= ?');
  const dropChannel = db.prepare('DELETE FROM publications WHERE channel = ?');
  const columns = 'SELECT "offset" AS offset, data, from_username, from_user_id, ts FROM publications';
  const readAfter = db.prepare<[string, number, number, number], PublicationRow>(
    `${columns} WHERE channel = ? AND "offset" > ? AND expires_at > ? ORDER BY "offset" LIMIT ?`,
  );
  const readLast = db.prepare<[string, number, number], PublicationRow>(
    `SELECT * FROM (${columns} WHERE channel = ? AND expires_at > ? ORDER BY "offset" DESC LIMIT ?) ORDER BY offset`,
  );
  const sweepPublications = db.prepare(
    `DELETE FROM publications WHERE (channel, "offset") IN
       (SELECT channel, "offset" FROM publications WHERE expires_at <= ? LIMIT ?)`,
  );
  const sweepHeads = db.prepare(
    `DELETE FROM channel_heads WHERE channel IN (SELECT h.channel FROM channel_heads h WHERE h.last_ts <= ?
       AND NOT EXISTS (SELECT 1 FROM publications p WHERE p.channel = h.channel) LIMIT ?)`,
  );
  const countByNamespace = db.prepare<[], { ns: string; n: number }>(
    "SELECT substr(channel, 1, instr(channel, ':') - 1) AS ns, COUNT(*) AS n FROM publications GROUP BY ns",
  );

  const derivedEpoch = (channel: string): string =>
    createHash('sha256').update(getSecret.get() as string).update('\0').update(channel).digest('base64url').slice(0, 12);

  const headOf = (channel: string): { epoch: string; offset: number } => {
    const row = getHead.get(channel);
    return row === undefined ? { epoch: derivedEpoch(channel), offset: 0 } : { epoch: row.epoch, offset: row.last_offset };
  };

  const toPublication = (channel: string, epoch: string, row: PublicationRow): Publication => ({
    channel,
    offset: row.offset,
    epoch,
    from: row.from_username === null || row.from_user_id === null ? null : { username: row.from_username, user_id: row.from_user_id },
    data: JSON.parse(row.data) as unknown,
    ts: row.ts,
  });

  const writeOne = (p: Pending, now: number): Publication => {
    const head = getHead.get(p.channel);
    const epoch = head?.epoch ?? derivedEpoch(p.channel);
    const offset = (head?.last_offset ?? 0) + 1;
    // A clock stepped back must not make a later publication look older than an earlier one.
    const ts = Math.max(now, head?.last_ts ?? now);
    const size = Math.min(Math.max(0, Math.floor(p.retention.size)), CHANNEL_HISTORY_SIZE_MAX);
    const ttlMs = Math.max(0, Math.floor(p.retention.ttlSeconds * 1000));
    if (size === 0 || ttlMs === 0) {
      dropChannel.run(p.channel);
    } else {
      const expiresAt = ts + ttlMs;
      // A shorter TTL than before: older publications expire no later than this one.
      if (head !== undefined && head.keep_ttl_ms > ttlMs) clipExpiry.run(expiresAt, p.channel);
      insertPublication.run(p.channel, offset, p.json, p.from?.username ?? null, p.from?.user_id ?? null, ts, expiresAt);
      trimToSize.run(p.channel, offset - size);
    }
    putHead.run(p.channel, epoch, offset, ts, size, ttlMs);
    return { channel: p.channel, offset, epoch, from: p.from, data: p.data, ts };
  };
  const writeBatch = db.transaction((batch: readonly Pending[], now: number): Publication[] => batch.map((p) => writeOne(p, now)));

  const stats: HistoryStats = { commits: 0, publications: 0, failures: 0 };
  let pending: Pending[] = [];
  let scheduled = false;
  let closed = false;

  const flush = (): void => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    let written: Publication[];
    try {
      written = writeBatch(batch, clock.now());
    } catch (err) {
      stats.failures++;
      options.onError?.(err);
      const failure = new BeaconError('unavailable', { cause: err });
      for (const p of batch) p.reject(failure);
      return;
    }
    stats.commits++;
    stats.publications += written.length;
    batch.forEach((p, i) => p.resolve(written[i] as Publication));
  };

  const forgetHeads = db.transaction((now: number): number => {
    const heads = sweepHeads.run(now - metaTtlMs, CHANNEL_TRIM_BATCH).changes;
    // A forgotten head may come back: every epoch not yet stored in a row must change too.
    if (heads > 0) setSecret.run(newSecret());
    return heads;
  });
  // Each statement is its own transaction of at most CHANNEL_TRIM_BATCH rows.
  const trim = (now: number): { publications: number; heads: number } => {
    let publications = 0;
    for (let n = CHANNEL_TRIM_BATCH; n === CHANNEL_TRIM_BATCH; publications += n) {
      n = sweepPublications.run(now, CHANNEL_TRIM_BATCH).changes;
    }
    let heads = 0;
    for (let n = CHANNEL_TRIM_BATCH; n === CHANNEL_TRIM_BATCH; heads += n) n = forgetHeads(now);
    return { publications, heads };
  };

  const intervalMs = options.trimIntervalMs ?? CHANNEL_TRIM_INTERVAL_MS;
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          try {
            trim(clock.now());
          } catch (err) {
            options.onError?.(err);
          }
        }, intervalMs)
      : undefined;
  timer?.unref();

  const closedError = (): BeaconError => new BeaconError('unavailable', { message: 'Channel history is closed' });
  const read = <T>(fn: () => T): Promise<T> => {
    if (closed) return Promise.reject(closedError());
    try {
      return Promise.resolve(fn());
    } catch (err) {
      options.onError?.(err);
      return Promise.reject(new BeaconError('unavailable', { cause: err }));
    }
  };

  return {
    append(channel, input, retention) {
      if (closed) return Promise.reject(closedError());
      let json: string;
      try {
        json = JSON.stringify(input.data ?? null);
      } catch (err) {
        return Promise.reject(new BeaconError('invalid_message', { message: 'Publication data is not JSON', cause: err }));
      }
      return new Promise<Publication>((resolve, reject) => {
        pending.push({ channel, from: input.from, data: input.data ?? null, json, retention, resolve, reject });
        if (options.groupCommit === false) return flush();
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    since(channel, since, limit = CHANNEL_HISTORY_SIZE_MAX) {
      return read(() => {
        const head = headOf(channel);
        // Too many missed to hand over whole: not recovered, so nothing partial is read.
        if (!isRecoverable(head, since) || head.offset - since.offset > limit) return notRecovered(head);
        const rows = readAfter.all(channel, since.offset, clock.now(), head.offset - since.offset);
        return recoveryFrom(head, since, rows.map((row) => toPublication(channel, head.epoch, row)));
      });
    },
    head: (channel) => read(() => headOf(channel)),
    recent(channel, limit, after) {
      return read(() => {
        const head = headOf(channel);
        const now = clock.now();
        const count = Math.max(0, Math.floor(limit));
        const rows = after === undefined ? readLast.all(channel, now, count) : readAfter.all(channel, after, now, count);
        return { ...head, publications: rows.map((row) => toPublication(channel, head.epoch, row)) };
      });
    },
    trim: () => trim(clock.now()),
    stats: () => stats,
    keptByNamespace: () => new Map(countByNamespace.all().map((r) => [r.ns, r.n])),
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      flush();
      db.close();
    },
  };
}
