// The terminal's view of the logs: on a TTY the first line is "Beacon ready: <URLs>", lines
// logged while starting follow it in readable form; elsewhere stdout keeps the JSON lines.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createLoggers } from '../src/log.js';
import { readyLine } from '../src/logConsole.js';

function sink(isTTY: boolean): { isTTY: boolean; write(text: string): void; lines(): string[] } {
  let text = '';
  return { isTTY, write: (t) => void (text += t), lines: () => text.split('\n').filter((l) => l !== '') };
}

async function logStart(out: ReturnType<typeof sink>): Promise<void> {
  const loggers = createLoggers({ dir: mkdtempSync(join(tmpdir(), 'beacon-log-')), level: 'info', stdout: true, console: out });
  loggers.app.warn({ dataDir: '/srv/data' }, 'generated a random key');
  loggers.auth.info('hash workers up');
  loggers.app.info({ httpPort: 5001, httpsPort: 5000, host: '0.0.0.0', version: '0.1.0' }, 'beacon ready');
  loggers.websocket.info({ connections: 1 }, 'connection opened');
  await loggers.close();
}

describe('stdout on a terminal', () => {
  test('given a start that logged on the way, then the ready line with the console URL is the first line', async () => {
    const out = sink(true);
    await logStart(out);
    const lines = out.lines();
    assert.equal(lines[0], 'Beacon ready: https://localhost:5000/ (console), http://localhost:5001/');
    assert.match(lines[1] ?? '', /^\d\d:\d\d:\d\d warn  app: generated a random key dataDir=\/srv\/data$/);
    assert.match(lines[2] ?? '', /^\d\d:\d\d:\d\d info  auth: hash workers up$/);
    assert.match(lines[3] ?? '', /^\d\d:\d\d:\d\d info  websocket: connection opened connections=1$/);
    assert.equal(lines.length, 4);
    assert.ok(lines.every((l) => !l.startsWith('{')), 'no JSON on the terminal');
  });

  test('given an error before ready, then it is shown at once', async () => {
    const out = sink(true);
    const loggers = createLoggers({ dir: mkdtempSync(join(tmpdir(), 'beacon-log-')), level: 'info', stdout: true, console: out });
    loggers.app.error({ err: new Error('disk full') }, 'event log commit failed');
    await loggers.close();
    assert.match(out.lines()[0] ?? '', /error app: event log commit failed err="disk full"$/);
  });
});

describe('stdout elsewhere (a pipe, docker logs)', () => {
  test('given the same start, then stdout holds the JSON lines, unchanged', async () => {
    const out = sink(false);
    await logStart(out);
    const records = out.lines().map((l) => JSON.parse(l) as { msg: string; name: string });
    assert.deepEqual(records.map((r) => r.msg), ['generated a random key', 'hash workers up', 'beacon ready', 'connection opened']);
  });
});

describe('readyLine', () => {
  test('names the console URL first: HTTPS when on, the host itself when not a wildcard', () => {
    assert.equal(readyLine({ host: '127.0.0.1', httpPort: 8080 }), 'Beacon ready: http://127.0.0.1:8080/ (console)');
    assert.equal(readyLine({ host: '::', httpsPort: 443, httpPort: 80 }), 'Beacon ready: https://localhost:443/ (console), http://localhost:80/');
    assert.equal(readyLine({ host: '::1', httpsPort: 5000 }), 'Beacon ready: https://[::1]:5000/ (console)');
  });
});
