// What can be proved about the container without a Docker engine: the compose file is valid
// and hardened, the Dockerfile is multi-stage, non-root, with init, healthcheck, volumes and
// ports, and the image's exact start command serves /healthz from a read-only app directory.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { call, registerAndLogin, TEST_SECRET, tempDir } from '../support/beacon.js';
import { freePort, ready, ROOT } from '../support/process.js';
import { within } from '../support/wsClient.js';
import { envPairs, execForm, parseDockerfile, spawnCommand, type Instruction } from './support.js';

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const lastStage = Math.max(...dockerfile.map((i) => i.stage));
const runStage = dockerfile.filter((i) => i.stage === lastStage);
const all = (keyword: string, stage?: readonly Instruction[]): Instruction[] => (stage ?? dockerfile).filter((i) => i.keyword === keyword);
const last = (keyword: string): Instruction => {
  const found = all(keyword, runStage).at(-1);
  assert.ok(found !== undefined, `the run stage has no ${keyword}`);
  return found;
};
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

/** `docker-compose config` of the repository's file, as JSON (PyYAML comes with docker-compose). */
function composeConfig(args: string[], env: Record<string, string> = {}): any {
  const config = spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...args, 'config'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    encoding: 'utf8',
  });
  assert.equal(config.status, 0, `docker-compose config failed: ${config.stderr}`);
  const json = spawnSync('python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
    input: config.stdout,
    encoding: 'utf8',
  });
  assert.equal(json.status, 0, `cannot read the compose output as YAML: ${json.stderr}`);
  return JSON.parse(json.stdout);
}

describe('docker-compose.yml', () => {
  test('is valid and runs Beacon hardened: read-only, tmpfs /tmp, no capabilities, no new privileges, secrets, volumes', (t) => {
    if (!hasCompose) return t.skip('docker-compose is not installed (.ci/run installs it): compose file not validated');
    const config = composeConfig([]);
    // The cluster profile's services are checked in compose.int.test.ts.
    const single = Object.keys(config.services).filter((s) => !(config.services[s].profiles ?? []).includes('cluster'));
    assert.deepEqual(single.sort(), ['beacon', 'proxy']);
    assert.equal(config.services.beacon.profiles, undefined, 'Beacon always runs');
    assert.deepEqual(config.services.proxy.profiles, ['proxy'], 'the proxy runs only with its profile');
    const beacon = config.services.beacon;
    assert.equal(beacon.read_only, true);
    assert.ok(beacon.tmpfs.some((m: string) => m.split(':')[0] === '/tmp'));
    assert.deepEqual(beacon.cap_drop, ['ALL']);
    assert.deepEqual(beacon.security_opt, ['no-new-privileges:true']);
    assert.match(beacon.restart, /^(always|unless-stopped|on-failure)/);
    assert.equal(beacon.environment.JWT_SECRET_KEY_FILE, '/run/secrets/jwt_secret_key');
    assert.deepEqual(beacon.secrets.map((s: { source: string }) => s.source), ['jwt_secret_key']);
    assert.ok(config.secrets.jwt_secret_key.file.endsWith('/secrets/jwt_secret_key'));
    assert.deepEqual(beacon.volumes.map((v: string) => v.replace(/:rw$/, '')).sort(), ['beacon-data:/data', 'beacon-logs:/logs']);
    assert.deepEqual(Object.keys(config.volumes).filter((v) => v.startsWith('beacon')).sort(), ['beacon-data', 'beacon-logs']);
    assert.deepEqual(beacon.healthcheck.test, ['CMD', 'node', 'scripts/healthcheck.mjs']);
    assert.deepEqual(beacon.ports.map((p: string) => p.replace(/\/tcp$/, '').split(':').slice(1).join(':')).sort(), ['5000:5000', '5001:5001']);
    assert.equal(beacon.environment.HTTPS_PORT, '5000');
    assert.equal(beacon.environment.TRUSTED_PROXIES, '');
  });

  test('the proxy profile puts Caddy in front: Beacon on plain HTTP, trusting exactly the proxy address', (t) => {
    if (!hasCompose) return t.skip('docker-compose is not installed (.ci/run installs it): compose file not validated');
    const config = composeConfig(['--profile', 'proxy'], { BEACON_HTTPS_PORT: '0', BEACON_TRUSTED_PROXIES: '172.31.250.10', BEACON_BIND: '127.0.0.1' });
    const { beacon, proxy } = config.services;
    assert.ok(proxy !== undefined, 'the proxy service is in the proxy profile');
    assert.equal(beacon.environment.HTTPS_PORT, '0');
    assert.equal(beacon.environment.TRUSTED_PROXIES, proxy.networks.beacon.ipv4_address);
    assert.ok(proxy.command.includes('beacon:5001'), 'Caddy forwards to the plain port');
    assert.ok(beacon.ports.every((p: string) => p.startsWith('127.0.0.1:')), 'Beacon is published on loopback only');
  });
});

