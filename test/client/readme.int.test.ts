// The client README's quick start, run as a new user would (Node, the built bundle, a
// running Beacon): its code block is taken from client/README.md as written, with only
// the server address changed, so the README cannot drift from what works.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { call, startTestBeacon } from '../support/beacon.js';
import { ROOT } from '../support/process.js';
// @ts-expect-error: a plain .mjs build script without type declarations.
import { bundleClient } from '../../client/build.mjs';

test('the quick start of client/README.md works as written', async () => {
  const readme = readFileSync(join(ROOT, 'client', 'README.md'), 'utf8');
  const block = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block !== undefined, 'a js block under "Quick start"');
  assert.ok(block.trim().split('\n').length <= 5, 'five lines at most');
  const t = await startTestBeacon();
  try {
    // The README's user: registered with the password its login uses.
    const reg = await call('POST', `${t.http}/register`, { body: { username: 'alice', password: 'correct horse' } });
    assert.equal(reg.status, 201);
    const dir = join(ROOT, 'test-output', 'readme');
    mkdirSync(dir, { recursive: true });
    const bundle = join(dir, 'beacon-client.js');
    await bundleClient(bundle);
    const code = block
      .replaceAll('http://localhost:5001', t.http)
      .replaceAll('ws://localhost:5001', t.http.replace('http', 'ws'))
      .replace("'./client/dist/beacon-client.js'", `'${pathToFileURL(bundle).href}'`);
    // Node 20 has no global WebSocket: the README says to use `ws` there.
    const script = `import WebSocket from 'ws';\nglobalThis.WebSocket ??= WebSocket;\n${code}\nsetTimeout(() => client.close(), 300);\n`;
    const file = join(dir, 'quickstart.mjs');
    writeFileSync(file, script);
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: ROOT, timeout: 20_000 });
    assert.match(stdout, /^room:lobby 1 hello$/m);
  } finally {
    await t.stop();
  }
});
