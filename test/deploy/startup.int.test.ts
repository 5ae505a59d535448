// How a start goes wrong, or right, as a new user meets it: real `src/main.ts` processes
// (and real in-process servers) on a fresh DATA_DIR. Bad settings stop the start with one
// line before anything is written; accepted-but-odd settings start with a warning.

import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { readLogs, registerAndLogin, startTestBeacon, TEST_SECRET, tempDir, testEnv } from '../support/beacon.js';
import { freePort, ROOT, spawnBeacon } from '../support/process.js';
import { within } from '../support/wsClient.js';

/** Runs main.ts with `extra` over the test environment (null: unset); returns its exit code and stderr. */
async function failedStart(dir: string, extra: Record<string, string | null>): Promise<{ code: number | string; stderr: string }> {
  const merged: Record<string, string | null> = { ...testEnv(dir), HTTP_PORT: String(await freePort()), HTTPS_PORT: '0', ...extra };
  const env = Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== null));
  const p = spawnBeacon(env);
  try {
    const code = await within(p.exited, 20_000, 'the failed start to exit');
    return { code, stderr: p.stderr() };
  } finally {
    p.child.kill('SIGKILL');
  }
}

describe('settings checked before anything is written', () => {
  test('HOST=not-an-ip stops the start with one line naming HOST; no key, certificate or database is written', async () => {
    const dir = tempDir();
    const { code, stderr } = await failedStart(dir, { HOST: 'not-an-ip', HTTPS_PORT: '5000', HTTP_PORT: '5001', JWT_SECRET_KEY: null });
    assert.equal(code, 1);
    assert.equal(stderr, 'beacon: HOST: must be an IP address to listen on, such as 0.0.0.0, 127.0.0.1 or :: (got "not-an-ip")\n');
    const data = join(dir, 'data');
    assert.ok(!existsSync(data) || readdirSync(data).length === 0, `DATA_DIR holds ${existsSync(data) ? readdirSync(data).join(', ') : ''}`);
  });

  test('HTTP_PORT=abc says what a port must be', async () => {
    const { code, stderr } = await failedStart(tempDir(), { HTTP_PORT: 'abc' });
    assert.equal(code, 1);
    assert.equal(stderr, 'beacon: HTTP_PORT: must be an integer from 0 to 65535 (got "abc")\n');
  });
});

describe('TOKEN_TTL_SECONDS under 60 s', () => {
  test('starts, issues tokens of that lifetime, and logs a warning naming the setting', async () => {
    const t = await startTestBeacon({ env: { TOKEN_TTL_SECONDS: '5' } });
    try {
      const warning = readLogs(t.dir).app.split('\n').find((l) => l.includes('TOKEN_TTL_SECONDS is 5'));
      assert.ok(warning !== undefined, 'a warning in app.log');
      assert.equal(JSON.parse(warning).level, 40, 'at warn level');
      const { token } = await registerAndLogin(t.http, 'short_ttl');
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { iat: number; exp: number };
      assert.equal(claims.exp - claims.iat, 5);
    } finally {
      await t.stop();
    }
  });
});

describe('secrets on disk', () => {
  test('a JWT_SECRET_KEY_FILE readable by group or others stops the start with one line', async () => {
    const dir = tempDir();
    const file = join(dir, 'jwt_secret_key');
    writeFileSync(file, `${TEST_SECRET}\n`, { mode: 0o600 });
    chmodSync(file, 0o644);
    const { code, stderr } = await failedStart(dir, { JWT_SECRET_KEY: null, JWT_SECRET_KEY_FILE: file });
    assert.equal(code, 1);
    assert.equal(stderr, `beacon: JWT_SECRET_KEY_FILE: ${file} is readable by group or others (mode 644); chmod 600 it\n`);
  });

  const modes = (data: string): Record<string, string> =>
    Object.fromEntries(['beacon.db', 'beacon.db-wal', 'beacon.db-shm'].map((f) => [f, (statSync(join(data, f)).mode & 0o777).toString(8)]));

  test('beacon.db and its -wal and -shm files are created 0600 (they hold password hashes)', async () => {
    // The usual umask: without Beacon's care the files would come out 0644.
    const umask = process.umask(0o022);
    try {
      const t = await startTestBeacon();
      try {
        await registerAndLogin(t.http, 'perm_amy');
        assert.deepEqual(modes(join(t.dir, 'data')), { 'beacon.db': '600', 'beacon.db-wal': '600', 'beacon.db-shm': '600' });
      } finally {
        await t.stop();
      }
    } finally {
      process.umask(umask);
    }
  });

  test('a database made 0644 before this rule is tightened at start', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    mkdirSync(data);
    const db = new Database(join(data, 'beacon.db'));
    db.exec('CREATE TABLE early (x)');
    db.close();
    chmodSync(join(data, 'beacon.db'), 0o644);
    const t = await startTestBeacon({ dir });
    try {
      await registerAndLogin(t.http, 'perm_bob');
      assert.deepEqual(modes(data), { 'beacon.db': '600', 'beacon.db-wal': '600', 'beacon.db-shm': '600' });
    } finally {
      await t.stop();
    }
  });
});

describe('the first line on a terminal', () => {
  const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

  test('is "Beacon ready: <console URL>", before the lines logged while starting', async (t) => {
    if (!hasScript) return t.skip('util-linux script(1) is not installed: no pseudo-terminal to run under');
    const dir = tempDir();
    const port = await freePort();
    const env = { PATH: process.env['PATH'] ?? '', ...testEnv(dir), LOG_STDOUT: '1', HTTP_PORT: String(port), HTTPS_PORT: '0', JWT_SECRET_KEY: '' };
    delete (env as Record<string, string | undefined>)['JWT_SECRET_KEY'];
    // script(1) gives main.ts a pseudo-terminal as stdout, as a person's shell would.
    const child = spawn('script', ['-qfec', `${JSON.stringify(process.execPath)} --import tsx src/main.ts`, '/dev/null'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await within(
        new Promise<void>((resolve) => {
          child.stdout.on('data', (c: Buffer) => {
            out += c.toString();
            if (/Beacon ready: [^\n]*\n[^\n]*\n/.test(out)) resolve();
          });
        }),
        20_000,
        'the ready line and the one after it',
      );
      const lines = out.replaceAll('\r', '').split('\n').filter((l) => l.trim() !== '');
      assert.equal(lines[0], `Beacon ready: http://127.0.0.1:${port}/ (console)`);
      // The warning about the generated key was logged before ready: it comes after, readable.
      assert.match(lines[1] ?? '', /^\d\d:\d\d:\d\d warn  app: no JWT_SECRET_KEY given/);
      assert.ok(!out.includes('{"level"'), 'no JSON on the terminal');
    } finally {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      await within(exited, 15_000, 'exit after SIGTERM');
    }
    assert.match(readLogs(dir).app, /"msg":"beacon ready"/, 'the file keeps JSON');
  });
});
