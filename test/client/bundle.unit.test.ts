// The bundle the README quotes: built the way `node client/build.mjs` builds it, it stays
// under the 6 KB (minified and gzipped) target and imports nothing (no runtime dependency).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../support/beacon.js';
// @ts-expect-error: a plain .mjs build script without type declarations.
import { bundleClient, sizeOf } from '../../client/build.mjs';

const TARGET_GZIPPED_BYTES = 6 * 1024;

test('the client bundle is under 6 KB gzipped and imports nothing', async () => {
  const out = join(tempDir('beacon-bundle-'), 'beacon-client.js');
  await bundleClient(out);
  const { minified, gzipped } = sizeOf(out) as { minified: number; gzipped: number };
  assert.ok(gzipped < TARGET_GZIPPED_BYTES, `${gzipped} bytes gzipped (${minified} minified)`);
  const code = readFileSync(out, 'utf8');
  assert.doesNotMatch(code, /\bimport\s*[{*\w"'(]/, 'no import in the bundle');
  assert.doesNotMatch(code, /\brequire\(/, 'no require in the bundle');
  const mod = (await import(out)) as Record<string, unknown>;
  assert.equal(typeof mod['BeaconClient'], 'function');
});
