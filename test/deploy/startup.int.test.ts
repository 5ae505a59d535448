// How a start goes wrong, or right, as a new user meets it: real `src/main.ts` processes
// (and real in-process servers) on a fresh DATA_DIR. Bad settings stop the start with one
// line before anything is written; accepted-but-odd settings start with a warning.

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readLogs, registerAndLogin, startTestBeacon, tempDir, testEnv } from '../support/beacon.js';
import { spawnBeacon } from '../support/process.js';
import { within } from '../support/wsClient.js';

/** Runs main.ts with `extra` over the test environment; returns its exit code and stderr. */
async function failedStart(dir: string, extra: Record<string, string>): Promise<{ code: number | string; stderr: string }> {
  const p = spawnBeacon({ ...testEnv(dir), HTTP_PORT: '0', HTTPS_PORT: '0', ...extra });
  const code = await within(p.exited, 20_000, 'the failed start to exit');
  return { code, stderr: p.stderr() };
}

describe('settings checked before anything is written', () => {
  test('HOST=not-an-ip stops the start with one line naming HOST; no key, certificate or database is written', async () => {
    const dir = tempDir();
    const { code, stderr } = await failedStart(dir, { HOST: 'not-an-ip', HTTPS_PORT: '5000', HTTP_PORT: '5001', JWT_SECRET_KEY: '' });
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
