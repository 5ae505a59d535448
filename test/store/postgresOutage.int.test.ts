// PostgreSQL stopped under a running log: appends are refused with 503 `unavailable` and
// nothing refused is in the log afterwards, healthy() is false and lag() grows (what the
// fencing reads), and once PostgreSQL is back the log recovers by itself.

import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { BeaconError } from '../../src/errors.js';
import { openPostgresLog, type PostgresLog } from '../../src/store/postgres/index.js';
import { ev } from '../support/given.js';
import { pgMissing, startPostgres, type TestPostgres } from '../support/postgres.js';

const isUnavailable = (err: unknown): boolean => err instanceof BeaconError && err.code === 'unavailable' && err.status === 503;

/** Resolves once a catch-up succeeds: the log reached PostgreSQL again. */
async function reconnected(log: PostgresLog): Promise<void> {
  while (!(await log.catchUp().then(() => true, () => false))) await delay(50);
}

describe('PostgreSQL log outage', { skip: pgMissing }, () => {
  let server: TestPostgres;
  let log: PostgresLog | undefined;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await log?.close();
    await server?.dispose();
  });

  test('stopped: appends rejected unavailable, unhealthy, lag grows; restarted: recovers by itself', async () => {
    const url = await server.createDatabase();
    let now = 1_700_000_000_000;
    const errors: string[] = [];
    log = await openPostgresLog({ url, clock: { now: () => now }, catchUpIntervalMs: 200, onError: (_err, what) => errors.push(String(what)) });
    await log.append([ev.registered(1, 'alice')]);
    assert.equal(log.healthy(), true);
    assert.equal(log.lag(), 0);

    await server.stop();
    const refused = await Promise.allSettled([log.append([ev.registered(2, 'bob')]), log.append([ev.login(1, 'alice', 'j1', 9_999_999_999)])]);
    for (const r of refused) {
      assert.equal(r.status, 'rejected', 'nothing is acknowledged while PostgreSQL is down');
      assert.ok(isUnavailable((r as PromiseRejectedResult).reason), `refused with 503 unavailable: ${String((r as PromiseRejectedResult).reason)}`);
    }
    assert.equal(log.healthy(), false);
    await assert.rejects(log.catchUp(), isUnavailable);
    now += 11_000;
    assert.ok(log.lag() >= 11_000, 'no read reached the head while PostgreSQL was down');
    assert.equal(log.projections().users.byId.has(2), false, 'nothing refused reached the folds');
    // Reported when it begins (per lost connection), not once per retry.
    const reported = errors.length;
    assert.ok(errors.some((e) => e === 'event log commit failed' || e === 'cannot follow the event log'), errors.join(', '));
    for (let i = 0; i < 3; i++) await assert.rejects(log.catchUp(), isUnavailable);
    assert.equal(errors.length, reported, `no line per retry: ${errors.join(', ')}`);

    await server.restart();
    await reconnected(log);
    assert.equal(log.healthy(), true);
    assert.equal(log.lag(), 0);
    const recorded = await log.append([ev.registered(2, 'bob')]);
    assert.equal(recorded[0]?.position, 2, 'the refused appends left nothing behind');
    assert.deepEqual((await log.read(0, 10)).map((e) => e.type), ['UserRegistered', 'UserRegistered']);
    // The LISTEN connection came back too: a notification wakes the node again.
    while (!log.stats().listening) await delay(50);
  });

  test('killed (SIGKILL, a crash): every acknowledged append survives the restart, and the log carries on', async () => {
    const url = await server.createDatabase();
    const crashLog = await openPostgresLog({ url, clock: { now: () => Date.now() }, catchUpIntervalMs: 200 });
    try {
      const acknowledged = await Promise.all(Array.from({ length: 20 }, (_, i) => crashLog.append([ev.registered(i + 1, `user${i + 1}`)])));
      await server.kill();
      await assert.rejects(crashLog.append([ev.started()]), isUnavailable);
      await server.restart();
      await reconnected(crashLog);
      const stored = await crashLog.read(0, 100);
      assert.deepEqual(stored.map((e) => e.position), acknowledged.flat().map((e) => e.position), 'crash recovery kept every acknowledged event');
      assert.equal((await crashLog.append([ev.started()]))[0]?.position, 21);
    } finally {
      await crashLog.close();
    }
  });
});
