// Kill -9 test of the embedded channel history: a child process appends publications and
// acknowledges each after its append resolved; it is SIGKILLed mid-stream, several times.
// Every acknowledged publication must still be there, offsets gap-free, the epoch unchanged.

import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { openSqliteHistory } from '../../src/channels/sqliteHistory.js';
import { ROOT, spawnCommand } from '../support/process.js';

const dir = mkdtempSync(join(tmpdir(), 'beacon-history-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'data', 'channels.db');

/** Resolves once the child has acknowledged at least `count` publications. */
function acks(child: ReturnType<typeof spawnCommand>, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (child.stdout().split('\n').length > count) {
        child.child.stdout?.off('data', check);
        resolve();
      }
    };
    child.child.stdout?.on('data', check);
    void child.exited.then((code) => reject(new Error(`writer exited (${code}): ${child.stderr()}`)));
  });
}

test('acknowledged publications survive SIGKILL of the writer, offsets gap-free, epochs kept', async () => {
  const epochs = new Map<string, string>();
  for (let round = 0; round < 3; round++) {
    const child = spawnCommand(['node', '--import', 'tsx', 'test/channels/historyWriter.ts', path, String(round)], { cwd: ROOT, env: {} });
    // A different number of acknowledgements each round: the kill lands somewhere new.
    await acks(child, 300 + round * 437);
    child.child.kill('SIGKILL');
    assert.equal(await child.exited, 'SIGKILL');
    // Lines printed in full before the kill are acknowledgements; a torn last line is not.
    const acked = child.stdout().split('\n').filter((line) => /^ack \S+ \d+ \S+$/.test(line));

    const check = new Database(path, { readonly: true });
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    check.close();
    const history = openSqliteHistory({ path, clock: systemClock, trimIntervalMs: 0 });
    const maxAcked = new Map<string, number>();
    for (const line of acked) {
      const [, channel = '', offset = '', epoch = ''] = line.split(' ');
      maxAcked.set(channel, Math.max(maxAcked.get(channel) ?? 0, Number(offset)));
      assert.equal(epoch, epochs.get(channel) ?? epoch, `${channel}: epoch survives the kill`);
      epochs.set(channel, epoch);
    }
    for (const [channel, max] of maxAcked) {
      const head = await history.head(channel);
      assert.equal(head.epoch, epochs.get(channel));
      assert.ok(head.offset >= max, `${channel}: head ${head.offset} holds every acknowledged offset up to ${max}`);
      assert.ok(head.offset <= 1000, 'the test stays within the retention, so every publication is kept');
      const all = await history.since(channel, { offset: 0, epoch: head.epoch }, 1000);
      assert.equal(all.recovered, true);
      assert.deepEqual(all.publications.map((p) => p.offset), Array.from({ length: head.offset }, (_, i) => i + 1), 'gap-free');
    }
    await history.close();
  }
});
