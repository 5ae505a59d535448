// Bundles the client into one minified ESM file for browsers and Node alike:
// dist/beacon-client.js by default, or `--out <file>`. `--size` also prints its size
// minified and gzipped (the figure the README quotes). scripts/build.mjs calls
// bundleClient() for the web console's copy, web/lib/beacon-client.js, when it is stale.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));
const SRC = join(HERE, 'src');

/** Why `outfile` must be rebuilt from client/src, or undefined when it is current. */
export function clientStaleness(outfile) {
  if (!existsSync(outfile)) return 'no bundle yet';
  const builtAt = statSync(outfile).mtimeMs;
  const newer = readdirSync(SRC).find((name) => statSync(join(SRC, name)).mtimeMs > builtAt);
  return newer === undefined ? undefined : `client/src/${newer} changed`;
}

/** Writes the bundle; esbuild (a devDependency) is loaded only when there is work to do. */
export async function bundleClient(outfile, { sourcemap = false } = {}) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(SRC, 'index.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    minify: true,
    sourcemap,
    legalComments: 'none',
    logLevel: 'warning',
  });
}

export function sizeOf(outfile) {
  const code = readFileSync(outfile);
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { size: { type: 'boolean', default: false }, out: { type: 'string', default: join(HERE, 'dist', 'beacon-client.js') } },
  });
  const outfile = resolve(values.out);
  await bundleClient(outfile, { sourcemap: true });
  if (values.size) {
    const { minified, gzipped } = sizeOf(outfile);
    process.stdout.write(`${outfile}: ${minified} bytes minified, ${gzipped} bytes (${(gzipped / 1024).toFixed(2)} KiB) minified and gzipped\n`);
  }
}
