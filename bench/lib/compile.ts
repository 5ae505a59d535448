// The bench measures the production build, not the TypeScript loader: before anything
// starts, `dist/` is built as `npm start` builds it (scripts/build.mjs, esbuild, one file in,
// one file out) and bench/ is transpiled the same way into `.bench-build/bench/`, beside a
// `.bench-build/src` link to `dist/`. So the peers' `../../src/app.js` resolves to the
// compiled server, every child runs on plain `node` (no tsx hook, no loader thread sharing
// the server core), and the peers and load generator are compiled alike.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD_DIR = join(ROOT, '.bench-build');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'results') out.push(...tsFiles(p));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Builds dist/ (when stale) and the compiled bench; throws with the builder's words on failure. */
export async function compileBench(): Promise<void> {
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building dist/ failed: ${built.stderr.trim() || built.status}`);
  const esbuild = await import('esbuild');
  rmSync(BUILD_DIR, { recursive: true, force: true });
  mkdirSync(BUILD_DIR, { recursive: true });
  await esbuild.build({
    entryPoints: tsFiles(join(ROOT, 'bench')),
    outdir: join(BUILD_DIR, 'bench'),
    outbase: join(ROOT, 'bench'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  symlinkSync(join(ROOT, 'dist'), join(BUILD_DIR, 'src'), 'dir');
}

/** `bench/peers/beacon.ts` → the compiled `.bench-build/bench/peers/beacon.js`. */
export function compiledScript(script: string): string {
  return join(BUILD_DIR, script.replace(/\.ts$/, '.js'));
}
