// The bench measures the production build, not the TypeScript loader: before anything
// starts, `dist/` is built as `npm start` builds it (scripts/build.mjs, esbuild, one file in,
// one file out) and bench/ is transpiled the same way into `.bench-build/bench/`, beside a
// `.bench-build/src` link to `dist/`. So the peers' `../../src/app.js` resolves to the
// compiled server, every child runs on plain `node` (no tsx hook, no loader thread sharing
// the server core), and the peers and load generator are compiled alike.

import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD_DIR = join(ROOT, '.bench-build');

/** Runs the project's builder (scripts/build.mjs); throws with its words on failure. */
function build(args: string[], what: string): void {
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), ...args], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building ${what} failed: ${built.stderr.trim() || built.status}`);
}

/** Builds dist/ (when stale) and the compiled bench, with the same builder and settings. */
export function compileBench(): void {
  build(['--if-stale'], 'dist/');
  rmSync(BUILD_DIR, { recursive: true, force: true });
  mkdirSync(BUILD_DIR, { recursive: true });
  build(['--src', join(ROOT, 'bench'), '--out', join(BUILD_DIR, 'bench')], 'the bench');
  symlinkSync(join(ROOT, 'dist'), join(BUILD_DIR, 'src'), 'dir');
}

/** `bench/peers/beacon.ts` → the compiled `.bench-build/bench/peers/beacon.js`. */
export function compiledScript(script: string): string {
  return join(BUILD_DIR, script.replace(/\.ts$/, '.js'));
}
