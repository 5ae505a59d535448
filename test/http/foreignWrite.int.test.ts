// A Beacon whose log is written behind its back (what `import-users` beside a running
// server did) must not answer 500 while /healthz says 200: it refuses writes with 503
// `unavailable`, reports unhealthy, and logs why, until a restart rebuilds from the log.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { call, readLogs, registerAndLogin, startTestBeacon } from '../support/beacon.js';

test('a foreign append turns writes into 503 unavailable and /healthz into 503, with the cause logged', async () => {
  const t = await startTestBeacon();
  let restarted: Awaited<ReturnType<typeof startTestBeacon>> | undefined;
  try {
    await registerAndLogin(t.http, 'first_fay');
    // Another process appends a user the server's folds know nothing of, with its projection row.
    const other = new Database(join(t.dir, 'data', 'beacon.db'));
    try {
      const userId = 2;
      other
        .prepare("INSERT INTO events (stream, stream_position, type, schema_version, data, recorded_at) VALUES (?, 1, 'UserRegistered', 1, ?, 0)")
        .run(`user-${userId}`, JSON.stringify({ userId, username: 'imported_ida', passwordHash: 'pbkdf2:sha256:1$a$b', registeredAt: 0, importedFrom: 'test' }));
      other.prepare("INSERT INTO users (user_id, username, password_hash, registered_at) VALUES (?, 'imported_ida', 'x', 0)").run(userId);
    } finally {
      other.close();
    }

    const res = await call('POST', `${t.http}/register`, { body: { username: 'second_sam', password: 'correct horse battery' } });
    assert.deepEqual([res.status, res.json.error], [503, 'unavailable']);
    const health = await call('GET', `${t.http}/healthz`);
    assert.deepEqual([health.status, health.json.status], [503, 'unhealthy']);
    await t.stop(); // flushes the log files
    assert.match(readLogs(t.dir).app, /written by another process/);

    // A restart folds the foreign events in and serves again.
    restarted = await startTestBeacon({ dir: t.dir });
    assert.equal((await call('POST', `${restarted.http}/register`, { body: { username: 'imported_ida', password: 'correct horse battery' } })).status, 409);
    assert.equal((await registerAndLogin(restarted.http, 'second_sam')).userId, 3);
    assert.equal((await call('GET', `${restarted.http}/healthz`)).status, 200);
  } finally {
    await t.stop();
    await restarted?.stop();
  }
});
