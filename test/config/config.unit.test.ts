// Unit tests for the config: defaults, one clear error naming the bad setting, and the JWT
// key's three sources (env, file, generated once with mode 0600), never echoing a secret.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, configWarnings, loadConfig, resolveJwtKey } from '../../src/config/index.js';
import { DEFAULT_TOKEN_TTL_SECONDS, JWT_MIN_KEY_BYTES } from '../../src/constants.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-'));
  dirs.push(dir);
  return dir;
};

/** Runs `fn`, expects a ConfigError for `setting`, and returns it. */
function configError(fn: () => unknown, setting: string): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected ConfigError, got ${String(caught)}`);
  assert.equal(caught.setting, setting);
  assert.ok(caught.message.startsWith(`${setting}: `), caught.message);
  assert.ok(!caught.message.includes('\n'), 'one line');
  return caught;
}

const SECRET = 'super-secret-value-that-must-never-be-printed-0123456789';
const keyText = (key: Uint8Array): string => new TextDecoder().decode(key);

describe('loadConfig', () => {
  test('defaults', () => {
    const config = loadConfig({});
    assert.equal(config.NODE_ENV, 'production');
    assert.equal(config.HOST, '0.0.0.0');
    assert.equal(config.HTTPS_PORT, 5000);
    assert.equal(config.HTTP_PORT, 5001);
    assert.equal(config.DATA_DIR, resolve('./data'));
    assert.equal(config.LOG_DIR, resolve('./logs'));
    assert.equal(config.TOKEN_TTL_SECONDS, DEFAULT_TOKEN_TTL_SECONDS);
    assert.equal(config.JWT_SECRET_KEY, undefined);
    assert.equal(config.JWT_SECRET_KEY_FILE, undefined);
    assert.equal(config.TLS_CERT_FILE, undefined);
    assert.equal(config.INSPECT, false);
    assert.deepEqual(config.ALLOWED_ORIGINS, []);
    assert.ok(Object.isFrozen(config));
  });

  test('values are parsed: ports, TTL, paths made absolute, lists split', () => {
    const config = loadConfig({ HTTP_PORT: '8080', HTTPS_PORT: '0', TOKEN_TTL_SECONDS: '600', DATA_DIR: 'var/db', ALLOWED_ORIGINS: ' https://a.example , ,https://b.example' });
    assert.equal(config.HTTP_PORT, 8080);
    assert.equal(config.HTTPS_PORT, 0);
    assert.equal(config.TOKEN_TTL_SECONDS, 600);
    assert.equal(config.DATA_DIR, resolve('var/db'));
    assert.deepEqual(config.ALLOWED_ORIGINS, ['https://a.example', 'https://b.example']);
  });

  test('INSPECT defaults on in development only', () => {
    assert.equal(loadConfig({ NODE_ENV: 'development' }).INSPECT, true);
    assert.equal(loadConfig({ NODE_ENV: 'development', INSPECT: '0' }).INSPECT, false);
  });

  for (const bad of ['abc', '70000', '-1', '80.5']) {
    test(`HTTP_PORT=${bad} is a ConfigError naming HTTP_PORT and the value`, () => {
      const err = configError(() => loadConfig({ HTTP_PORT: bad }), 'HTTP_PORT');
      assert.ok(err.message.includes(JSON.stringify(bad)), err.message);
    });
  }

  test('a bad port says what a port must be, not zod\'s own words', () => {
    for (const setting of ['HTTP_PORT', 'HTTPS_PORT']) {
      const err = configError(() => loadConfig({ [setting]: 'abc' }), setting);
      assert.equal(err.message, `${setting}: must be an integer from 0 to 65535 (got "abc")`);
    }
  });

  test('HOST must be an IP address (or localhost), and the error names HOST and the value', () => {
    const err = configError(() => loadConfig({ HOST: 'not-an-ip' }), 'HOST');
    assert.match(err.message, /^HOST: must be an IP address/);
    assert.ok(err.message.includes('"not-an-ip"'), err.message);
    configError(() => loadConfig({ HOST: '' }), 'HOST');
    configError(() => loadConfig({ HOST: '10.0.0.300' }), 'HOST');
    for (const ok of ['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost']) assert.equal(loadConfig({ HOST: ok }).HOST, ok);
  });

  test('both ports 0 is refused', () => {
    configError(() => loadConfig({ HTTP_PORT: '0', HTTPS_PORT: '0' }), 'HTTP_PORT');
  });

  test('TOKEN_TTL_SECONDS that is not a number, or out of range (1 s to 30 days)', () => {
    configError(() => loadConfig({ TOKEN_TTL_SECONDS: 'one day' }), 'TOKEN_TTL_SECONDS');
    const zero = configError(() => loadConfig({ TOKEN_TTL_SECONDS: '0' }), 'TOKEN_TTL_SECONDS');
    assert.match(zero.message, /must be an integer from 1 to 2592000/);
    configError(() => loadConfig({ TOKEN_TTL_SECONDS: String(30 * 86_400 + 1) }), 'TOKEN_TTL_SECONDS');
    configError(() => loadConfig({ TOKEN_TTL_SECONDS: '1.5' }), 'TOKEN_TTL_SECONDS');
    assert.equal(loadConfig({ TOKEN_TTL_SECONDS: '1' }).TOKEN_TTL_SECONDS, 1);
    assert.equal(loadConfig({ TOKEN_TTL_SECONDS: String(30 * 86_400) }).TOKEN_TTL_SECONDS, 30 * 86_400);
  });

  test('a TOKEN_TTL_SECONDS under 60 s is accepted with a warning; 60 s and up, none', () => {
    for (const ttl of ['1', '10', '59']) {
      const warnings = configWarnings(loadConfig({ TOKEN_TTL_SECONDS: ttl }));
      assert.equal(warnings.length, 1, ttl);
      assert.match(warnings[0] ?? '', new RegExp(`^TOKEN_TTL_SECONDS is ${ttl}: `));
    }
    assert.deepEqual(configWarnings(loadConfig({ TOKEN_TTL_SECONDS: '60' })), []);
    assert.deepEqual(configWarnings(loadConfig({})), []);
  });

  test('a TLS certificate without its key is refused', () => {
    configError(() => loadConfig({ TLS_CERT_FILE: '/x/cert.pem' }), 'TLS_CERT_FILE');
  });

  test('an unknown NODE_ENV is refused', () => {
    configError(() => loadConfig({ NODE_ENV: 'staging' }), 'NODE_ENV');
  });

  test('cluster settings: both URLs or neither, one alone names the missing one', () => {
    const embedded = loadConfig({});
    assert.equal(embedded.DATABASE_URL, undefined);
    assert.equal(embedded.REDIS_URL, undefined);
    assert.equal(embedded.CLUSTER_FENCE_SECONDS, 10);
    const db = 'postgres://beacon:pw@db:5432/beacon';
    const cluster = loadConfig({ DATABASE_URL: db, REDIS_URL: 'redis://cache:6379', CLUSTER_FENCE_SECONDS: '5', NODE_ID: 'node-a' });
    assert.equal(cluster.DATABASE_URL, db);
    assert.equal(cluster.CLUSTER_FENCE_SECONDS, 5);
    assert.equal(cluster.NODE_ID, 'node-a');
    assert.match(configError(() => loadConfig({ DATABASE_URL: db }), 'REDIS_URL').message, /with DATABASE_URL/);
    assert.match(configError(() => loadConfig({ REDIS_URL: 'redis://cache' }), 'DATABASE_URL').message, /with REDIS_URL/);
    assert.equal(loadConfig({ DATABASE_URL: '', REDIS_URL: ' ' }).DATABASE_URL, undefined, 'blank is unset');
  });

  test('a malformed DATABASE_URL is named without echoing it (it holds a password)', () => {
    const err = configError(() => loadConfig({ DATABASE_URL: `mysql://u:${SECRET}@db/x`, REDIS_URL: 'redis://cache' }), 'DATABASE_URL');
    assert.ok(!err.message.includes(SECRET));
    assert.match(err.message, /postgres:\/\/ or postgresql:\/\//);
    configError(() => loadConfig({ DATABASE_URL: 'postgres://db/x', REDIS_URL: 'http://cache' }), 'REDIS_URL');
    configError(() => loadConfig({ CLUSTER_FENCE_SECONDS: '0' }), 'CLUSTER_FENCE_SECONDS');
    configError(() => loadConfig({ NODE_ID: 'a b' }), 'NODE_ID');
  });

  test('NODE_ID defaults to a generated name, different at each start', () => {
    const a = loadConfig({}).NODE_ID;
    assert.match(a, /^node-[0-9a-f]{8}$/);
    assert.notEqual(loadConfig({}).NODE_ID, a);
  });
});

