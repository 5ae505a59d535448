// Durability (docs/protocol.md §4) and the edges of the auth API: revocations survive a
// restart and kill -9, tokens expire on the injected clock, and logs hold no secrets.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { call, manualClock, readLogs, registerAndLogin, startTestBeacon, tempDir, testEnv, TEST_SECRET } from '../support/beacon.js';
import { freePort, ready, spawnBeacon } from '../support/process.js';

describe('durability', () => {
  test('a token revoked before a graceful restart is still refused after it', async () => {
    const dir = tempDir();
    const first = await startTestBeacon({ dir });
    const { token } = await registerAndLogin(first.http, 'restart_amy');
    assert.equal((await call('POST', `${first.http}/logout`, { token })).status, 200);
    const kept = await registerAndLogin(first.http, 'restart_ben');
    await first.stop();

    const second = await startTestBeacon({ dir });
    try {
      const res = await call('GET', `${second.http}/protected`, { token });
      assert.deepEqual([res.status, res.json.error], [401, 'token_revoked']);
      assert.equal((await call('GET', `${second.http}/protected`, { token: kept.token })).status, 200);
      assert.equal((await call('POST', `${second.http}/register`, { body: { username: 'restart_amy', password: 'whatever123' } })).status, 409);
    } finally {
      await second.stop();
    }
  });

  test('a logout answered 200 survives kill -9; the log has no gaps and passes integrity_check', async () => {
    const dir = tempDir();
    const env = () => freePort().then(async (http) => testEnv(dir, { HTTP_PORT: String(http), HTTPS_PORT: String(await freePort()), LOG_STDOUT: '1' }));
    const e1 = await env();
    const p1 = spawnBeacon(e1);
    await ready(p1);
    const base1 = `http://127.0.0.1:${e1['HTTP_PORT']}`;
    const { token } = await registerAndLogin(base1, 'crash_cat');
    assert.equal((await call('POST', `${base1}/logout`, { token })).status, 200);
    p1.child.kill('SIGKILL');
    assert.equal(await p1.exited, 'SIGKILL');

    const e2 = await env();
    const p2 = spawnBeacon(e2);
    await ready(p2);
    const base2 = `http://127.0.0.1:${e2['HTTP_PORT']}`;
    try {
      const res = await call('GET', `${base2}/protected`, { token });
      assert.deepEqual([res.status, res.json.error], [401, 'token_revoked']);
    } finally {
      p2.child.kill('SIGTERM');
      assert.equal(await p2.exited, 0);
    }
    const db = new Database(join(dir, 'data', 'beacon.db'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const positions = db.prepare('SELECT position FROM events ORDER BY position').pluck().all() as number[];
      positions.forEach((p, i) => assert.equal(p, i + 1));
      const types = db.prepare('SELECT type FROM events').pluck().all();
      for (const type of ['UserRegistered', 'LoginSucceeded', 'LoggedOut', 'TokenRevoked', 'ServerStarted']) assert.ok(types.includes(type), type);
    } finally {
      db.close();
    }
  });

  test('SIGTERM stops the process with exit code 0', async () => {
    const dir = tempDir();
    const e = testEnv(dir, { HTTP_PORT: String(await freePort()), HTTPS_PORT: '0', LOG_STDOUT: '1' });
    const p = spawnBeacon(e);
    await ready(p);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    assert.match(p.stdout(), /"msg":"stopped"/);
  });

  for (const [name, extra, pattern] of [
    ['a short JWT key', { JWT_SECRET_KEY: 'too-short' }, /JWT_SECRET_KEY: key is 9 bytes; at least 32/],
    ['an empty JWT key', { JWT_SECRET_KEY: '' }, /JWT_SECRET_KEY: is empty/],
    ['both JWT key forms', { JWT_SECRET_KEY_FILE: '/etc/hostname' }, /either JWT_SECRET_KEY or JWT_SECRET_KEY_FILE/],
    ['a bad port', { HTTP_PORT: 'eighty' }, /^beacon: HTTP_PORT: /],
  ] as const) {
    test(`${name} stops the start with one line and exit 1`, async () => {
      const p = spawnBeacon(testEnv(tempDir(), { HTTPS_PORT: '0', ...extra }));
      assert.equal(await p.exited, 1);
      const lines = p.stderr().trim().split('\n');
      assert.equal(lines.length, 1, p.stderr());
      assert.match(lines[0] ?? '', pattern);
      assert.doesNotMatch(p.stderr(), /\n\s+at /);
    });
  }
});

describe('expiry on the injected clock', () => {
  test('a token past its exp is refused with token_expired', async () => {
    const clock = manualClock();
    const t = await startTestBeacon({ clock });
    try {
      const { token } = await registerAndLogin(t.http, 'expiry_dan');
      assert.equal((await call('GET', `${t.http}/protected`, { token })).status, 200);
      clock.advance(86_400_000 + 1000);
      const res = await call('GET', `${t.http}/protected`, { token });
      assert.deepEqual([res.status, res.json.error, res.json.message], [401, 'token_expired', 'Token has expired!']);
      const sweep = await t.beacon.auth.sweep();
      assert.equal(sweep.cleaned, 1);
      assert.equal(sweep.pruned, 1);
    } finally {
      await t.stop();
    }
  });
});

describe('logs', () => {
  test('app, auth and websocket logs are JSON lines with no password, token or secret', async () => {
    const t = await startTestBeacon();
    const password = 'very-secret-password-42';
    const { token } = await registerAndLogin(t.http, 'logs_eve', password);
    await call('POST', `${t.http}/login-token`, { body: { username: 'logs_eve', password: 'wrong-password-77' } });
    await call('GET', `${t.http}/protected`, { token });
    await call('POST', `${t.http}/logout`, { token });
    await t.stop();
    const logs = readLogs(t.dir);
    assert.match(logs.auth, /"msg":"login succeeded"/);
    assert.match(logs.auth, /"msg":"login failed"/);
    assert.match(logs.app, /"msg":"http request"/);
    for (const [name, text] of Object.entries(logs)) {
      for (const secret of [password, 'wrong-password-77', token, token.split('.')[2] ?? '', TEST_SECRET, '$argon2id$']) {
        assert.ok(!text.includes(secret), `${name}.log contains a secret`);
      }
      for (const line of text.split('\n').filter(Boolean)) JSON.parse(line);
    }
  });
});

describe('ports', () => {
  test('a port another server already listens on stops the start with one line', async () => {
    const dir = tempDir();
    const env = testEnv(dir, { HTTP_PORT: String(await freePort()), HTTPS_PORT: '0', LOG_STDOUT: '1' });
    const first = spawnBeacon(env);
    await ready(first);
    try {
      const second = spawnBeacon(testEnv(tempDir(), { HTTP_PORT: env['HTTP_PORT'] ?? '', HTTPS_PORT: '0' }));
      assert.equal(await second.exited, 1);
      assert.match(second.stderr().trim(), new RegExp(`^beacon: HTTP_PORT: 127\\.0\\.0\\.1:${env['HTTP_PORT']} is already in use`));
    } finally {
      first.child.kill('SIGTERM');
      assert.equal(await first.exited, 0);
    }
  });
});
