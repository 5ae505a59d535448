// The store fails safe when another process writes its SQLite file (what `import-users`
// beside a running server did): every append is refused with 503 `unavailable`, health
// stays false until a restart, and the restart folds the foreign events in.

import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BeaconError } from '../../src/errors.js';
import { ForeignWriteError, HEALTH_PROBE_INTERVAL_MS, openEventStore } from '../../src/store/index.js';
import { ev } from '../support/given.js';

const dir = mkdtempSync(join(tmpdir(), 'beacon-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tempDbPath = (): string => join(dir, 'beacon.db');

function fakeClock(start = 1_700_000_000_000): { now(): number; set(ms: number): void } {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms) };
}

test('a log written behind the store\'s back refuses appends with unavailable and stays unhealthy', async () => {
  // What `import-users` beside a running server did: a second process appends a user and
  // its projection row. The server's folds do not know user 2, so it would hand id 2 out
  // again and break users.user_id (a 500 while /healthz said 200).
  const path = tempDbPath();
  const clock = fakeClock();
  const errors: unknown[] = [];
  const store = openEventStore({ path, clock, onError: (err) => errors.push(err) });
  const other = new Database(path);
  try {
    await store.append([ev.registered(1, 'alice')]);
    let heard = 0;
    store.subscribe(() => void heard++);
    other
      .prepare("INSERT INTO events (stream, stream_position, type, schema_version, data, recorded_at) VALUES ('user-2', 1, 'UserRegistered', 1, ?, 0)")
      .run(JSON.stringify({ userId: 2, username: 'imported', passwordHash: 'pbkdf2:sha256:1$a$b', registeredAt: 0 }));
    other.prepare("INSERT INTO users (user_id, username, password_hash, registered_at) VALUES (2, 'imported', 'x', 0)").run();

    const results = await Promise.allSettled([store.append([ev.registered(2, 'bob')]), store.append([ev.started()])]);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      const reason = (result as PromiseRejectedResult).reason as unknown;
      assert.ok(reason instanceof BeaconError);
      assert.equal(reason.code, 'unavailable');
      assert.equal(reason.status, 503);
    }
    assert.equal(store.healthy(), false);
    assert.ok(errors[0] instanceof ForeignWriteError, 'the cause is reported');
    assert.match(String((errors[0] as Error).message), /written by another process/);
    assert.equal(heard, 0);

    // A probe succeeds (the disk takes writes), yet the folds are stale: still unhealthy, still refused.
    clock.set(clock.now() + HEALTH_PROBE_INTERVAL_MS);
    assert.equal(store.healthy(), false);
    await assert.rejects(store.append([ev.started()]), (err: unknown) => err instanceof BeaconError && err.code === 'unavailable');
    assert.equal(other.prepare('SELECT COUNT(*) FROM events').pluck().get(), 2, 'nothing more was written');
    assert.equal(store.projections().users.byId.has(2), false);
  } finally {
    other.close();
    await store.close();
  }
  // A restart rebuilds from the log, foreign events included, and writes again.
  const reopened = openEventStore({ path, clock });
  try {
    assert.equal(reopened.projections().users.byName.get('imported')?.userId, 2);
    assert.equal(reopened.healthy(), true);
    assert.equal((await reopened.append([ev.registered(3, 'bob')]))[0]?.position, 3);
  } finally {
    await reopened.close();
  }
});