describe('Dockerfile', () => {
  test('builds in one stage and runs in another from node:20-bookworm-slim, pruning dev dependencies', () => {
    const froms = all('FROM');
    assert.ok(froms.length >= 2, 'multi-stage');
    for (const from of froms) assert.match(from.args, /^node:20-bookworm-slim\b/);
    const buildName = /\bAS\s+(\S+)/i.exec(froms[0]?.args ?? '')?.[1];
    assert.ok(buildName !== undefined, 'the build stage is named');
    const build = dockerfile.filter((i) => i.stage === 0);
    assert.ok(all('RUN', build).some((r) => /python3/.test(r.args) && /\bmake\b/.test(r.args) && /g\+\+/.test(r.args)), 'build tools for better-sqlite3');
    assert.ok(all('RUN', build).some((r) => /npm ci\b/.test(r.args)));
    assert.ok(all('RUN', build).some((r) => /npm prune --omit=dev/.test(r.args)));
    assert.ok(all('COPY', runStage).some((c) => c.args.includes(`--from=${buildName}`) && /node_modules/.test(c.args)));
    assert.ok(!all('RUN', runStage).some((r) => /g\+\+|python3|\bmake\b/.test(r.args)), 'no compilers in the run stage');
  });

  test('runs as a non-root user under tini, with HEALTHCHECK, VOLUME /data /logs, EXPOSE 5000 5001', () => {
    const user = last('USER').args;
    assert.ok(!['root', '0', '0:0'].includes(user), `runs as ${user}`);
    assert.deepEqual(execForm(last('ENTRYPOINT').args).slice(0, 2), ['/usr/bin/tini', '--']);
    assert.ok(all('RUN', runStage).some((r) => /\btini\b/.test(r.args)), 'tini is installed');
    const health = last('HEALTHCHECK').args;
    const cmd = /\bCMD\s+(\[.*\])$/.exec(health)?.[1];
    assert.ok(cmd !== undefined, `HEALTHCHECK ... CMD [exec form]: ${health}`);
    const [, script] = execForm(cmd);
    assert.ok(script !== undefined && existsSync(join(ROOT, script)), `the healthcheck script ${script} exists`);
    const volumes = execForm(last('VOLUME').args);
    assert.deepEqual([...volumes].sort(), ['/data', '/logs']);
    assert.deepEqual(last('EXPOSE').args.split(/\s+/).sort(), ['5000', '5001']);
    const env = Object.assign({}, ...all('ENV', runStage).map((e) => envPairs(e.args))) as Record<string, string>;
    assert.equal(env['DATA_DIR'], '/data');
    assert.equal(env['LOG_DIR'], '/logs');
    assert.deepEqual(execForm(last('CMD').args), ['node', 'dist/main.js']);
  });

  test('runs compiled JavaScript: the build stage compiles, the run stage has dist/ but no src/, tsconfig or tsx', () => {
    const build = dockerfile.filter((i) => i.stage === 0);
    assert.ok(all('RUN', build).some((r) => /npm run build\b.*npm prune --omit=dev/.test(r.args)), 'compiled before the dev tools are pruned');
    const copied = all('COPY', runStage).map((c) => c.args.split(/\s+/)[1]);
    assert.ok(copied.includes('/app/dist'), `the run stage copies dist/: ${copied.join(', ')}`);
    for (const absent of ['/app/src', '/app/tsconfig.json', '/app/test']) assert.ok(!copied.includes(absent), `the run stage copies ${absent}`);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const loader of ['tsx', 'typescript', 'esbuild']) assert.equal(pkg.dependencies[loader], undefined, `${loader} is a production dependency`);
    assert.ok(pkg.devDependencies['tsx'] !== undefined, 'tsx stays for development and tests');
  });
});

/** What the run stage holds, laid out in a fresh directory, with node_modules linked (not pruned). */
function imageLayout(): { app: string; argv: string[]; env: Record<string, string> } {
  // What the build stage's `npm run build` leaves in /app/dist.
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(built.status, 0, `build: ${built.stderr}`);
  const base = tempDir('beacon-image-');
  chmodSync(base, 0o755);
  const workdir = last('WORKDIR').args;
  const app = join(base, 'app');
  mkdirSync(app);
  for (const copy of all('COPY', runStage)) {
    const [from, source, target] = copy.args.split(/\s+/);
    assert.ok(from?.startsWith('--from=') && source !== undefined && target !== undefined, `COPY --from=build <src> <dst>: ${copy.args}`);
    const rel = source.replace(/^\/app\/?/, '');
    const dest = join(app, target.replace(/^\.\/?/, ''));
    if (rel === 'node_modules') symlinkSync(join(ROOT, 'node_modules'), dest);
    else cpSync(join(ROOT, rel), dest, { recursive: true });
  }
  assert.equal(workdir, '/app');
  const entry = execForm(last('ENTRYPOINT').args);
  const argv = [...entry.slice(entry.indexOf('--') + 1), ...execForm(last('CMD').args)];
  const env = Object.assign({}, ...all('ENV', runStage).map((e) => envPairs(e.args))) as Record<string, string>;
  return { app, argv, env };
}

/** Path → size and mtime of every file under dir (links not followed). */
function snapshot(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    out.set(path, `${stat.mode}:${stat.size}:${stat.mtimeMs}`);
    if (stat.isDirectory()) snapshot(path, out);
  }
  return out;
}

