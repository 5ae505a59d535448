// The lock file's rules, decided in one process: given a lock file in some state, when a
// writer asks for the log, then it gets the lock or a LogLockedError naming the holder.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { acquireLogLock, describeLogHolder, LogLockedError } from '../../src/store/logLock.js';
import { openEventStore } from '../../src/store/eventStore.js';
import { StartupError } from '../../src/startupError.js';

const dbPath = (): string => join(mkdtempSync(join(tmpdir(), 'beacon-lock-')), 'beacon.db');
const lockOf = (db: string): string => `${db}.lock`;
const holderIn = (db: string): { pid: number; role: string; listening?: string[] } => JSON.parse(readFileSync(lockOf(db), 'utf8'));
/** A pid that surely belongs to no process now: one that just exited. */
const deadPid = (): number => {
  const run = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(run.stdout);
};

function refused(fn: () => unknown): LogLockedError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LogLockedError, String(err));
    assert.ok(err instanceof StartupError, 'printed as one line by main.ts');
    assert.ok(!err.message.includes('\n'));
    return err;
  }
  assert.fail('the lock was granted');
}

describe('acquireLogLock', () => {
  test('given no lock file, then the lock is taken (mode 0600, this pid inside) and released', () => {
    const db = dbPath();
    const lock = acquireLogLock(db, 'beacon');
    assert.equal(holderIn(db).pid, process.pid);
    assert.equal(holderIn(db).role, 'beacon');
    lock.release();
    assert.ok(!existsSync(lockOf(db)));
    lock.release();
    acquireLogLock(db, 'beacon').release();
  });

  test('given this process holds it, when asked again, then refused (one writer even in one process)', () => {
    const db = dbPath();
    const lock = acquireLogLock(db, 'beacon');
    try {
      const err = refused(() => acquireLogLock(db, 'import-users'));
      assert.match(err.message, new RegExp(`Beacon \\(pid ${process.pid}, since `));
      assert.match(err.message, /then run import-users again$/);
    } finally {
      lock.release();
    }
  });

  test('given a live holder that listens, then the refusal names its pid and URLs', () => {
    const db = dbPath();
    const lock = acquireLogLock(db, 'beacon');
    try {
      describeLogHolder(db, ['https://localhost:5000/', 'http://localhost:5001/']);
      assert.deepEqual(holderIn(db).listening, ['https://localhost:5000/', 'http://localhost:5001/']);
      const err = refused(() => acquireLogLock(db, 'beacon'));
      assert.match(err.message, /^DATA_DIR .* is in use: Beacon \(pid \d+, listening on https:\/\/localhost:5000\/ and http:\/\/localhost:5001\/, since .*\) holds its event log beacon\.db; stop it first, or give this server its own DATA_DIR$/);
    } finally {
      lock.release();
    }
  });

  test('given a live process of another pid (the test runner\'s parent), then refused', () => {
    const db = dbPath();
    writeFileSync(lockOf(db), JSON.stringify({ pid: process.ppid, role: 'import-users', since: 'then' }));
    const err = refused(() => acquireLogLock(db, 'beacon'));
    assert.match(err.message, new RegExp(`import-users \\(pid ${process.ppid}, since then\\)`));
    assert.equal(holderIn(db).pid, process.ppid, 'the live lock is left alone');
  });

  test('given the lock of a dead pid, then it is taken over', () => {
    const db = dbPath();
    writeFileSync(lockOf(db), JSON.stringify({ pid: deadPid(), role: 'beacon', since: 'then' }));
    const lock = acquireLogLock(db, 'beacon');
    assert.equal(holderIn(db).pid, process.pid);
    lock.release();
  });

  test('given this pid in a lock this process does not hold (a restarted container reuses pids), then taken over', () => {
    const db = dbPath();
    writeFileSync(lockOf(db), JSON.stringify({ pid: process.pid, role: 'beacon', since: 'before the restart' }));
    acquireLogLock(db, 'beacon').release();
  });

  test('given a live pid whose start time differs from the recorded one (a reused pid), then taken over', () => {
    const db = dbPath();
    writeFileSync(lockOf(db), JSON.stringify({ pid: process.ppid, role: 'beacon', since: 'then', started: '1' }));
    acquireLogLock(db, 'beacon').release();
  });

  test('given an unreadable lock file: refused while fresh (a writer is starting), taken over once old', () => {
    const db = dbPath();
    writeFileSync(lockOf(db), '');
    const err = refused(() => acquireLogLock(db, 'beacon'));
    assert.match(err.message, /another process holds/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockOf(db), old, old);
    acquireLogLock(db, 'beacon').release();
  });
});

describe('the event store holds the lock', () => {
  test('while open a second store on the same file is refused; after close it opens', async () => {
    const db = dbPath();
    const clock = { now: () => 1_000 };
    const first = openEventStore({ path: db, clock });
    refused(() => openEventStore({ path: db, clock, writer: 'import-users' }));
    await first.close();
    assert.ok(!existsSync(lockOf(db)));
    const second = openEventStore({ path: db, clock });
    await second.close();
  });
});