describe('resolveJwtKey', () => {
  const base = (): { DATA_DIR: string; JWT_SECRET_KEY: string | undefined; JWT_SECRET_KEY_FILE: string | undefined } => ({
    DATA_DIR: tempDir(),
    JWT_SECRET_KEY: undefined,
    JWT_SECRET_KEY_FILE: undefined,
  });

  test('JWT_SECRET_KEY from the environment', () => {
    const key = resolveJwtKey({ ...base(), JWT_SECRET_KEY: SECRET });
    assert.equal(key.source, 'env');
    assert.equal(keyText(key.key), SECRET);
  });

  test('JWT_SECRET_KEY and JWT_SECRET_KEY_FILE both set is an error', () => {
    const dir = tempDir();
    const file = join(dir, 'secret');
    writeFileSync(file, SECRET, { mode: 0o600 });
    const err = configError(() => resolveJwtKey({ ...base(), JWT_SECRET_KEY: SECRET, JWT_SECRET_KEY_FILE: file }), 'JWT_SECRET_KEY');
    assert.ok(!err.message.includes(SECRET));
  });

  test('an empty key is refused', () => {
    const err = configError(() => resolveJwtKey({ ...base(), JWT_SECRET_KEY: '' }), 'JWT_SECRET_KEY');
    assert.match(err.message, /empty/);
  });

  test(`a key under ${JWT_MIN_KEY_BYTES} bytes is refused, without echoing it`, () => {
    const short = 's3cr3t-'.padEnd(JWT_MIN_KEY_BYTES - 1, 'q');
    const err = configError(() => resolveJwtKey({ ...base(), JWT_SECRET_KEY: short }), 'JWT_SECRET_KEY');
    assert.match(err.message, new RegExp(`${JWT_MIN_KEY_BYTES - 1} bytes`));
    assert.ok(!err.message.includes(short));
    assert.ok(!err.message.includes('s3cr3t'));
    // Exactly the minimum is enough.
    assert.equal(resolveJwtKey({ ...base(), JWT_SECRET_KEY: short + 'q' }).key.byteLength, JWT_MIN_KEY_BYTES);
  });

  test('a key file with a trailing newline is accepted; the newline is not part of the key', () => {
    const dir = tempDir();
    const file = join(dir, 'secret');
    writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
    const key = resolveJwtKey({ ...base(), JWT_SECRET_KEY_FILE: file });
    assert.equal(key.source, 'file');
    assert.equal(keyText(key.key), SECRET);
    writeFileSync(file, `${SECRET}\r\n`);
    assert.equal(keyText(resolveJwtKey({ ...base(), JWT_SECRET_KEY_FILE: file }).key), SECRET);
  });

  test('a short key in a file is refused without echoing the file content', () => {
    const dir = tempDir();
    const file = join(dir, 'secret');
    writeFileSync(file, 'tiny-secret-in-file\n', { mode: 0o600 });
    const err = configError(() => resolveJwtKey({ ...base(), JWT_SECRET_KEY_FILE: file }), 'JWT_SECRET_KEY_FILE');
    assert.ok(!err.message.includes('tiny-secret-in-file'));
  });

  test('a key file readable by group or others is refused with one line naming the setting and the mode', () => {
    const file = join(tempDir(), 'secret');
    writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      chmodSync(file, mode);
      const err = configError(() => resolveJwtKey({ ...base(), JWT_SECRET_KEY_FILE: file }), 'JWT_SECRET_KEY_FILE');
      assert.equal(err.message, `JWT_SECRET_KEY_FILE: ${file} is readable by group or others (mode ${mode.toString(8)}); chmod 600 it`);
      assert.ok(!err.message.includes(SECRET));
    }
    for (const mode of [0o600, 0o400]) {
      chmodSync(file, mode);
      assert.equal(keyText(resolveJwtKey({ ...base(), JWT_SECRET_KEY_FILE: file }).key), SECRET);
    }
  });

  test('an unreadable key file names the setting', () => {
    configError(() => resolveJwtKey({ ...base(), JWT_SECRET_KEY_FILE: join(tempDir(), 'missing') }), 'JWT_SECRET_KEY_FILE');
  });

  test('with neither, a key is generated once with mode 0600 and reused on the next call', () => {
    const config = base();
    const first = resolveJwtKey(config);
    assert.equal(first.source, 'generated');
    assert.ok(first.key.byteLength >= JWT_MIN_KEY_BYTES);
    const path = join(config.DATA_DIR, 'jwt-secret.key');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8').trim(), keyText(first.key));

    const second = resolveJwtKey(config);
    assert.equal(second.source, 'stored');
    assert.deepEqual(second.key, first.key);

    // A stored key whose mode was widened is narrowed again.
    chmodSync(path, 0o644);
    resolveJwtKey(config);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('a generated key differs between data directories', () => {
    assert.notDeepEqual(resolveJwtKey(base()).key, resolveJwtKey(base()).key);
  });
});

describe('CHANNELS_FILE', () => {
  const policy = { subscribe: 'any', publish: 'any', presence: false, history_size: 5, history_ttl_seconds: 60 };

  test('unset (or blank) means the built-in namespaces', async () => {
    const { BUILT_IN_NAMESPACES } = await import('../../src/channels/namespaces.js');
    assert.equal(loadConfig({}).CHANNEL_NAMESPACES, BUILT_IN_NAMESPACES);
    assert.equal(loadConfig({ CHANNELS_FILE: ' ' }).CHANNEL_NAMESPACES, BUILT_IN_NAMESPACES);
  });

  test('a valid file is read once at load and replaces the built-in table', () => {
    const path = join(tempDir(), 'channels.json');
    writeFileSync(path, JSON.stringify({ chat: policy }));
    const config = loadConfig({ CHANNELS_FILE: path });
    assert.equal(config.CHANNELS_FILE, path);
    assert.deepEqual([...config.CHANNEL_NAMESPACES], [['chat', policy]]);
  });

  test('a bad file stops the load with one line naming the fault', () => {
    const path = join(tempDir(), 'channels.json');
    writeFileSync(path, JSON.stringify({ chat: { ...policy, history_size: 1001 } }));
    const err = configError(() => loadConfig({ CHANNELS_FILE: path }), 'CHANNELS_FILE');
    assert.equal(err.message, 'CHANNELS_FILE: chat.history_size: must be at most 1000');
    configError(() => loadConfig({ CHANNELS_FILE: join(tempDir(), 'missing.json') }), 'CHANNELS_FILE');
  });
});
