// `migrate-to-postgres`: a real SQLite log copied into a throwaway PostgreSQL. Everyone's
// account survives (positions, user ids, tokens), a second run copies nothing, a grown
// source copies only what is new, and a PostgreSQL log of another deployment is refused.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { migrateToPostgres } from '../../src/cli/migrateToPostgres.js';
import { systemClock } from '../../src/clock.js';
import { openEventStore } from '../../src/store/index.js';
import { openPostgresLog } from '../../src/store/postgres/index.js';
import { tempDir } from '../support/beacon.js';
import { ev } from '../support/given.js';
import { pgMissing, startPostgres, type TestPostgres } from '../support/postgres.js';
import { ROOT } from '../support/process.js';


const dirs: string[] = [];
/** A temp directory removed when the file's tests end. */
const scratch = (): string => {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const CLI = join(ROOT, 'src/cli/migrateToPostgres.ts');

function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function sqliteLog(path: string, batches: ReadonlyArray<Parameters<ReturnType<typeof openEventStore>['append']>[0]>): Promise<void> {
  const store = openEventStore({ path, clock: systemClock });
  try {
    for (const events of batches) await store.append(events);
  } finally {
    await store.close();
  }
}

async function count(url: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}

describe('migrate-to-postgres', { skip: pgMissing }, () => {
  let server: TestPostgres;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.dispose();
  });

  test('copies the log with its positions and user ids, copies nothing twice, then only what is new', async () => {
    const path = join(scratch(), 'beacon.db');
    await sqliteLog(path, [
      [ev.registered(1, 'alice'), ev.started()],
      // An imported user keeps the id the old application gave it, gaps and all.
      [ev.registered(40, 'bob', 'pbkdf2:sha256:600000$salt$00ff')],
      [ev.login(1, 'alice', 'j-alice', 9_999_999_999), ev.connClosed('sid', null, 4003)],
      [ev.login(40, 'bob', 'j-bob', 9_999_999_999)],
      [ev.loggedOut(40, 'j-bob'), ev.revoked(40, 'j-bob', 9_999_999_999)],
    ]);
    const url = await server.createDatabase();
    const first = await runCli(['--from', path, '--to', url]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /copied 8 events \(0 were already there, 8 in all\)/);

    const sqlite = openEventStore({ path, clock: systemClock });
    const log = await openPostgresLog({ url, clock: systemClock });
    try {
      const strip = (events: readonly object[]) => events.map((e) => JSON.stringify(e));
      assert.deepEqual(strip(await log.read(0, 100)), strip(await sqlite.read(0, 100)), 'event for event, positions and timestamps kept');
      const users = [...log.projections().users.byId.values()].map((u) => [u.userId, u.username]);
      assert.deepEqual(users, [[1, 'alice'], [40, 'bob']]);
      assert.equal(log.projections().activeTokens.byUser.get(1)?.jti, 'j-alice');
      assert.ok(log.projections().blacklist.revoked.has('j-bob'));
    } finally {
      await log.close();
      await sqlite.close();
    }

    const second = await runCli(['--from', path, '--to', url]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /nothing to copy, PostgreSQL already holds all 8 events/);
    assert.equal(await count(url), 8);

    await sqliteLog(path, [[ev.registered(41, 'carol')]]);
    assert.deepEqual(await migrateToPostgres({ from: path, to: url }), { source: 9, present: 8, copied: 1 });
    assert.equal(await count(url), 9);
  });

  test('refuses a PostgreSQL log that is not a prefix of the source, and leaves it as it was', async () => {
    const url = await server.createDatabase();
    const ours = join(scratch(), 'beacon.db');
    await sqliteLog(ours, [[ev.registered(1, 'alice')], [ev.registered(2, 'bob')]]);
    const theirs = join(scratch(), 'beacon.db');
    await sqliteLog(theirs, [[ev.registered(1, 'mallory')]]);
    await migrateToPostgres({ from: theirs, to: url });

    const refused = await runCli(['--from', ours, '--to', url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^migrate-to-postgres: refusing: the PostgreSQL log is not a copy of this one \(they differ at position 1\)/);
    assert.equal(await count(url), 1);

    // Longer than the source is no prefix either.
    const shorter = join(scratch(), 'beacon.db');
    await sqliteLog(shorter, []);
    await assert.rejects(migrateToPostgres({ from: shorter, to: url }), /not a copy of this one/);
  });

  test('an unreachable target is one line naming it, without its password', async () => {
    const path = join(scratch(), 'beacon.db');
    await sqliteLog(path, [[ev.started()]]);
    const result = await runCli(['--from', path, '--to', 'postgres://beacon:pw-secret@127.0.0.1:1/x']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^migrate-to-postgres: cannot use postgres:\/\/beacon:\*\*\*@127\.0\.0\.1:1\/x: .*ECONNREFUSED/);
    assert.doesNotMatch(result.stderr, /pw-secret/);
  });
});