function makeReadOnly(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) continue;
    if (stat.isDirectory()) makeReadOnly(path);
    chmodSync(path, stat.mode & ~0o222);
  }
  chmodSync(dir, statSync(dir).mode & ~0o222);
}

describe('the image start command, outside Docker', () => {
  // As root, the child runs as `nobody` (the image runs as `node`): a write outside the
  // volumes and /tmp fails as it would on the container's read-only root filesystem.
  const asRoot = process.getuid?.() === 0;
  const NOBODY = 65534;

  async function run(ports: { http: number; https: number }) {
    const { app, argv, env } = imageLayout();
    const volumes = tempDir('beacon-volumes-');
    chmodSync(volumes, 0o755);
    const dirs = { data: join(volumes, 'data'), logs: join(volumes, 'logs'), tmp: join(volumes, 'tmp'), secrets: join(volumes, 'secrets') };
    for (const d of Object.values(dirs)) mkdirSync(d, { mode: 0o700 });
    const secret = join(dirs.secrets, 'jwt_secret_key');
    writeFileSync(secret, `${TEST_SECRET}\n`, { mode: 0o400 });
    if (asRoot) for (const path of [...Object.values(dirs), secret]) chownSync(path, NOBODY, NOBODY);
    makeReadOnly(app);
    const runEnv = {
      ...env,
      DATA_DIR: dirs.data,
      LOG_DIR: dirs.logs,
      TMPDIR: dirs.tmp,
      JWT_SECRET_KEY_FILE: secret,
      HOST: '127.0.0.1',
      HTTP_PORT: String(ports.http),
      HTTPS_PORT: String(ports.https),
      HASH_WORKERS: '1',
    };
    const before = snapshot(app);
    const p = spawnCommand(argv, { cwd: app, env: runEnv, ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}) });
    await ready(p, 30_000);
    const healthcheck = (): number | null =>
      spawnSync(process.execPath, ['scripts/healthcheck.mjs'], { cwd: app, env: { PATH: process.env['PATH'] ?? '', ...runEnv }, timeout: 15_000 }).status;
    return { app, dirs, p, before, healthcheck, runEnv };
  }

  test('serves /healthz with the image environment; writes only to DATA_DIR, LOG_DIR and TMPDIR', async () => {
    const ports = { http: await freePort(), https: await freePort() };
    const { app, dirs, p, before, healthcheck, runEnv } = await run(ports);
    try {
      const health = await call('GET', `http://127.0.0.1:${ports.http}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(health.json, { status: 'ok' });
      assert.equal((await call('GET', `https://127.0.0.1:${ports.https}/healthz`)).status, 200);
      assert.equal(healthcheck(), 0, 'the HEALTHCHECK script passes');
      // Hashing runs in worker threads that tsx loads too: they must work from the read-only copy.
      const { token } = await registerAndLogin(`http://127.0.0.1:${ports.http}`, 'image_amy');
      assert.equal((await call('GET', `http://127.0.0.1:${ports.http}/protected`, { token })).status, 200);
      const line = p.stdout().split('\n').find((l) => l.includes('"msg":"beacon ready"'));
      assert.equal(JSON.parse(line ?? '{}').jwtKey, 'file', 'the key came from the secret file');
      p.child.kill('SIGTERM');
      assert.equal(await within(p.exited, 15_000, 'exit after SIGTERM'), 0);
      assert.equal(healthcheck(), 1, 'the HEALTHCHECK script fails when nothing answers');
      // `npm run events` in the image: its build step finds no src/ and runs dist/ as it is.
      const scripts = (JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
      const events = spawnSync('sh', ['-c', `${scripts['events']} tail -n 5`], {
        cwd: app,
        env: { PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, ...runEnv },
        encoding: 'utf8',
        timeout: 15_000,
        ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
      });
      assert.equal(events.status, 0, `npm run events in the image: ${events.stderr}`);
      assert.match(events.stdout, /UserRegistered|LoginSucceeded|ServerStopped|ServerStarted/);
    } finally {
      p.child.kill('SIGKILL');
    }
    assert.deepEqual(snapshot(app), before, 'nothing in the app directory changed');
    assert.ok(existsSync(join(dirs.data, 'beacon.db')));
    if (asRoot) assert.equal(statSync(join(dirs.data, 'beacon.db')).uid, NOBODY, 'it ran as an unprivileged user');
    assert.equal(statSync(join(dirs.data, 'tls-key.pem')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dirs.logs, 'app.log'), 'utf8'), /"msg":"beacon ready"/);
    assert.ok(!existsSync(join(dirs.data, 'jwt-secret.key')), 'no key generated beside the secret');
  });

  test('with HTTP_PORT=0 the healthcheck asks the HTTPS port, accepting the self-signed certificate', async () => {
    const { p, healthcheck } = await run({ http: 0, https: await freePort() });
    try {
      assert.equal(healthcheck(), 0);
    } finally {
      p.child.kill('SIGTERM');
      await within(p.exited, 15_000, 'exit after SIGTERM');
    }
  });
});
