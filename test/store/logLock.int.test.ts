// One writer per event log, with real processes: a server holds its DATA_DIR, so a second
// server on it (another port) and `import-users` are refused with one line naming the
// holder, and the first server goes on answering. A lock left by a killed server is taken over.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { call, tempDir, testEnv } from '../support/beacon.js';
import { freePort, ready, ROOT, spawnBeacon, type BeaconProcess } from '../support/process.js';
import { within } from '../support/wsClient.js';

const creds = (username: string) => ({ username, password: 'correct horse battery' });

async function startServer(dir: string): Promise<{ p: BeaconProcess; http: string; port: number }> {
  const port = await freePort();
  const p = spawnBeacon({ ...testEnv(dir), LOG_STDOUT: '1', HTTP_PORT: String(port), HTTPS_PORT: '0' });
  await ready(p);
  return { p, http: `http://127.0.0.1:${port}`, port };
}

async function stopServer(p: BeaconProcess): Promise<void> {
  p.child.kill('SIGTERM');
  assert.equal(await within(p.exited, 15_000, 'exit after SIGTERM'), 0);
}

/** `npm run import-users -- <old>` as the tests of the importer run it. */
function importUsers(dataDir: string, old: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/importUsers.ts', old], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', DATA_DIR: dataDir, LOG_STDOUT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function oldDatabase(path: string): void {
  const db = new Database(path);
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE, password_hash TEXT)');
  db.prepare('INSERT INTO users (id, username, password_hash) VALUES (?, ?, ?)').run(1, 'old_amy', 'pbkdf2:sha256:20000$saltsaltsaltsalt$' + 'ab'.repeat(32));
  db.close();
}

const eventCount = (dataDir: string): number => {
  const db = new Database(join(dataDir, 'beacon.db'), { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  } finally {
    db.close();
  }
};

describe('one writer per event log', () => {
  test('a second server on the same DATA_DIR fails to start with one line naming the first (pid, URL); the first still registers users', async () => {
    const dir = tempDir();
    const first = await startServer(dir);
    try {
      const secondPort = await freePort();
      const second = spawnBeacon({ ...testEnv(dir), LOG_STDOUT: '1', HTTP_PORT: String(secondPort), HTTPS_PORT: '0' });
      assert.equal(await within(second.exited, 20_000, 'the second server to exit'), 1);
      const lines = second.stderr().split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, second.stderr());
      assert.match(lines[0] ?? '', new RegExp(`^beacon: DATA_DIR .* is in use: Beacon \\(pid ${first.p.child.pid}, listening on http://127\\.0\\.0\\.1:${first.port}/, since `));
      assert.match(lines[0] ?? '', /give this server its own DATA_DIR$/);
      assert.ok(!second.stdout().includes('beacon ready'));
      assert.equal((await call('POST', `${first.http}/register`, { body: creds('lock_amy') })).status, 201);
      assert.equal((await call('GET', `${first.http}/healthz`)).status, 200);
    } finally {
      await stopServer(first.p);
    }
    assert.ok(!existsSync(join(dir, 'data', 'beacon.db.lock')), 'a graceful stop removes the lock');
  });

  test('import-users refuses while a server holds the log, writes nothing, and works once the server stopped', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const old = join(dir, 'flask.db');
    oldDatabase(old);
    const server = await startServer(dir);
    let stopped = false;
    try {
      const before = eventCount(dataDir);
      const refused = await importUsers(dataDir, old);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr.split('\n').filter((l) => l !== '').length, 1, refused.stderr);
      assert.match(refused.stderr, new RegExp(`^import-users: DATA_DIR .* is in use: Beacon \\(pid ${server.p.child.pid}, listening on http://127\\.0\\.0\\.1:${server.port}/`));
      assert.match(refused.stderr, /stop it first, then run import-users again\n$/);
      assert.equal(eventCount(dataDir), before, 'nothing appended');
      // The bug this prevents: the server's next registration collided with imported ids (500).
      assert.equal((await call('POST', `${server.http}/register`, { body: creds('lock_bob') })).status, 201);
      await stopServer(server.p);
      stopped = true;
      const run = await importUsers(dataDir, old);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /imported {2}1 user\(s\)/);
    } finally {
      if (!stopped) await stopServer(server.p);
    }
  });

  test('the lock of a server killed with SIGKILL is taken over by the next start', async () => {
    const dir = tempDir();
    const first = await startServer(dir);
    first.p.child.kill('SIGKILL');
    await within(first.p.exited, 15_000, 'exit after SIGKILL');
    const lockFile = join(dir, 'data', 'beacon.db.lock');
    assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).pid, first.p.child.pid, 'the dead server left its lock');
    const next = await startServer(dir);
    try {
      assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).pid, next.p.child.pid);
      assert.equal((await call('POST', `${next.http}/register`, { body: creds('lock_cat') })).status, 201);
    } finally {
      await stopServer(next.p);
    }
  });
});
