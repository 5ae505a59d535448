// Integration test for `npm run events`: a real store in a temp dir, the CLI run as a child
// process, its lines checked, and no password hash in anything it prints.

import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openEventStore } from '../../src/store/eventStore.js';
import { ev } from '../support/given.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = join(ROOT, 'src/cli/events.ts');
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA';
const LEGACY_HASH = 'pbkdf2:sha256:600000$salt$0123456789abcdef';
const RECORDED_AT = Date.UTC(2026, 10, 28, 1, 42, 9, 861);

let dir: string;
let dbPath: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
}

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const child = start(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'beacon-'));
  dbPath = join(dir, 'beacon.db');
  const store = openEventStore({ path: dbPath, clock: { now: () => RECORDED_AT } });
  await store.append([
    ev.registered(1, 'alice', HASH, RECORDED_AT),
    { type: 'UserRegistered', data: { userId: 2, username: 'bob', passwordHash: LEGACY_HASH, registeredAt: RECORDED_AT, importedFrom: 'flask' } },
  ]);
  await store.append([ev.rehashed(2, HASH)]);
  await store.append([ev.login(1, 'alice', '0aa9c0de-0000-4000-8000-000000000001', 1_800_003_600, 1_800_000_000)]);
  await store.append([ev.connClosed('sid-1', null, 4003)]);
  await store.close();
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('events CLI', () => {
  test('tail prints one readable line per event, oldest first, hashes redacted', async () => {
    const { code, stdout, stderr } = await run(['tail', '--db', dbPath]);
    assert.equal(stderr, '');
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split('\n');
    assert.deepEqual(lines, [
      '#1  2026-11-28T01:42:09.861Z  user-1#1  UserRegistered  userId=1 username=alice passwordHash=[redacted] registeredAt=2026-11-28T01:42:09.861Z',
      '#2  2026-11-28T01:42:09.861Z  user-2#1  UserRegistered  userId=2 username=bob passwordHash=[redacted] registeredAt=2026-11-28T01:42:09.861Z importedFrom=flask',
      '#3  2026-11-28T01:42:09.861Z  user-2#2  PasswordRehashed  userId=2 passwordHash=[redacted]',
      '#4  2026-11-28T01:42:09.861Z  user-1#2  LoginSucceeded  userId=1 username=alice jti=0aa9c0de-0000-4000-8000-000000000001 iat=2027-01-15T08:00:00.000Z exp=2027-01-15T09:00:00.000Z address=127.0.0.1',
      '#5  2026-11-28T01:42:09.861Z  connection-sid-1#1  ConnectionClosed  sid=sid-1 userId=null code=4003 reason=bye',
    ]);
    for (const secret of [HASH, LEGACY_HASH, '$argon2', 'pbkdf2', 'c2FsdHNhbHRzYWx0']) assert.ok(!stdout.includes(secret), secret);
  });

  test('tail -n N prints the last N', async () => {
    const { code, stdout } = await run(['tail', '-n', '2', '--db', dbPath]);
    assert.equal(code, 0);
    assert.deepEqual(
      stdout.trimEnd().split('\n').map((l) => l.split('  ')[0]),
      ['#4', '#5'],
    );
  });

  test('stats counts events by type and shows the last position', async () => {
    const { code, stdout } = await run(['stats', '--db', dbPath]);
    assert.equal(code, 0);
    assert.match(stdout, /^events\s+5$/m);
    assert.match(stdout, /^last position\s+5$/m);
    assert.match(stdout, /^UserRegistered\s+2$/m);
    assert.match(stdout, /^PasswordRehashed\s+1$/m);
    assert.match(stdout, /^LoginSucceeded\s+1$/m);
    assert.match(stdout, /^ConnectionClosed\s+1$/m);
  });

  test('the default database is $DATA_DIR/beacon.db', async () => {
    const { code, stdout } = await run(['tail', '-n', '1'], { DATA_DIR: dir });
    assert.equal(code, 0);
    assert.match(stdout, /^#5 /);
  });

  test('a missing database is one clear line on stderr, no stack', async () => {
    const missing = join(dir, 'nope', 'beacon.db');
    const { code, stdout, stderr } = await run(['tail', '--db', missing]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(stderr, `events: no database at ${missing} (pass --db <path> or set DATA_DIR)\n`);
  });

  test('a file that is not a Beacon database is one clear line', async () => {
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not sqlite at all, just some text that is long enough to have a header'.repeat(10));
    const { code, stderr } = await run(['stats', '--db', junk]);
    assert.equal(code, 1);
    assert.match(stderr, /^events: .*junk\.db is not a Beacon database: .*\n$/);
  });

  test('a bad command or option prints usage and exits 2', async () => {
    for (const args of [['frobnicate'], [], ['tail', '-n', 'lots', '--db', dbPath], ['stats', '--follow', '--db', dbPath]]) {
      const { code, stderr } = await run(args);
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, /usage: npm run events -- tail/);
      assert.ok(!stderr.includes('    at '), 'no stack');
    }
  });

  test('--follow prints events committed after it started, until SIGINT', async () => {
    const child = start(['tail', '-n', '1', '--follow', '--db', dbPath]);
    let stdout = '';
    let exited = false;
    const waiters = new Set<() => void>();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      for (const wake of waiters) wake();
    });
    const closed = new Promise<number | null>((resolve) =>
      child.once('close', (code) => {
        exited = true;
        for (const wake of waiters) wake();
        resolve(code);
      }),
    );
    /** Resolves once stdout matches; rejects if the child exits first. */
    const waitFor = (pattern: RegExp): Promise<void> =>
      new Promise((resolve, reject) => {
        const wake = (): void => {
          if (pattern.test(stdout)) {
            waiters.delete(wake);
            resolve();
          } else if (exited) {
            waiters.delete(wake);
            reject(new Error(`exited before ${pattern}: ${stdout}`));
          }
        };
        waiters.add(wake);
        wake();
      });

    await waitFor(/^#5 /m);
    const store = openEventStore({ path: dbPath, clock: { now: () => RECORDED_AT } });
    try {
      await store.append([ev.rehashed(1, HASH), ev.loggedOut(1, '0aa9c0de-0000-4000-8000-000000000001')]);
    } finally {
      await store.close();
    }
    await waitFor(/^#7 .*LoggedOut/m);
    child.kill('SIGINT');
    assert.equal(await closed, 0);
    assert.match(stdout, /^#6 .*PasswordRehashed  userId=1 passwordHash=\[redacted\]$/m);
    assert.ok(!stdout.includes(HASH));
  });
});
