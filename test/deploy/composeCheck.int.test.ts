// scripts/check-deploy.sh, the one-line check before `docker-compose up`: run in a scratch
// copy of the deployment files, it names each missing or unusable secret file with the
// command that makes it, exit 1, and passes once the files those commands make are there.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../support/process.js';
import { composeConfig, hasCompose, NO_COMPOSE, scratchProject, service, servicesOf } from './composeSupport.js';

const asRoot = process.getuid?.() === 0;

function check(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  const run = spawnSync('sh', ['scripts/check-deploy.sh', ...args], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    encoding: 'utf8',
  });
  return { status: run.status, out: run.stdout + run.stderr };
}

/** The `missing: <file>` lines, and the command printed under each. */
function missing(out: string): Map<string, string> {
  const found = new Map<string, string>();
  const lines = out.split('\n');
  lines.forEach((line, i) => {
    const m = /^missing: (\S+)/.exec(line);
    if (m !== null) found.set(m[1] as string, (lines[i + 1] ?? '').trim());
  });
  return found;
}

/** The secret files the services of these profiles mount, relative to the project. */
function mountedSecretFiles(dir: string, profiles: string[]): string[] {
  const config = composeConfig(profiles.flatMap((p) => ['--profile', p]), {}, dir);
  const names = new Set(servicesOf(config, profiles).flatMap((s) => (service(config, s).secrets ?? []).map((x) => x.source)));
  return [...names].map((n) => config.secrets?.[n]?.file.slice(dir.length + 1) ?? `(no file for ${n})`).sort();
}

/** Runs a printed fix; as root `sudo` is not needed (and may not be installed). */
function runFix(dir: string, command: string): void {
  const run = spawnSync('sh', ['-c', asRoot ? command.replaceAll('sudo ', '') : command], { cwd: dir, encoding: 'utf8' });
  assert.equal(run.status, 0, `${command}: ${run.stderr}`);
}

function makeSecrets(dir: string): void {
  mkdirSync(join(dir, 'secrets'), { recursive: true });
  writeFileSync(join(dir, 'secrets', 'jwt_secret_key'), `${'k'.repeat(48)}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'secrets', 'admin_api_key'), `${'a'.repeat(48)}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'secrets', 'postgres_password'), '0123456789abcdef\n', { mode: 0o440 });
  chmodSync(join(dir, 'secrets', 'postgres_password'), 0o440);
}

describe('scripts/check-deploy.sh', () => {
  test('with no secrets/ it lists the missing file of each profile\'s secrets and how to make it, exit 1', (t) => {
    if (!hasCompose) return t.skip(NO_COMPOSE);
    const dir = scratchProject();
    for (const profiles of [[], ['cluster'], ['proxy']]) {
      const run = check(dir, profiles.flatMap((p) => ['--profile', p]));
      assert.equal(run.status, 1, run.out);
      const listed = missing(run.out);
      assert.deepEqual([...listed.keys()].sort(), mountedSecretFiles(dir, profiles), `profiles [${profiles.join(', ')}]: ${run.out}`);
      for (const [file, command] of listed) assert.match(command, new RegExp(`mkdir -p secrets && .*> ${file}\\b`), `a command that makes ${file}`);
    }
  });

  test('the commands it prints make files that pass, for the single node and the cluster', (t) => {
    if (!hasCompose) return t.skip(NO_COMPOSE);
    const dir = scratchProject();
    const first = check(dir, ['--profile', 'cluster']);
    assert.equal(first.status, 1);
    if (asRoot) for (const command of missing(first.out).values()) runFix(dir, command);
    else makeSecrets(dir); // chown to the containers' users needs root
    for (const args of [[], ['--profile', 'cluster']]) {
      const run = check(dir, args);
      assert.equal(run.status, 0, run.out);
      assert.match(run.out, /deploy check passed/);
    }
    if (asRoot) {
      const password = readFileSync(join(dir, 'secrets', 'postgres_password'), 'utf8');
      assert.match(password, /^[0-9a-f]{64}$/, 'a URL-safe password');
      assert.doesNotMatch(check(dir, ['--profile', 'cluster']).out, /warning/, 'owners are the containers\' users');
    }
  });

  test('COMPOSE_PROFILES in .env (or the environment) chooses the profiles, as it does for compose', (t) => {
    if (!hasCompose) return t.skip(NO_COMPOSE);
    const dir = scratchProject();
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', 'jwt_secret_key'), `${'k'.repeat(48)}\n`, { mode: 0o600 });
    assert.equal(check(dir).status, 0);
    writeFileSync(join(dir, '.env'), 'BEACON_LOG_LEVEL=debug\nCOMPOSE_PROFILES=proxy,cluster\n');
    const fromFile = check(dir);
    assert.equal(fromFile.status, 1);
    assert.deepEqual([...missing(fromFile.out).keys()].sort(), ['secrets/admin_api_key', 'secrets/postgres_password']);
    rmSync(join(dir, '.env'));
    assert.equal(check(dir, [], { COMPOSE_PROFILES: 'cluster' }).status, 1);
  });

  test('a key readable by others, a short key, a password that is not URL-safe, a directory: each named, exit 1', (t) => {
    if (!hasCompose) return t.skip(NO_COMPOSE);
    const dir = scratchProject();
    makeSecrets(dir);
    assert.equal(check(dir, ['--profile', 'cluster']).status, 0);
    const cases: [string, () => void, RegExp][] = [
      ['jwt_secret_key', () => chmodSync(join(dir, 'secrets', 'jwt_secret_key'), 0o640), /readable by group or others: secrets\/jwt_secret_key \(mode 640\)/],
      ['admin_api_key', () => writeFileSync(join(dir, 'secrets', 'admin_api_key'), 'short\n', { mode: 0o600 }), /too short: secrets\/admin_api_key is 5 bytes/],
      ['postgres_password', () => writeFileSync(join(dir, 'secrets', 'postgres_password'), 'p@ss/word\n'), /not URL-safe: secrets\/postgres_password/],
      ['jwt_secret_key', () => {
        rmSync(join(dir, 'secrets', 'jwt_secret_key'));
        mkdirSync(join(dir, 'secrets', 'jwt_secret_key'));
      }, /not a file: secrets\/jwt_secret_key is a directory/],
    ];
    for (const [name, spoil, expected] of cases) {
      makeSecretsFresh(dir);
      spoil();
      const run = check(dir, ['--profile', 'cluster']);
      assert.equal(run.status, 1, `${name}: ${run.out}`);
      assert.match(run.out, expected);
      assert.match(run.out, /1 problem\(s\)/);
    }
  });

  test('the README documents the check before `up`', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const deployment = readme.slice(readme.indexOf('\n## Deployment'));
    assert.match(deployment, /scripts\/check-deploy\.sh\b/);
    assert.match(deployment, /scripts\/check-deploy\.sh --profile cluster/);
  });
});

function makeSecretsFresh(dir: string): void {
  rmSync(join(dir, 'secrets'), { recursive: true, force: true });
  makeSecrets(dir);
}
