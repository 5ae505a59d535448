// `npm start` runs compiled JavaScript: scripts/build.mjs compiles src/ to dist/ when dist/
// is missing or stale (and only then), and the compiled server finds web/, runs its hash
// workers and answers, with no TypeScript loader installed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { call, registerAndLogin, tempDir, testEnv } from '../support/beacon.js';
import { freePort, ready, ROOT, spawnCommand } from '../support/process.js';
import { within } from '../support/wsClient.js';

const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

function build(args: readonly string[]): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stderr: run.stderr };
}

describe('scripts/build.mjs --if-stale', () => {
  test('builds when dist/ is missing, not when current, again when a source changes or goes', () => {
    const dir = tempDir('beacon-build-');
    const src = join(dir, 'src');
    const out = join(dir, 'dist');
    cpSync(join(ROOT, 'src'), src, { recursive: true });
    const stamp = join(out, '.build-stamp.json');
    const flags = ['--if-stale', '--src', src, '--out', out];

    assert.equal(build(flags).status, 0);
    assert.ok(existsSync(join(out, 'main.js')) && existsSync(join(out, 'auth', 'hashWorker.js')) && existsSync(join(out, 'cli', 'events.js')));
    const first = statSync(stamp).mtimeMs;

    assert.equal(build(flags).status, 0);
    assert.equal(statSync(stamp).mtimeMs, first, 'a current dist/ is not rebuilt');

    const later = new Date(first + 10_000);
    utimesSync(join(src, 'clock.ts'), later, later);
    assert.equal(build(flags).status, 0);
    const second = statSync(stamp).mtimeMs;
    assert.ok(second > first, 'a newer source rebuilds');

    rmSync(join(src, 'listenUrls.ts'));
    rmSync(join(src, 'logConsole.ts'));
    rmSync(join(src, 'log.ts'));
    assert.equal(build(flags).status, 0);
    assert.ok(statSync(stamp).mtimeMs >= second);
    assert.ok(!existsSync(join(out, 'log.js')), 'a removed source leaves no module behind');
  });

  test('with no src/ (the image), a built dist/ is used as it is', () => {
    const dir = tempDir('beacon-build-');
    const out = join(dir, 'dist');
    assert.equal(build(['--src', join(ROOT, 'src'), '--out', out]).status, 0);
    const before = statSync(join(out, 'main.js')).mtimeMs;
    assert.equal(build(['--if-stale', '--src', join(dir, 'no-src'), '--out', out]).status, 0);
    assert.equal(statSync(join(out, 'main.js')).mtimeMs, before);
    const none = build(['--if-stale', '--src', join(dir, 'no-src'), '--out', join(dir, 'no-dist')]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /^beacon: neither .* nor a built .*main\.js exists\n$/);
  });
});

describe('npm start', () => {
  test('is the stale check, then plain node on dist/main.js (npm run dev keeps tsx)', () => {
    assert.equal(scripts['start'], 'node scripts/build.mjs --if-stale && node dist/main.js');
    assert.match(scripts['dev'] ?? '', /--import tsx src\/main\.ts/);
    for (const cli of ['events', 'import-users']) assert.match(scripts[cli] ?? '', /^node scripts\/build\.mjs --if-stale && node dist\/cli\/\w+\.js$/);
  });

  test('the compiled server serves the console from web/, hashes in its workers and answers, with no tsx installed', async () => {
    assert.equal(build(['--if-stale']).status, 0);
    // The layout of a production install: dist/, web/, and node_modules without the dev tools.
    const app = join(tempDir('beacon-prod-'), 'app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true });
    symlinkSync(join(ROOT, 'web'), join(app, 'web'));
    cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    const devTools = new Set(['tsx', 'esbuild', '@esbuild', 'typescript', '@typescript', '.bin']);
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (!devTools.has(name)) symlinkSync(join(ROOT, 'node_modules', name), join(app, 'node_modules', name));
    }
    const dir = tempDir();
    const port = await freePort();
    const p = spawnCommand(['node', 'dist/main.js'], { cwd: app, env: { ...testEnv(dir), LOG_STDOUT: '1', HTTP_PORT: String(port), HTTPS_PORT: '0' } });
    try {
      await ready(p);
      const base = `http://127.0.0.1:${port}`;
      const home = await call('GET', `${base}/`);
      assert.equal(home.status, 200);
      assert.match(home.headers['content-type'] ?? '', /text\/html/);
      const { token } = await registerAndLogin(base, 'compiled_amy');
      assert.equal((await call('GET', `${base}/protected`, { token })).status, 200);
    } finally {
      p.child.kill('SIGTERM');
      await within(p.exited, 15_000, 'exit after SIGTERM');
    }
  });
});
