// Unit tests for the embedded channel history on real SQLite files in a temp dir: offsets,
// group commit, retention by size and age, recovery, epochs across reopen, wipe and
// forgotten heads, the file's mode, and failures that consume no offset.

import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Retention } from '../../src/channels/history.js';
import { openSqliteHistory, type SqliteChannelHistory } from '../../src/channels/sqliteHistory.js';
import { BeaconError } from '../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'beacon-history-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(root, `h${++n}`, 'channels.db');

const clock = { t: 1_000_000, now(): number { return this.t; } };
const open = (path: string, extra: { metaTtlMs?: number } = {}): SqliteChannelHistory =>
  openSqliteHistory({ path, clock, trimIntervalMs: 0, ...extra });
const keep = (size: number, ttlSeconds = 3600): Retention => ({ size, ttlSeconds });
const alice = { username: 'alice', user_id: 1 };

async function publish(h: SqliteChannelHistory, channel: string, count: number, retention = keep(100)): Promise<number[]> {
  const out = await Promise.all(Array.from({ length: count }, (_, i) => h.append(channel, { from: alice, data: { i } }, retention)));
  return out.map((p) => p.offset);
}

describe('sqlite channel history', () => {
  test('offsets are 1, 2, 3 ... per channel, independent across channels, resolved in order', async () => {
    const h = open(freshPath());
    const order: string[] = [];
    const all = ['room:a', 'room:b', 'room:a', 'room:a', 'room:b'].map((c) =>
      h.append(c, { from: alice, data: c }, keep(10)).then((p) => {
        order.push(`${c}#${p.offset}`);
        return p;
      }),
    );
    await Promise.all(all);
    assert.deepEqual(order, ['room:a#1', 'room:b#1', 'room:a#2', 'room:a#3', 'room:b#2']);
    assert.deepEqual(await h.head('room:a'), { offset: 3, epoch: (await all[0])?.epoch });
    await h.close();
  });

  test('a publication comes back as the wire wants it', async () => {
    const h = open(freshPath());
    clock.t = 2_000_000;
    const p = await h.append('room:a', { from: alice, data: { text: 'hi', n: [1, null] } }, keep(10));
    const admin = await h.append('room:a', { from: null, data: undefined }, keep(10));
    assert.deepEqual(p, { channel: 'room:a', offset: 1, epoch: p.epoch, from: alice, data: { text: 'hi', n: [1, null] }, ts: 2_000_000 });
    assert.equal(admin.from, null);
    assert.equal(admin.data, null);
    assert.equal(typeof p.epoch, 'string');
    assert.ok(p.epoch.length >= 8);
    assert.deepEqual((await h.recent('room:a', 10)).publications, [p, admin]);
    await h.close();
  });

  test('appends of one event-loop turn share one transaction; a later turn is another', async () => {
    const h = open(freshPath());
    await publish(h, 'room:a', 50);
    assert.deepEqual(h.stats(), { commits: 1, publications: 50, failures: 0 });
    await publish(h, 'room:b', 3);
    assert.equal(h.stats().commits, 2);
    await h.close();
  });

  test('retention by size keeps the last history_size; size 0 keeps none but numbers offsets', async () => {
    const h = open(freshPath());
    await publish(h, 'room:a', 7, keep(3));
    assert.deepEqual((await h.recent('room:a', 100)).publications.map((p) => p.offset), [5, 6, 7]);
    assert.deepEqual(await publish(h, 'room:z', 4, keep(0)), [1, 2, 3, 4]);
    const page = await h.recent('room:z', 100);
    assert.deepEqual({ offset: page.offset, publications: page.publications }, { offset: 4, publications: [] });
    await h.close();
  });

  test('retention by age: an aged-out publication is not returned even before the sweep deletes it', async () => {
    const h = open(freshPath());
    clock.t = 3_000_000;
    await publish(h, 'room:a', 2, keep(10, 60));
    clock.t += 30_000;
    await publish(h, 'room:a', 1, keep(10, 60));
    clock.t += 30_000; // the first two are exactly 60 s old: gone
    assert.deepEqual((await h.recent('room:a', 10)).publications.map((p) => p.offset), [3]);
    assert.deepEqual(h.keptByNamespace(), new Map([['room', 3]]));
    assert.deepEqual(h.trim(), { publications: 2, heads: 0 });
    assert.deepEqual(h.keptByNamespace(), new Map([['room', 1]]));
    await h.close();
  });

  test('a shorter TTL than before makes older publications expire no later than the new one', async () => {
    const h = open(freshPath());
    clock.t = 4_000_000;
    await publish(h, 'room:a', 2, keep(10, 3600));
    await publish(h, 'room:a', 1, keep(10, 10));
    clock.t += 10_000;
    const r = await h.since('room:a', { offset: 0, epoch: (await h.head('room:a')).epoch });
    assert.deepEqual({ recovered: r.recovered, offset: r.offset }, { recovered: false, offset: 3 });
    assert.deepEqual((await h.recent('room:a', 10)).publications, []);
    await h.close();
  });

  test('ts never goes backwards within a channel when the clock steps back', async () => {
    const h = open(freshPath());
    clock.t = 5_000_000;
    await publish(h, 'room:a', 1);
    clock.t -= 60_000;
    const [first] = (await h.recent('room:a', 1)).publications;
    const third = await h.append('room:a', { from: null, data: 1 }, keep(10));
    assert.equal(third.ts, first?.ts);
    clock.t = 5_000_000;
    await h.close();
  });

  describe('since', () => {
    test('recovers every publication after the offset, in order; at the head, none', async () => {
      const h = open(freshPath());
      await publish(h, 'room:a', 5);
      const { epoch } = await h.head('room:a');
      const r = await h.since('room:a', { offset: 2, epoch });
      assert.equal(r.recovered, true);
      assert.deepEqual({ epoch: r.epoch, offset: r.offset }, { epoch, offset: 5 });
      assert.deepEqual(r.publications.map((p) => [p.offset, p.data]), [[3, { i: 2 }], [4, { i: 3 }], [5, { i: 4 }]]);
      assert.deepEqual(await h.since('room:a', { offset: 5, epoch }), { recovered: true, epoch, offset: 5, publications: [] });
      await h.close();
    });

    test('a foreign epoch, an offset beyond the head, or a trimmed gap: not recovered, current head', async () => {
      const h = open(freshPath());
      await publish(h, 'room:a', 5, keep(2));
      await publish(h, 'room:b', 1);
      const { epoch } = await h.head('room:a');
      const miss = { recovered: false, epoch, offset: 5, publications: [] };
      assert.deepEqual(await h.since('room:a', { offset: 4, epoch: 'not-the-epoch' }), miss);
      assert.deepEqual(await h.since('room:a', { offset: 4, epoch: (await h.head('room:b')).epoch }), miss);
      assert.deepEqual(await h.since('room:a', { offset: 6, epoch }), miss);
      assert.deepEqual(await h.since('room:a', { offset: 2, epoch }), miss, 'offset 3 was trimmed by size');
      assert.equal((await h.since('room:a', { offset: 3, epoch })).recovered, true);
      await h.close();
    });

    test('more missed than the limit is not recovered (nothing partial)', async () => {
      const h = open(freshPath());
      await publish(h, 'room:a', 5);
      const { epoch } = await h.head('room:a');
      assert.equal((await h.since('room:a', { offset: 0, epoch }, 4)).recovered, false);
      assert.equal((await h.since('room:a', { offset: 0, epoch }, 5)).publications.length, 5);
      await h.close();
    });

    test('a client that subscribed to an empty channel recovers its first publications', async () => {
      const h = open(freshPath());
      const empty = await h.head('room:new');
      assert.equal(empty.offset, 0);
      await publish(h, 'room:new', 2);
      const r = await h.since('room:new', empty);
      assert.deepEqual({ recovered: r.recovered, epoch: r.epoch, n: r.publications.length }, { recovered: true, epoch: empty.epoch, n: 2 });
      assert.notEqual((await h.head('room:other')).epoch, empty.epoch, 'epochs differ between channels');
      await h.close();
    });
  });

  describe('epochs', () => {
    test('stable across close and reopen, with offsets and publications', async () => {
      const path = freshPath();
      let h = open(path);
      await publish(h, 'room:a', 3);
      const before = await h.head('room:a');
      const emptyBefore = await h.head('room:empty');
      await h.close();
      h = open(path);
      assert.deepEqual(await h.head('room:a'), before);
      assert.deepEqual(await h.head('room:empty'), emptyBefore);
      assert.deepEqual(await publish(h, 'room:a', 1), [4]);
      assert.equal((await h.since('room:a', { offset: 0, epoch: before.epoch })).publications.length, 4);
      await h.close();
    });

    test('a wiped store gives every channel a new epoch', async () => {
      const path = freshPath();
      let h = open(path);
      await publish(h, 'room:a', 3);
      const before = await h.head('room:a');
      const emptyBefore = await h.head('room:empty');
      await h.close();
      rmSync(path.replace(/channels\.db$/, ''), { recursive: true });
      h = open(path);
      assert.notEqual((await h.head('room:a')).epoch, before.epoch);
      assert.notEqual((await h.head('room:empty')).epoch, emptyBefore.epoch);
      await publish(h, 'room:a', 3);
      assert.equal((await h.since('room:a', before)).recovered, false);
      await h.close();
    });

    test('a head forgotten by the sweep starts over at 1 under a new epoch; older positions do not match', async () => {
      const h = open(freshPath(), { metaTtlMs: 1_000_000 });
      clock.t = 6_000_000;
      await publish(h, 'room:a', 3, keep(10, 60));
      await publish(h, 'room:kept', 1, keep(10, 10_000));
      const old = await h.head('room:a');
      const oldEmpty = await h.head('room:empty');
      clock.t += 60_000;
      assert.deepEqual(h.trim(), { publications: 3, heads: 0 }, 'the head outlives its publications');
      assert.deepEqual(await h.head('room:a'), old);
      clock.t += 1_000_000;
      assert.deepEqual(h.trim(), { publications: 0, heads: 1 });
      const fresh = await h.head('room:a');
      assert.equal(fresh.offset, 0);
      assert.notEqual(fresh.epoch, old.epoch);
      assert.notEqual((await h.head('room:empty')).epoch, oldEmpty.epoch);
      assert.equal((await h.head('room:kept')).offset, 1, 'a head with kept publications stays');
      assert.deepEqual(await publish(h, 'room:a', 1, keep(10, 60)), [1]);
      assert.equal((await h.since('room:a', { offset: 0, epoch: old.epoch })).recovered, false);
      await h.close();
    });
  });

  test('the file is mode 0600, in WAL mode', async () => {
    const path = freshPath();
    const h = open(path);
    await publish(h, 'room:a', 1);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
    const peek = new Database(path, { readonly: true });
    assert.equal(peek.pragma('journal_mode', { simple: true }), 'wal');
    peek.close();
    await h.close();
  });

  test('a failed write rejects with unavailable and consumes no offset', async () => {
    const path = freshPath();
    const errors: unknown[] = [];
    const h = openSqliteHistory({ path, clock, trimIntervalMs: 0, onError: (e) => errors.push(e) });
    await publish(h, 'room:a', 2);
    const other = new Database(path);
    other.exec("CREATE TRIGGER fail BEFORE INSERT ON publications BEGIN SELECT RAISE(ABORT, 'disk says no'); END;");
    const failed = await Promise.allSettled([h.append('room:a', { from: null, data: 1 }, keep(10)), h.append('room:b', { from: null, data: 1 }, keep(10))]);
    for (const r of failed) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof BeaconError && r.reason.code === 'unavailable');
    }
    assert.equal(errors.length, 1);
    assert.equal(h.stats().failures, 1);
    other.exec('DROP TRIGGER fail');
    other.close();
    assert.deepEqual(await publish(h, 'room:a', 1), [3]);
    assert.equal((await h.head('room:b')).offset, 0);
    await h.close();
  });

  test('data that is not JSON is refused before it takes an offset', async () => {
    const h = open(freshPath());
    await assert.rejects(h.append('room:a', { from: null, data: { n: 1n } }, keep(10)), (e: unknown) => e instanceof BeaconError && e.code === 'invalid_message');
    assert.deepEqual(await publish(h, 'room:a', 1), [1]);
    await h.close();
  });

  test('close writes what is pending, then refuses', async () => {
    const h = open(freshPath());
    const pending = h.append('room:a', { from: null, data: 1 }, keep(10));
    await h.close();
    assert.equal((await pending).offset, 1);
    await assert.rejects(h.append('room:a', { from: null, data: 1 }, keep(10)), /closed/);
    await assert.rejects(h.head('room:a'), /closed/);
  });

  test('recent pages forward with after, and keeps the last ones without', async () => {
    const h = open(freshPath());
    await publish(h, 'room:a', 6);
    assert.deepEqual((await h.recent('room:a', 2)).publications.map((p) => p.offset), [5, 6]);
    assert.deepEqual((await h.recent('room:a', 2, 1)).publications.map((p) => p.offset), [2, 3]);
    assert.deepEqual((await h.recent('room:a', 10, 6)).publications, []);
    await h.close();
  });
});
