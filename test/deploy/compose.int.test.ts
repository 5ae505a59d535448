// The compose profiles without a Docker engine: `docker-compose config` validates each, the
// cluster holds three Beacon nodes, PostgreSQL, Redis and a load balancer wired as the README
// says, and every documented setting passes from .env, with Beacon's defaults when unset.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { tempDir, TEST_SECRET } from '../support/beacon.js';
import { ROOT } from '../support/process.js';
import { composeConfig, documentedSettings, hasCompose, NO_COMPOSE, service, servicesOf, type ComposeService } from './composeSupport.js';
import { envPairs, parseDockerfile } from './support.js';

const NODES = ['beacon-1', 'beacon-2', 'beacon-3'];
const CLUSTER = [...NODES, 'lb', 'postgres', 'redis'];
/** Passed under its own name: its default (cores - 1) has no fixed value, and '' is refused. */
const PASSED_THROUGH = new Set(['HASH_WORKERS']);
/** Settings the compose file decides for every Beacon container, and why: name -> value (undefined: not set). */
const ALWAYS_FIXED: Record<string, string | undefined> = {
  DATA_DIR: undefined, // the image's /data, on a volume
  LOG_DIR: undefined, // the image's /logs, on a volume
  JWT_SECRET_KEY: undefined, // keys come from secret files, never from .env
  JWT_SECRET_KEY_FILE: '/run/secrets/jwt_secret_key',
  ADMIN_API_KEY: undefined,
};
const SINGLE_FIXED: Record<string, string | undefined> = {
  ...ALWAYS_FIXED,
  // The single node is the embedded default: a DATABASE_URL in .env must not half-cluster it.
  DATABASE_URL: undefined,
  REDIS_URL: undefined,
  NODE_ID: undefined,
  CLUSTER_FENCE_SECONDS: undefined,
};
const LB_ADDRESS = '172.31.250.20';
const nodeFixed = (name: string): Record<string, string | undefined> => ({
  ...ALWAYS_FIXED,
  HTTPS_PORT: '0', // plain HTTP to the load balancer on the compose network
  HTTP_PORT: '5001', // the port deploy/haproxy.cfg names
  TRUSTED_PROXIES: LB_ADDRESS,
  TLS_CERT_FILE: undefined,
  TLS_KEY_FILE: undefined,
  ADMIN_API_KEY_FILE: '/run/secrets/admin_api_key',
  DATABASE_URL: undefined, // assembled by the entrypoint from the password secret
  REDIS_URL: 'redis://redis:6379',
  NODE_ID: name,
});

function environment(s: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(s.environment ?? {}).filter((e): e is [string, string] => e[1] !== null));
}

/** The run stage's ENV: what the container has before compose adds its environment. */
function imageEnv(): Record<string, string> {
  const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const last = Math.max(...dockerfile.map((i) => i.stage));
  return Object.assign({}, ...dockerfile.filter((i) => i.stage === last && i.keyword === 'ENV').map((i) => envPairs(i.args))) as Record<string, string>;
}

/** A container's environment with each /run/secrets/* path replaced by a real key file. */
function withSecretFiles(env: Record<string, string>, dir: string): Record<string, string> {
  const out: Record<string, string> = { ...env, DATA_DIR: join(dir, 'data'), LOG_DIR: join(dir, 'logs') };
  for (const [key, value] of Object.entries(out)) {
    if (!value.startsWith('/run/secrets/')) continue;
    const file = join(dir, value.slice('/run/secrets/'.length));
    writeFileSync(file, `${TEST_SECRET}\n`, { mode: 0o600 });
    out[key] = file;
  }
  return out;
}

