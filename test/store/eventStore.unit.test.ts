// Unit tests for the event store against a real SQLite file in a temp dir: positions,
// group commit, commit-then-notify, rebuild on reopen, the append-only guard, pruning,
// and what a failed commit does to callers and to health.

import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BeaconError } from '../../src/errors.js';
import { openDatabase } from '../../src/store/db.js';
import { openEventStore, type EventStore, type StoreOptions } from '../../src/store/eventStore.js';
import type { RecordedEvent } from '../../src/events/types.js';
import { ev } from '../support/given.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-'));
  dirs.push(dir);
  return join(dir, 'beacon.db');
}

/** A clock the test moves by hand (milliseconds). */
function fakeClock(start = 1_700_000_000_000): { now(): number; set(ms: number): void } {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms) };
}

function open(path: string, extra: Partial<StoreOptions> = {}): EventStore {
  return openEventStore({ path, clock: fakeClock(), ...extra });
}

const strip = (e: RecordedEvent): { position: number; stream: string; streamPosition: number; type: string } => ({
  position: e.position,
  stream: e.stream,
  streamPosition: e.streamPosition,
  type: e.type,
});

describe('event store', () => {
  test('append assigns gap-free global positions and per-stream positions', async () => {
    const store = open(tempDbPath());
    try {
      const first = await store.append([ev.registered(1, 'alice'), ev.registered(2, 'bob')]);
      const second = await store.append([ev.login(1, 'alice', 'jti-a1', 5_000), ev.started(), ev.login(2, 'bob', 'jti-b1', 5_000)]);
      const third = await store.append([ev.revoked(1, 'jti-a1', 5_000)]);
      assert.deepEqual([...first, ...second, ...third].map(strip), [
        { position: 1, stream: 'user-1', streamPosition: 1, type: 'UserRegistered' },
        { position: 2, stream: 'user-2', streamPosition: 1, type: 'UserRegistered' },
        { position: 3, stream: 'user-1', streamPosition: 2, type: 'LoginSucceeded' },
        { position: 4, stream: 'server', streamPosition: 1, type: 'ServerStarted' },
        { position: 5, stream: 'user-2', streamPosition: 2, type: 'LoginSucceeded' },
        { position: 6, stream: 'user-1', streamPosition: 3, type: 'TokenRevoked' },
      ]);
      assert.equal(store.lastPosition(), 6);
      assert.deepEqual((await store.read(0, 100)).map(strip), [...first, ...second, ...third].map(strip));
      assert.deepEqual((await store.read(4, 1)).map((e) => e.position), [5]);
      assert.deepEqual((await store.read(0, 100))[0], first[0]);
    } finally {
      await store.close();
    }
  });

  test('recorded events carry the clock time and the original data', async () => {
    const clock = fakeClock(1_800_000_000_123);
    const store = openEventStore({ path: tempDbPath(), clock });
    try {
      const [rec] = await store.append([ev.loggedOut(1, 'jti-x')]);
      assert.deepEqual(rec, { type: 'LoggedOut', data: { userId: 1, jti: 'jti-x' }, position: 1, stream: 'user-1', streamPosition: 1, recordedAt: 1_800_000_000_123 });
    } finally {
      await store.close();
    }
  });

  test('appends made in one tick share one commit (group commit)', async () => {
    const store = open(tempDbPath());
    try {
      const results = await Promise.all([
        store.append([ev.registered(1, 'alice')]),
        store.append([ev.registered(2, 'bob'), ev.started()]),
        store.append([ev.connClosed('s1', null)]),
      ]);
      assert.equal(store.stats().commits, 1);
      assert.equal(store.stats().events, 4);
      // Each caller gets exactly its own events back, in order.
      assert.deepEqual(results.map((r) => r.map((e) => e.position)), [[1], [2, 3], [4]]);
      await store.append([ev.started()]);
      assert.equal(store.stats().commits, 2);
    } finally {
      await store.close();
    }
  });

  test('with groupCommit off, every append is its own commit', async () => {
    const store = open(tempDbPath(), { groupCommit: false });
    try {
      await Promise.all([store.append([ev.started()]), store.append([ev.started()]), store.append([ev.started()])]);
      assert.equal(store.stats().commits, 3);
    } finally {
      await store.close();
    }
  });

  test('an empty append resolves without a commit', async () => {
    const store = open(tempDbPath());
    try {
      assert.deepEqual(await store.append([]), []);
      assert.equal(store.stats().commits, 0);
    } finally {
      await store.close();
    }
  });

  test('subscribers hear of events only after commit, with the recorded events', async () => {
    const path = tempDbPath();
    const store = open(path);
    const reader = openDatabase(path, { readonly: true });
    try {
      const heard: Array<{ events: readonly RecordedEvent[]; rowsOnDisk: number; usersInMemory: number }> = [];
      const unsubscribe = store.subscribe((events) => {
        heard.push({
          events,
          // A separate connection sees the rows: the transaction has committed.
          rowsOnDisk: reader.prepare('SELECT COUNT(*) FROM events').pluck().get() as number,
          usersInMemory: store.projections().users.byId.size,
        });
      });
      const appended = store.append([ev.registered(1, 'alice'), ev.started()]);
      assert.equal(heard.length, 0, 'nothing is heard before the commit');
      const recorded = await appended;
      assert.equal(heard.length, 1);
      assert.deepEqual(heard[0]?.events, recorded);
      assert.equal(heard[0]?.rowsOnDisk, 2);
      assert.equal(heard[0]?.usersInMemory, 1, 'projections are current when subscribers run');

      unsubscribe();
      await store.append([ev.started()]);
      assert.equal(heard.length, 1, 'an unsubscribed listener hears nothing more');
    } finally {
      reader.close();
      await store.close();
    }
  });

  test('a throwing subscriber does not fail the append or starve other subscribers', async () => {
    const errors: unknown[] = [];
    const store = open(tempDbPath(), { onError: (err) => errors.push(err) });
    try {
      let heard = 0;
      store.subscribe(() => {
        throw new Error('listener broke');
      });
      store.subscribe(() => void heard++);
      await store.append([ev.started()]);
      assert.equal(heard, 1);
      assert.equal(errors.length, 1);
      assert.equal(store.healthy(), true);
    } finally {
      await store.close();
    }
  });

  test('projections (memory and tables) are rebuilt from the log after reopening', async () => {
    const path = tempDbPath();
    const clock = fakeClock();
    const first = openEventStore({ path, clock });
    await first.append([ev.registered(1, 'alice'), ev.registered(2, 'bob'), ev.registered(3, 'carol')]);
    await first.append([ev.rehashed(2, '$argon2id$rehashed')]);
    await first.append([ev.login(1, 'alice', 'jti-a1', 5_000), ev.login(2, 'bob', 'jti-b1', 6_000)]);
    await first.append([ev.revoked(1, 'jti-a1', 5_000, 'superseded'), ev.login(1, 'alice', 'jti-a2', 7_000)]);
    await first.append([ev.revoked(2, 'jti-b1', 6_000, 'logout'), ev.loggedOut(2, 'jti-b1')]);
    const before = structuredClone(first.projections());
    const tablesBefore = dumpTables(path);
    await first.close();

    const second = openEventStore({ path, clock });
    try {
      assert.deepEqual(second.projections(), before);
      assert.equal(second.projections().users.maxId, 3);
      assert.equal(second.projections().users.byName.get('bob')?.passwordHash, '$argon2id$rehashed');
      assert.deepEqual([...second.projections().blacklist.revoked.keys()].sort(), ['jti-a1', 'jti-b1']);
      assert.deepEqual(second.projections().activeTokens.byUser, new Map([[1, { jti: 'jti-a2', exp: 7_000 }]]));
      assert.deepEqual(dumpTables(path), tablesBefore);
      assert.equal(second.lastPosition(), 10);
      // Appending continues the same log.
      const [next] = await second.append([ev.loggedOut(1, 'jti-a2')]);
      assert.equal(next?.position, 11);
      assert.equal(next?.streamPosition, 5);
    } finally {
      await second.close();
    }
  });

  test('the events table refuses UPDATE and DELETE', async () => {
    const path = tempDbPath();
    const store = open(path);
    await store.append([ev.registered(1, 'alice')]);
    await store.close();
    const db = openDatabase(path);
    try {
      assert.throws(() => db.prepare("UPDATE events SET data = '{}' WHERE position = 1").run(), /append-only/);
      assert.throws(() => db.prepare('DELETE FROM events WHERE position = 1').run(), /append-only/);
      assert.throws(() => db.exec('DELETE FROM events'), /append-only/);
      assert.equal(db.prepare('SELECT COUNT(*) FROM events').pluck().get(), 1);
    } finally {
      db.close();
    }
  });

  test('pruneBlacklist forgets expired revocations in memory and in revoked_tokens', async () => {
    const path = tempDbPath();
    const clock = fakeClock(1_000_000); // 1000 s
    const store = openEventStore({ path, clock });
    try {
      await store.append([ev.revoked(1, 'past', 999), ev.revoked(1, 'edge', 1_500), ev.revoked(2, 'future', 1_501)]);
      assert.equal(store.pruneBlacklist(), 1);
      assert.deepEqual([...store.projections().blacklist.revoked.keys()].sort(), ['edge', 'future']);
      assert.deepEqual(revokedRows(path), ['edge', 'future']);

      clock.set(1_500_999); // 1500.999 s: whole seconds are compared, exp 1500 is now past
      assert.equal(store.pruneBlacklist(), 1);
      assert.deepEqual([...store.projections().blacklist.revoked.keys()], ['future']);
      assert.deepEqual(revokedRows(path), ['future']);

      assert.equal(store.pruneBlacklist(), 0);
      // The log itself keeps every TokenRevoked event.
      assert.equal((await store.read(0, 10)).length, 3);
    } finally {
      await store.close();
    }
  });

  test('a constraint broken by one caller fails that caller alone; its batch neighbours commit', async () => {
    // A second UserRegistered for a taken username violates users.username UNIQUE when the
    // projection row is written, inside that caller's savepoint.
    const errors: unknown[] = [];
    const store = open(tempDbPath(), { onError: (err) => errors.push(err) });
    try {
      await store.append([ev.registered(1, 'alice')]);
      const heard: number[] = [];
      store.subscribe((events) => heard.push(events.length));

      const bad = store.append([ev.registered(2, 'alice')]);
      const sameTick = store.append([ev.started()]);
      const [badResult, sameTickResult] = await Promise.allSettled([bad, sameTick]);
      assert.equal(badResult?.status, 'rejected');
      const reason = (badResult as PromiseRejectedResult).reason as unknown;
      assert.ok(reason instanceof BeaconError);
      assert.equal(reason.code, 'internal_error');
      assert.equal(sameTickResult?.status, 'fulfilled');
      assert.equal(store.healthy(), true, 'a data error is not an unhealthy store');
      assert.equal(errors.length, 1);
      assert.deepEqual(heard, [1], 'subscribers hear only what committed');
      assert.equal(store.projections().users.byId.has(2), false);
      assert.equal(store.projections().users.maxId, 1);
      assert.equal(store.lastPosition(), 2, 'positions stay gap-free around a rolled-back savepoint');
      assert.deepEqual((await store.read(0, 10)).map((e) => e.type), ['UserRegistered', 'ServerStarted']);
    } finally {
      await store.close();
    }
  });

  test('a commit that fails as a whole rejects every caller with unavailable, and health recovers', async () => {
    const path = tempDbPath();
    const errors: unknown[] = [];
    const store = open(path, { onError: (err) => errors.push(err) });
    // Another connection holds the write lock: the batch's BEGIN IMMEDIATE cannot proceed.
    const blocker = new Database(path);
    blocker.pragma('busy_timeout = 0');
    try {
      await store.append([ev.started()]);
      let heard = 0;
      store.subscribe(() => void heard++);
      blocker.exec('BEGIN IMMEDIATE');
      const results = await Promise.allSettled([store.append([ev.started()]), store.append([ev.started()])]);
      for (const result of results) {
        assert.equal(result.status, 'rejected');
        const reason = (result as PromiseRejectedResult).reason as unknown;
        assert.ok(reason instanceof BeaconError);
        assert.equal(reason.code, 'unavailable');
        assert.equal(reason.status, 503);
      }
      assert.equal(store.healthy(), false);
      assert.equal(store.stats().failures, 1);
      assert.equal(heard, 0, 'subscribers hear nothing of a failed commit');
      blocker.exec('ROLLBACK');
      const [ok] = await store.append([ev.started()]);
      assert.equal(ok?.position, 2, 'positions stay gap-free after a rolled-back commit');
      assert.equal(store.healthy(), true);
      assert.equal(heard, 1);
    } finally {
      blocker.close();
      await store.close();
    }
  });

  test('close commits what is pending, then refuses appends', async () => {
    const path = tempDbPath();
    const store = open(path);
    const pending = store.append([ev.started()]);
    await store.close();
    assert.equal((await pending).length, 1);
    await assert.rejects(store.append([ev.started()]), (err: unknown) => err instanceof BeaconError && err.code === 'unavailable');
    await store.close(); // idempotent
    const reopened = open(path);
    try {
      assert.equal(reopened.lastPosition(), 1);
    } finally {
      await reopened.close();
    }
  });
});

function dumpTables(path: string): Record<string, unknown[]> {
  const db = openDatabase(path, { readonly: true });
  try {
    return {
      users: db.prepare('SELECT * FROM users ORDER BY user_id').all(),
      revoked: db.prepare('SELECT * FROM revoked_tokens ORDER BY jti').all(),
      active: db.prepare('SELECT * FROM active_tokens ORDER BY user_id').all(),
    };
  } finally {
    db.close();
  }
}

function revokedRows(path: string): string[] {
  const db = openDatabase(path, { readonly: true });
  try {
    return db.prepare('SELECT jti FROM revoked_tokens ORDER BY jti').pluck().all() as string[];
  } finally {
    db.close();
  }
}
