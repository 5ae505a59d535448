// One writer per event log: a lock file beside the database (`beacon.db.lock`), created
// exclusively with the holder's pid inside. A second server, or the importer, on the same
// log is refused with one line naming the holder; the lock of a dead process is taken over.

import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { StartupError } from '../startupError.js';

/** What the lock file holds: enough to name the holder and to tell whether it still runs. */
export interface LockHolder {
  readonly pid: number;
  /** Who holds it: `beacon` (a server) or a command's name (`import-users`). */
  readonly role: string;
  readonly since: string;
  /** Linux process start time (clock ticks since boot): tells a reused pid from its holder. */
  readonly started?: string;
  /** The server's URLs, once it listens. */
  readonly listening?: readonly string[];
}

/** The log is held by another live process; the message names it and says what to do. */
export class LogLockedError extends StartupError {
  constructor(
    readonly lockFile: string,
    readonly holder: LockHolder | undefined,
    /** Who was refused: the advice differs for a second server and for a command. */
    role: string,
  ) {
    const advice = role === 'beacon' ? 'stop it first, or give this server its own DATA_DIR' : `stop it first, then run ${role} again`;
    super(`DATA_DIR ${dirname(lockFile)} is in use: ${describeHolder(holder)} holds its event log ${basename(lockFile, '.lock')}; ${advice}`);
  }
}

export interface LogLock {
  readonly file: string;
  /** Adds the addresses the server listens on, so a refused second start can name them. */
  describe(listening: readonly string[]): void;
  /** Removes the lock file if it is still this process's. Idempotent. */
  release(): void;
}

/** Lock files this process holds: a second open in the same process is refused too. */
const held = new Map<string, LogLock>();
/** A lock file that cannot be read as JSON this long after it was made is debris of a crash. */
const UNREADABLE_GRACE_MS = 5_000;
const TAKEOVER_ATTEMPTS = 3;

export function lockFileOf(dbPath: string): string {
  return `${dbPath}.lock`;
}

/** Takes the lock of the log at `dbPath`, or throws LogLockedError naming its live holder. */
export function acquireLogLock(dbPath: string, role: string): LogLock {
  const file = lockFileOf(dbPath);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let holder: LockHolder = { pid: process.pid, role, since: new Date().toISOString(), ...startedOf(process.pid) };
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
    if (createExclusive(file, holder)) {
      let released = false;
      const lock: LogLock = {
        file,
        describe(listening) {
          if (released) return;
          holder = { ...holder, listening };
          // Replaced whole (write aside, rename over), so a reader never sees half a file.
          const aside = `${file}.${process.pid}.tmp`;
          writeFileSync(aside, JSON.stringify(holder), { mode: 0o600 });
          renameSync(aside, file);
        },
        release() {
          if (released) return;
          released = true;
          held.delete(file);
          if (readHolder(file)?.pid === process.pid) unlinkQuietly(file);
        },
      };
      held.set(file, lock);
      return lock;
    }
    const current = readHolder(file);
    if (isLive(file, current)) throw new LogLockedError(file, current, role);
    // Stale: its process is gone (a crash, kill -9, a power cut). Remove it and try again;
    // should two starters race for it, the exclusive create still lets only one win.
    unlinkQuietly(file);
  }
  throw new LogLockedError(file, readHolder(file), role);
}

/** Adds the server's URLs to the lock this process holds on the log at `dbPath`, if any. */
export function describeLogHolder(dbPath: string, listening: readonly string[]): void {
  held.get(lockFileOf(dbPath))?.describe(listening);
}

/** Creates `file` holding `holder` only if it does not exist; never a half-written file. */
function createExclusive(file: string, holder: LockHolder): boolean {
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, JSON.stringify(holder), { mode: 0o600 });
  try {
    linkSync(aside, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkQuietly(aside);
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const pid = (parsed as { pid?: unknown }).pid;
    return Number.isInteger(pid) ? (parsed as LockHolder) : undefined;
  } catch {
    // Missing or not JSON: the caller decides from the file's age (see isLive).
    return undefined;
  }
}

function isLive(file: string, holder: LockHolder | undefined): boolean {
  if (holder === undefined) return ageMs(file) < UNREADABLE_GRACE_MS;
  if (holder.pid === process.pid) return held.has(file);
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user, so it is alive.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // Same pid, another start time: the pid was reused by an unrelated process.
  const now = startedOf(holder.pid).started;
  return holder.started === undefined || now === undefined || now === holder.started;
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces). */
function startedOf(pid: number): { started?: string } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return started === undefined ? {} : { started };
  } catch {
    // Not Linux, or no /proc: the pid check alone decides.
    return {};
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function describeHolder(holder: LockHolder | undefined): string {
  if (holder === undefined) return 'another process';
  const who = holder.role === 'beacon' ? 'Beacon' : holder.role;
  const where = holder.listening === undefined || holder.listening.length === 0 ? '' : `, listening on ${holder.listening.join(' and ')}`;
  return `${who} (pid ${holder.pid}${where}, since ${holder.since})`;
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
