// Bundles the client into one ESM file, dist/beacon-client.js (minified, with a source
// map), for browsers and Node alike. `--size` also prints its size minified and gzipped:
// the figure the README quotes. `--out <file>` writes the bundle elsewhere.

import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { size: { type: 'boolean', default: false }, out: { type: 'string', default: join(HERE, 'dist', 'beacon-client.js') } },
});
const outfile = resolve(values.out);

await build({
  entryPoints: [join(HERE, 'src', 'index.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});

if (values.size) {
  const code = readFileSync(outfile);
  const gz = gzipSync(code, { level: 9 }).length;
  process.stdout.write(`${outfile}: ${code.length} bytes minified, ${gz} bytes (${(gz / 1024).toFixed(2)} KiB) minified and gzipped\n`);
}
