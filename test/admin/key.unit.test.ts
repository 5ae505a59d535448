// Unit tests for the admin key: the constant-time check accepts exactly the key, the
// fingerprint is short, stable and not the key, and the settings resolve like the JWT key
// (env, file with its newline, both set refused, short refused, generated only in development).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { adminKeyCheck, fingerprintOf } from '../../src/admin/key.js';
import { GENERATED_ADMIN_KEY_FILE, resolveAdminKey } from '../../src/config/adminKey.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { ADMIN_KEY_FINGERPRINT_HEX } from '../../src/constants.js';

const KEY = 'admin-key-for-tests-0123456789-abcdefghijkl';
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-admin-'));
  dirs.push(dir);
  return dir;
};
const text = (key: Uint8Array): string => new TextDecoder().decode(key);

function configError(fn: () => unknown, setting: string): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.setting, setting);
    assert.ok(!err.message.includes('\n'), 'one line');
    assert.ok(!err.message.includes(KEY.slice(0, 10)), 'never echoes the key');
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('adminKeyCheck', () => {
  const check = adminKeyCheck(new TextEncoder().encode(KEY));

  test('accepts the key and nothing else', () => {
    assert.equal(check.matches(KEY), true);
    for (const wrong of ['', KEY.slice(0, -1), `${KEY}x`, KEY.toUpperCase(), ` ${KEY}`]) assert.equal(check.matches(wrong), false, wrong);
  });

  test('the fingerprint is a short hex digest, the same for the same key, never the key', () => {
    assert.match(check.fingerprint, new RegExp(`^[0-9a-f]{${ADMIN_KEY_FINGERPRINT_HEX}}$`));
    assert.equal(check.fingerprint, fingerprintOf(KEY));
    assert.notEqual(fingerprintOf(`${KEY}x`), check.fingerprint);
    assert.ok(!KEY.includes(check.fingerprint));
  });
});

describe('resolveAdminKey', () => {
  const settings = (extra: Record<string, string>) => loadConfig({ DATA_DIR: tempDir(), ...extra });

  test('off when neither is set (production and test)', () => {
    assert.equal(resolveAdminKey(settings({})), undefined);
    assert.equal(resolveAdminKey(settings({ NODE_ENV: 'test' })), undefined);
  });

  test('from ADMIN_API_KEY; an empty value means not set', () => {
    const key = resolveAdminKey(settings({ ADMIN_API_KEY: KEY }));
    assert.equal(key?.source, 'env');
    assert.equal(text(key?.key ?? new Uint8Array()), KEY);
    assert.equal(resolveAdminKey(settings({ ADMIN_API_KEY: '' })), undefined);
  });

  test('from ADMIN_API_KEY_FILE, without the trailing newline', () => {
    const file = join(tempDir(), 'admin.key');
    writeFileSync(file, `${KEY}\n`, { mode: 0o600 });
    const key = resolveAdminKey(settings({ ADMIN_API_KEY_FILE: file }));
    assert.equal(key?.source, 'file');
    assert.equal(text(key?.key ?? new Uint8Array()), KEY);
  });

  test('both set, a short key, an empty or missing file: one line naming the setting', () => {
    const file = join(tempDir(), 'admin.key');
    writeFileSync(file, KEY, { mode: 0o600 });
    configError(() => resolveAdminKey(settings({ ADMIN_API_KEY: KEY, ADMIN_API_KEY_FILE: file })), 'ADMIN_API_KEY');
    assert.match(configError(() => resolveAdminKey(settings({ ADMIN_API_KEY: 'short-key' })), 'ADMIN_API_KEY').message, /at least 32/);
    const short = join(tempDir(), 'short.key');
    writeFileSync(short, 'x'.repeat(31), { mode: 0o600 });
    configError(() => resolveAdminKey(settings({ ADMIN_API_KEY_FILE: short })), 'ADMIN_API_KEY_FILE');
    configError(() => resolveAdminKey(settings({ ADMIN_API_KEY_FILE: join(tempDir(), 'missing') })), 'ADMIN_API_KEY_FILE');
    const open = join(tempDir(), 'open.key');
    writeFileSync(open, KEY, { mode: 0o644 });
    assert.match(configError(() => resolveAdminKey(settings({ ADMIN_API_KEY_FILE: open })), 'ADMIN_API_KEY_FILE').message, /chmod 600/);
  });

  test('in development with neither set, a key is generated once into DATA_DIR with mode 0600', () => {
    const config = settings({ NODE_ENV: 'development' });
    const first = resolveAdminKey(config);
    assert.equal(first?.source, 'generated');
    const path = join(config.DATA_DIR, GENERATED_ADMIN_KEY_FILE);
    assert.equal(first?.path, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8').trim(), text(first?.key ?? new Uint8Array()));
    const again = resolveAdminKey(config);
    assert.equal(again?.source, 'stored');
    assert.deepEqual(again?.key, first?.key);
  });
});
