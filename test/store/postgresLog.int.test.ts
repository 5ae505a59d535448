// The PostgreSQL log against a real, throwaway PostgreSQL: appends and reads, the folds
// rebuilt at start, the schema made once, the append-only guard, group commit, each event
// heard once, a start on an unreachable DATABASE_URL, and registrations racing across nodes.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import { BeaconError } from '../../src/errors.js';
import type { RecordedEvent } from '../../src/events/index.js';
import { StartupError } from '../../src/startupError.js';
import { openPostgresLog, type PostgresLog } from '../../src/store/postgres/index.js';
import { ev } from '../support/given.js';
import { pgMissing, startPostgres, type TestPostgres } from '../support/postgres.js';
import { freePort } from '../support/process.js';

describe('PostgreSQL event log', { skip: pgMissing }, () => {
  let server: TestPostgres;
  const open: PostgresLog[] = [];
  const openLog = async (url: string): Promise<PostgresLog> => {
    const log = await openPostgresLog({ url, clock: systemClock });
    open.push(log);
    return log;
  };
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await Promise.allSettled(open.map((l) => l.close()));
    await server?.dispose();
  });

  test('appends in order, reads back, and a reopened log rebuilds its folds from position 0', async () => {
    const url = await server.createDatabase();
    const log = await openLog(url);
    const first = await log.append([ev.registered(1, 'alice'), ev.login(1, 'alice', 'j1', 9_999_999_999)]);
    const second = await log.append([ev.registered(2, 'bob')]);
    assert.deepEqual(first.map((e) => [e.position, e.stream, e.streamPosition]), [[1, 'user-1', 1], [2, 'user-1', 2]]);
    assert.deepEqual(second.map((e) => e.position), [3]);
    assert.equal(log.lastPosition(), 3);
    assert.equal(log.projections().users.byName.get('bob')?.userId, 2, 'read-your-writes once append resolves');
    const read = await log.read(1, 10);
    assert.deepEqual(read.map((e) => [e.position, e.type]), [[2, 'LoginSucceeded'], [3, 'UserRegistered']]);
    assert.deepEqual(read[0]?.data, first[1]?.data);
    await log.close();

    const again = await openLog(url);
    assert.equal(again.lastPosition(), 3);
    assert.equal(again.projections().users.maxId, 2);
    assert.equal(again.projections().activeTokens.byUser.get(1)?.jti, 'j1');
    const client = new pg.Client(url);
    await client.connect();
    try {
      const versions = await client.query('SELECT version FROM schema_version');
      assert.deepEqual(versions.rows, [{ version: 1 }], 'the schema is made once, whatever the number of starts');
    } finally {
      await client.end();
    }
  });

  test('the events table refuses UPDATE, DELETE and TRUNCATE', async () => {
    const url = await server.createDatabase();
    const log = await openLog(url);
    await log.append([ev.started()]);
    const client = new pg.Client(url);
    await client.connect();
    try {
      for (const sql of ["UPDATE events SET type = 'X'", 'DELETE FROM events', 'TRUNCATE events']) {
        await assert.rejects(client.query(sql), /append-only/, sql);
      }
      assert.equal((await client.query('SELECT count(*)::int AS n FROM events')).rows[0].n, 1);
    } finally {
      await client.end();
    }
  });

  test('appends of one turn share a commit, and listeners hear each event once, in order', async () => {
    const url = await server.createDatabase();
    const log = await openLog(url);
    const heard: RecordedEvent[] = [];
    log.subscribe((events) => heard.push(...events));
    const commitsBefore = log.stats().commits;
    const results = await Promise.all([log.append([ev.registered(1, 'a')]), log.append([ev.registered(2, 'b')]), log.append([ev.started()])]);
    assert.equal(log.stats().commits - commitsBefore, 1, 'one transaction for the turn');
    assert.deepEqual(results.map((r) => r.map((e) => e.position)), [[1], [2], [3]]);
    // The follower reads the same rows back (notification, periodic catch-up): still once.
    await log.catchUp();
    await log.append([ev.started()]);
    await log.catchUp();
    assert.deepEqual(heard.map((e) => e.position), [1, 2, 3, 4]);
  });

  test('two nodes registering the same name at once: one wins, the other is told username_taken', async () => {
    const url = await server.createDatabase();
    const a = await openLog(url);
    const b = await openLog(url);
    // Both decided against folds without the other's user: the same next id, the same name.
    const results = await Promise.allSettled([a.append([ev.registered(1, 'carol')]), b.append([ev.registered(1, 'carol')])]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 1);
    assert.equal(refused.length, 1);
    assert.ok(refused[0]?.reason instanceof BeaconError);
    assert.equal(refused[0].reason.code, 'username_taken');
    // Another name on a taken id: refused as retryable, never two users under one id.
    await assert.rejects(b.append([ev.registered(1, 'dave')]), (err: unknown) => err instanceof BeaconError && err.code === 'unavailable');
    await a.catchUp();
    await b.catchUp();
    for (const log of [a, b]) assert.deepEqual([...log.projections().users.byId.keys()], [1]);
    assert.equal((await a.read(0, 10)).length, 1);
  });

  test('a log that went back (a restore, a failover) is never followed past: the node stays unhealthy', async () => {
    const url = await server.createDatabase();
    const node = await openLog(url);
    await node.append([ev.registered(1, 'alice')]);
    await node.append([ev.login(1, 'alice', 'j1', 9_999_999_999)]);
    await node.append([ev.loggedOut(1, 'j1')]);
    // PostgreSQL comes back without the last two commits, and another node appends anew:
    // position 2 is now another event, which a cursor at 3 would never read.
    const admin = new pg.Client(url);
    await admin.connect();
    try {
      await admin.query('ALTER TABLE events DISABLE TRIGGER USER; DELETE FROM events WHERE position > 1; ALTER TABLE events ENABLE TRIGGER USER');
    } finally {
      await admin.end();
    }
    const other = await openLog(url);
    await other.append([ev.registered(2, 'mallory')]);
    const heard: number[] = [];
    node.subscribe((events) => heard.push(...events.map((e) => e.position)));
    await assert.rejects(node.catchUp(), (err: unknown) => err instanceof BeaconError && err.code === 'unavailable');
    assert.equal(node.healthy(), false);
    await assert.rejects(node.append([ev.started()]), (err: unknown) => err instanceof BeaconError && err.code === 'unavailable');
    await assert.rejects(node.catchUp());
    assert.equal(node.healthy(), false, 'until a restart rebuilds it');
    assert.deepEqual(heard, []);
    const cause = await node.catchUp().catch((err: unknown) => (err as Error).cause);
    assert.match(String(cause), /no longer holds the event this node read at position 3: it lost committed events/);
  });

  test('an unreachable DATABASE_URL stops the start with one line naming it, never its password', async () => {
    const port = await freePort();
    const url = `postgres://beacon:s3cret-pw@127.0.0.1:${port}/beacon`;
    await assert.rejects(openPostgresLog({ url, clock: systemClock }), (err: unknown) => {
      assert.ok(err instanceof StartupError);
      assert.match(err.message, /^DATABASE_URL: cannot connect to postgres:\/\/beacon:\*\*\*@127\.0\.0\.1:\d+\/beacon: .*ECONNREFUSED/);
      assert.doesNotMatch(err.message, /s3cret/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  });
});
