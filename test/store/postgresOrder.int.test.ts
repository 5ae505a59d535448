// One total order across nodes: two nodes appending at once leave one gap-free order both
// hear identically and a cursor-moving reader never skips; a node whose LISTEN connection
// is killed still learns of a revocation from its catch-up.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import type { BeaconEvent, RecordedEvent } from '../../src/events/index.js';
import { openPostgresLog, type PostgresLog } from '../../src/store/postgres/index.js';
import { ev } from '../support/given.js';
import { pgMissing, startPostgres, type TestPostgres } from '../support/postgres.js';

const APPENDERS_PER_NODE = 4;
const APPENDS_PER_APPENDER = 40;

describe('PostgreSQL log order across nodes', { skip: pgMissing }, () => {
  let server: TestPostgres;
  const open: PostgresLog[] = [];
  const openLog = async (url: string, catchUpIntervalMs?: number): Promise<PostgresLog> => {
    const log = await openPostgresLog({ url, clock: systemClock, ...(catchUpIntervalMs === undefined ? {} : { catchUpIntervalMs }) });
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

  test('concurrent appends on two nodes: one gap-free order, heard identically by both, never skipped by a reader', async () => {
    const url = await server.createDatabase();
    const nodes = [await openLog(url), await openLog(url)];
    const heard = nodes.map(() => [] as RecordedEvent[]);
    nodes.forEach((node, i) => node.subscribe((events) => heard[i]?.push(...events)));

    // A reader that trusts what it reads and moves on: what a sequence-numbered log loses.
    const readerLog = await openLog(url);
    const seen: number[] = [];
    let writing = true;
    const reader = (async () => {
      let cursor = 0;
      for (;;) {
        // Read before looking at the flag: once every append has resolved, an empty page is the head.
        const done = !writing;
        const page = await readerLog.read(cursor, 500);
        for (const e of page) seen.push(e.position);
        cursor = page.at(-1)?.position ?? cursor;
        if (page.length > 0) continue;
        if (done) break;
        await readerLog.catchUp(); // a round trip between polls, not a sleep
      }
    })();

    const event = (node: number, appender: number, n: number): BeaconEvent =>
      n % 3 === 0 ? ev.revoked(node * 100 + appender, `j-${node}-${appender}-${n}`, 9_999_999_999) : ev.connAuth(`s-${node}-${appender}-${n}`, 1, 'u', 'j');
    await Promise.all(
      nodes.flatMap((node, i) =>
        Array.from({ length: APPENDERS_PER_NODE }, async (_, a) => {
          for (let n = 0; n < APPENDS_PER_APPENDER; n++) await node.append([event(i, a, n)]);
        }),
      ),
    );
    writing = false;
    await reader;
    const total = nodes.length * APPENDERS_PER_NODE * APPENDS_PER_APPENDER;
    await Promise.all(nodes.map((n) => n.catchUp()));

    const expected = Array.from({ length: total }, (_, i) => i + 1);
    assert.deepEqual(seen, expected, 'the reader saw every position, in order');
    for (const h of heard) assert.deepEqual(h.map((e) => e.position), expected, 'each node heard every event once, in order');
    const describe = (events: readonly RecordedEvent[]) => events.map((e) => `${e.position}:${e.stream}:${e.streamPosition}:${JSON.stringify(e.data)}`);
    assert.deepEqual(describe(heard[0] ?? []), describe(heard[1] ?? []), 'both nodes heard the same log');
    assert.deepEqual(describe(heard[0] ?? []), describe(await nodes[0]?.read(0, total + 1) ?? []), 'and it is the stored log');
  });

  test('a node whose LISTEN connection was killed still applies a revocation, after its catch-up', async () => {
    const url = await server.createDatabase();
    const writer = await openLog(url);
    const follower = await openLog(url, 300);
    await writer.append([ev.registered(1, 'alice'), ev.login(1, 'alice', 'j1', 9_999_999_999)]);
    await follower.catchUp();
    assert.equal(follower.projections().activeTokens.byUser.get(1)?.jti, 'j1');

    const admin = new pg.Client(url);
    await admin.connect();
    try {
      const killed = await admin.query<{ n: number }>(
        "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()",
      );
      assert.equal(killed.rows[0]?.n, 2, 'both nodes were listening');
    } finally {
      await admin.end();
    }
    const revoked = new Promise<RecordedEvent[]>((resolve) => {
      const stop = follower.subscribe((events) => {
        if (events.some((e) => e.type === 'TokenRevoked')) {
          stop();
          resolve([...events]);
        }
      });
    });
    // Appended at once: no notification can reach the follower until it re-listens.
    await writer.append([ev.loggedOut(1, 'j1'), ev.revoked(1, 'j1', 9_999_999_999)]);
    const events = await revoked;
    assert.deepEqual(events.map((e) => e.type), ['LoggedOut', 'TokenRevoked']);
    assert.equal(follower.projections().blacklist.revoked.has('j1'), true);
    assert.equal(follower.projections().activeTokens.byUser.has(1), false);
    assert.ok(follower.stats().listenDrops >= 1, 'the dropped LISTEN connection is counted');
  });
});