/** Runs a node's entrypoint (after tini) with its password secret at `secretFile`; argv is the command. */
function runEntrypoint(node: ComposeService, secretFile: string, argv: string[]) {
  const entry = node.entrypoint ?? [];
  const afterTini = entry.slice(entry.indexOf('--') + 1);
  assert.deepEqual(afterTini.slice(0, 2), ['sh', '-c'], `the entrypoint is tini -- sh -c: ${entry.join(' ')}`);
  // `config` prints a literal $ as $$ again; the container's sh sees one.
  const script = (afterTini[2] ?? '').replaceAll('$$', '$').replaceAll('/run/secrets/postgres_password', secretFile);
  return spawnSync('sh', ['-c', script, ...afterTini.slice(3), ...argv], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
}

describe('docker-compose.yml profiles', () => {
  test('the default profile validates without secrets/ and starts the single node alone', (t) => {
    if (!hasCompose) return t.skip(NO_COMPOSE);
    const config = composeConfig();
    assert.deepEqual(servicesOf(config, []), ['beacon']);
    assert.deepEqual(servicesOf(config, ['proxy']), ['beacon', 'proxy']);
    assert.deepEqual(servicesOf(config, ['cluster']), ['beacon', ...CLUSTER].sort());
    for (const name of CLUSTER) assert.deepEqual(service(config, name).profiles, ['cluster'], `${name} runs only in the cluster profile`);
    // What `docker-compose --profile cluster up -d lb` starts: lb and what it depends on.
    const needed = new Set<string>();
    const visit = (name: string): void => {
      if (needed.has(name)) return;
      needed.add(name);
      const deps = service(config, name).depends_on ?? [];
      for (const dep of Array.isArray(deps) ? deps : Object.keys(deps)) visit(dep);
    };
    visit('lb');
    assert.deepEqual([...needed].sort(), [...CLUSTER].sort(), 'starting lb starts the cluster and not the single node');
  });

  test('the cluster profile: three hardened Beacon nodes with their own NODE_ID and secrets, no password in the file', (t) => {
    if (!hasCompose) return t.skip(NO_COMPOSE);
    const config = composeConfig(['--profile', 'cluster']);
    const single = service(config, 'beacon');
    for (const name of NODES) {
      const node = service(config, name);
      const env = environment(node);
      assert.equal(node.image, single.image, `${name} runs the Beacon image`);
      assert.ok(node.build !== undefined, `${name} can build it (compose would try to pull it otherwise)`);
      assert.equal(env['NODE_ID'], name);
      assert.equal(node.read_only, true);
      assert.deepEqual(node.cap_drop, ['ALL']);
      assert.deepEqual(node.security_opt, ['no-new-privileges:true']);
      assert.deepEqual(node.secrets?.map((s) => s.source).sort(), ['admin_api_key', 'jwt_secret_key', 'postgres_password']);
      assert.deepEqual(node.healthcheck?.test, ['CMD', 'node', 'scripts/healthcheck.mjs']);
      assert.deepEqual(node.depends_on, { postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      assert.deepEqual(Object.keys(node.networks ?? {}).sort(), ['backend', 'beacon']);
      assert.equal(node.ports, undefined, `${name} is reached through the load balancer only`);
      const volumes = (node.volumes ?? []).map((v) => v.split(':')[0]);
      assert.equal(new Set(volumes).size, volumes.length);
      for (const other of NODES.filter((n) => n !== name)) {
        assert.ok(!(service(config, other).volumes ?? []).some((v) => volumes.includes(v.split(':')[0] ?? '')), `${name} and ${other} share no volume`);
      }
      assert.ok(!volumes.includes('beacon-data'), 'the single node\'s database is not mounted into a node');
    }
    const text = JSON.stringify(config);
    assert.doesNotMatch(text, /postgres(ql)?:\/\/[^"@/]*:[^"@$]+@/, 'no password in a URL');
    assert.doesNotMatch(text, /"POSTGRES_PASSWORD"/, 'PostgreSQL reads its password from the secret file');
    const files = Object.values(config.secrets ?? {}).map((s) => s.file.slice(ROOT.length - 1));
    assert.deepEqual(files.sort(), ['/secrets/admin_api_key', '/secrets/jwt_secret_key', '/secrets/postgres_password']);
  });

  test('the nodes\' entrypoint builds DATABASE_URL from the password secret for PostgreSQL\'s user and database', (t) => {
    if (!hasCompose) return t.skip(NO_COMPOSE);
    const config = composeConfig(['--profile', 'cluster']);
    const postgres = environment(service(config, 'postgres'));
    const dir = tempDir('beacon-entrypoint-');
    const secret = join(dir, 'postgres_password');
    writeFileSync(secret, '0123456789abcdef0123456789abcdef\n', { mode: 0o600 });
    for (const name of NODES) {
      const node = service(config, name);
      assert.deepEqual(node.command, ['node', 'dist/main.js'], 'the image\'s own command');
      const run = runEntrypoint(node, secret, ['sh', '-c', 'printf %s "$DATABASE_URL"']);
      assert.equal(run.status, 0, run.stderr);
      const url = new URL(run.stdout);
      assert.equal(url.protocol, 'postgres:');
      assert.equal(url.hostname, 'postgres', 'the PostgreSQL service');
      assert.equal(url.port, '5432');
      assert.equal(url.username, postgres['POSTGRES_USER']);
      assert.equal(url.pathname, `/${postgres['POSTGRES_DB']}`);
      assert.equal(url.password, '0123456789abcdef0123456789abcdef', 'the secret, without its newline');
      const missing = runEntrypoint(node, join(dir, 'absent'), ['sh', '-c', 'echo started']);
      assert.notEqual(missing.status, 0, 'no start without the secret');
      assert.doesNotMatch(missing.stdout, /started/);
      assert.match(missing.stderr, /absent/, 'the reason names the file');
    }
  });

  test('PostgreSQL 15 and Redis 7 (append-only) keep their data in volumes, with health checks, on an internal network', (t) => {
    if (!hasCompose) return t.skip(NO_COMPOSE);
    const config = composeConfig(['--profile', 'cluster']);
    const postgres = service(config, 'postgres');
    assert.match(postgres.image ?? '', /^postgres:15(\b|$)/);
    assert.equal(environment(postgres)['POSTGRES_PASSWORD_FILE'], '/run/secrets/postgres_password');
    assert.deepEqual(postgres.secrets?.map((s) => s.source), ['postgres_password']);
    assert.ok(postgres.volumes?.some((v) => /^[\w-]+:\/var\/lib\/postgresql\/data(:rw)?$/.test(v)), 'a named volume on the data directory');
    assert.ok((postgres.healthcheck?.test ?? []).includes('pg_isready'));
    const redis = service(config, 'redis');
    assert.match(redis.image ?? '', /^redis:7(\b|$)/);
    const command = Array.isArray(redis.command) ? redis.command : (redis.command ?? '').split(/\s+/);
    assert.equal(command[command.indexOf('--appendonly') + 1], 'yes', `append-only persistence: ${command.join(' ')}`);
    assert.ok(redis.volumes?.some((v) => /^[\w-]+:\/data(:rw)?$/.test(v)), 'a named volume on /data, where the AOF is written');
    assert.match(JSON.stringify(redis.healthcheck?.test), /redis-cli ping/);
    for (const s of [postgres, redis]) {
      assert.deepEqual(Object.keys(s.networks ?? {}), ['backend']);
      assert.equal(s.ports, undefined, 'not published on the host');
    }
    assert.equal(config.networks?.['backend']?.internal, true);
  });

  test('every documented setting can be passed from .env as BEACON_<SETTING>, and none leaks from the shell', (t) => {
    if (!hasCompose) return t.skip(NO_COMPOSE);
    const settings = documentedSettings();
    const env: Record<string, string> = {};
    for (const s of settings) {
      env[`BEACON_${s}`] = `v-${s}`;
      env[s] = `raw-${s}`;
    }
    const config = composeConfig(['--profile', 'cluster'], env);
    const cases: [string, Record<string, string | undefined>][] = [['beacon', SINGLE_FIXED], ...NODES.map((n): [string, Record<string, string | undefined>] => [n, nodeFixed(n)])];
    for (const [name, fixed] of cases) {
      const got = environment(service(config, name));
      for (const s of settings) {
        if (s in fixed) assert.equal(got[s], fixed[s], `${name}: ${s} is decided by the compose file`);
        else if (PASSED_THROUGH.has(s)) assert.equal(got[s], `raw-${s}`, `${name}: ${s} is passed through`);
        else assert.equal(got[s], `v-${s}`, `${name}: ${s} is not passable from .env as BEACON_${s}`);
      }
    }
  });

  test('with nothing in .env the containers\' settings are Beacon\'s own defaults, and a node\'s settings parse', (t) => {
    if (!hasCompose) return t.skip(NO_COMPOSE);
    const config = composeConfig(['--profile', 'cluster']);
    const image = imageEnv();
    const dir = tempDir('beacon-compose-env-');
    const composed = loadConfig(withSecretFiles({ ...image, ...environment(service(config, 'beacon')) }, dir));
    const plain = loadConfig(withSecretFiles({ ...image, JWT_SECRET_KEY_FILE: '/run/secrets/jwt_secret_key' }, dir));
    assert.deepEqual(comparable(composed), comparable(plain), 'the single node runs as it would with no compose environment at all');
    const secret = join(dir, 'postgres_password');
    writeFileSync(secret, 'abcdef0123456789\n', { mode: 0o600 });
    for (const name of NODES) {
      const node = service(config, name);
      const url = runEntrypoint(node, secret, ['sh', '-c', 'printf %s "$DATABASE_URL"']).stdout;
      const parsed = loadConfig(withSecretFiles({ ...image, ...environment(node), DATABASE_URL: url }, dir));
      assert.equal(parsed.HTTPS_PORT, 0);
      assert.equal(parsed.HTTP_PORT, 5001);
      assert.deepEqual(parsed.TRUSTED_PROXIES, [LB_ADDRESS]);
      // Everything else is the single node's default (what the cluster settings set or derive aside).
      const clusterOwn = /^(HTTPS_PORT|TRUSTED_PROXIES|DATABASE|REDIS|NODE_ID|CLUSTER|ADMIN_API_KEY)/;
      const rest = (c: object) => defined(Object.fromEntries(Object.entries(c).filter(([k]) => !clusterOwn.test(k))));
      assert.deepEqual(rest(parsed), rest(plain), `${name}: the rest is default`);
    }
  });
});

/** An unset setting parses to a missing key or to `undefined` (from ''): the same thing. */
function defined(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Two parses of one environment, less what is generated anew at each (an unset NODE_ID). */
function comparable(o: object): Record<string, unknown> {
  const { NODE_ID: _generated, ...rest } = defined(o);
  return rest;
}
