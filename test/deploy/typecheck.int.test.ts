// `npm run typecheck` covers the web console too: web/js is plain JavaScript with JSDoc
// types, checked by tsconfig.web.json (allowJs + checkJs, strict), so a type error there
// fails the check like one in src/.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../support/beacon.js';
import { ROOT } from '../support/process.js';

const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
const tsc = (cwd: string, args: readonly string[]) => spawnSync(TSC, [...args], { cwd, encoding: 'utf8', timeout: 120_000 });

describe('web/js type-check', () => {
  test('npm run typecheck runs the web config, and the config takes every file of web/js', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts['typecheck'] ?? '', /&& tsc -p tsconfig\.web\.json$/);
    const listed = tsc(ROOT, ['-p', 'tsconfig.web.json', '--listFilesOnly']);
    assert.equal(listed.status, 0, listed.stderr);
    const files = readdirSync(join(ROOT, 'web', 'js')).filter((f) => f.endsWith('.js'));
    assert.ok(files.length > 0);
    for (const file of files) assert.ok(listed.stdout.includes(join(ROOT, 'web', 'js', file)), `${file} is not checked`);
  });

  test('a type error in a web/js file fails the check', () => {
    const dir = tempDir('beacon-webcheck-');
    mkdirSync(join(dir, 'web', 'js'), { recursive: true });
    copyFileSync(join(ROOT, 'tsconfig.web.json'), join(dir, 'tsconfig.web.json'));
    writeFileSync(join(dir, 'web', 'js', 'ok.js'), '/** @param {number} n */\nexport const twice = (n) => n * 2;\n');
    assert.equal(tsc(dir, ['-p', 'tsconfig.web.json']).status, 0, 'a correct file passes');
    writeFileSync(join(dir, 'web', 'js', 'bad.js'), "import { twice } from './ok.js';\nexport const wrong = twice('two');\n");
    const failed = tsc(dir, ['-p', 'tsconfig.web.json']);
    assert.notEqual(failed.status, 0);
    assert.match(failed.stdout, /bad\.js\(2,\d+\): error TS2345/);
  });
});
