// Compiles src/ to dist/ (plain Node, so it runs before anything is built). `npm start` runs
// it with --if-stale: it builds only when dist/ is missing or older than src/, so the quick
// start stays `npm install && npm start` and later starts cost a directory scan.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Written last: its mtime is when the build finished, its list which sources it had. */
const STAMP = '.build-stamp.json';

const { values } = parseArgs({
  options: {
    'if-stale': { type: 'boolean', default: false },
    src: { type: 'string', default: join(ROOT, 'src') },
    out: { type: 'string', default: join(ROOT, 'dist') },
  },
});
const srcDir = resolve(values.src);
const outDir = resolve(values.out);

function sources(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sources(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found.sort();
}

/** Why dist/ must be rebuilt, or undefined when it is current. */
function staleness(files) {
  const stampPath = join(outDir, STAMP);
  if (!existsSync(stampPath)) return 'no build yet';
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return 'unreadable build stamp';
  }
  const names = files.map((f) => relative(srcDir, f));
  // A removed or added source changes the list even when no mtime moved.
  if (JSON.stringify(stamp.sources) !== JSON.stringify(names)) return 'sources added or removed';
  const builtAt = statSync(stampPath).mtimeMs;
  const newer = files.find((f) => statSync(f).mtimeMs > builtAt);
  return newer === undefined ? undefined : `${relative(ROOT, newer)} changed`;
}

async function build(files, reason) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    process.stderr.write(
      `beacon: ${relative(ROOT, outDir) || outDir}/ must be built (${reason}) but esbuild, a devDependency, is not installed: ` +
        'run `npm install` (with dev dependencies), or `npm run build` where it is\n',
    );
    process.exit(1);
  }
  const started = Date.now();
  // A clean output: a source removed since the last build leaves no module behind.
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // One file in, one file out (no bundle): import.meta.url, the hash worker's path and
  // ../web/ resolve from dist/ exactly as they do from src/. Types are checked by
  // `npm run typecheck` (isolatedModules guarantees a per-file transpile means the same).
  await esbuild.build({
    entryPoints: files,
    outdir: outDir,
    outbase: srcDir,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  writeFileSync(join(outDir, STAMP), JSON.stringify({ sources: files.map((f) => relative(srcDir, f)) }));
  // Quiet under `npm start`: the first line a person sees there is the server's ready line.
  if (!values['if-stale']) process.stderr.write(`built ${relative(ROOT, outDir) || outDir}/ from ${files.length} files in ${Date.now() - started} ms\n`);
}

if (!existsSync(srcDir)) {
  // An image or a package shipped with dist/ only: nothing to compile, nothing to compare.
  if (existsSync(join(outDir, 'main.js'))) process.exit(0);
  process.stderr.write(`beacon: neither ${srcDir} nor a built ${outDir}/main.js exists\n`);
  process.exit(1);
}
const files = sources(srcDir);
const reason = values['if-stale'] ? staleness(files) : 'asked';
if (reason !== undefined) await build(files, reason);
