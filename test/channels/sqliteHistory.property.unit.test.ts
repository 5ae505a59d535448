// Property test of the embedded channel history alone (fast-check, real SQLite files):
// random appends under random retention, clock steps, sweeps, reopens and wipes, checked
// against a model. Offsets are gap-free; a recovered `since` is exactly the channel's
// sequence after its offset, and is recovered whenever the model still keeps all of it;
// epochs hold across reopen and change on wipe or when a forgotten channel starts over.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Publication, Retention, StreamPosition } from '../../src/channels/history.js';
import { openSqliteHistory, type SqliteChannelHistory } from '../../src/channels/sqliteHistory.js';

const root = mkdtempSync(join(tmpdir(), 'beacon-history-prop-'));
after(() => rmSync(root, { recursive: true, force: true }));

const CHANNELS = ['room:a', 'room:b', 'user:c'] as const;
type Channel = (typeof CHANNELS)[number];
const META_TTL_MS = 50_000;

type Command =
  | { kind: 'append'; channels: Channel[] }
  | { kind: 'advance'; ms: number }
  | { kind: 'head'; channel: Channel }
  | { kind: 'since'; channel: Channel; pick: number; shift: number }
  | { kind: 'trim' }
  | { kind: 'reopen' }
  | { kind: 'wipe' };

const channel = fc.constantFrom(...CHANNELS);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), channels: fc.array(channel, { minLength: 1, maxLength: 6 }) }) },
  // Steps and TTLs from small sets, so the clock often lands exactly on an expiry.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(0, 1, 2, 5, 30, 60).map((s) => s * 1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('head' as const), channel }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('since' as const), channel, pick: fc.nat(), shift: fc.constantFrom(0, 0, 0, -1, 1, 3) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'trim' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wipe' as const }) },
);
const retention: fc.Arbitrary<Retention> = fc.record({ size: fc.integer({ min: 0, max: 6 }), ttlSeconds: fc.constantFrom(1, 2, 5, 30, 100) });

/** What the store should hold for one channel in its current incarnation. */
interface ModelChannel {
  /** Learned from the store at the first sight of this incarnation. */
  epoch: string | undefined;
  /** Every publication of this incarnation, kept or not; offsets are index + 1. */
  seq: Publication[];
  /** Epochs this channel had before: a new incarnation must not reuse one. */
  retired: Set<string>;
}

async function run(retentions: Record<Channel, Retention>, commands: Command[], dir: string): Promise<void> {
  const path = join(dir, 'channels.db');
  const clock = { t: 1_000_000, now(): number { return this.t; } };
  const open = (): SqliteChannelHistory => openSqliteHistory({ path, clock, trimIntervalMs: 0, metaTtlMs: META_TTL_MS });
  let h = open();
  const model = new Map<Channel, ModelChannel>(CHANNELS.map((c) => [c, { epoch: undefined, seq: [], retired: new Set() }]));
  const seen: Array<StreamPosition & { channel: Channel }> = [];
  const m = (c: Channel): ModelChannel => model.get(c) as ModelChannel;

  const kept = (c: Channel, p: Publication): boolean => {
    const { size, ttlSeconds } = retentions[c];
    return size > 0 && p.offset > m(c).seq.length - size && p.ts + ttlSeconds * 1000 > clock.t;
  };
  const learn = (c: Channel, epoch: string): void => {
    const state = m(c);
    if (state.epoch === undefined) {
      assert.ok(!state.retired.has(epoch), `${c}: a new incarnation reused epoch ${epoch}`);
      state.epoch = epoch;
    }
    assert.equal(epoch, state.epoch, `${c}: epoch changed without history being lost`);
    seen.push({ channel: c, offset: state.seq.length, epoch });
  };
  const retire = (c: Channel): void => {
    const state = m(c);
    if (state.epoch !== undefined) state.retired.add(state.epoch);
    state.epoch = undefined;
    state.seq = [];
  };

  for (const cmd of commands) {
    switch (cmd.kind) {
      case 'append': {
        // One event-loop turn: these share one transaction.
        const out = await Promise.all(cmd.channels.map((c, i) => h.append(c, { from: { username: 'u', user_id: i }, data: { i, t: clock.t } }, retentions[c])));
        out.forEach((p, i) => {
          const c = cmd.channels[i] as Channel;
          assert.equal(p.offset, m(c).seq.length + 1, `${c}: offsets gap-free`);
          m(c).seq.push(p);
          learn(c, p.epoch);
        });
        break;
      }
      case 'advance':
        clock.t += cmd.ms;
        break;
      case 'head': {
        const head = await h.head(cmd.channel);
        assert.equal(head.offset, m(cmd.channel).seq.length);
        learn(cmd.channel, head.epoch);
        break;
      }
      case 'since': {
        const mine = seen.filter((s) => s.channel === cmd.channel);
        const base = mine.length === 0 ? { offset: 0, epoch: 'never-seen' } : (mine[cmd.pick % mine.length] as StreamPosition);
        const since = { offset: base.offset + cmd.shift, epoch: base.epoch };
        const r = await h.since(cmd.channel, since);
        const state = m(cmd.channel);
        assert.equal(r.offset, state.seq.length);
        learn(cmd.channel, r.epoch);
        const missed = state.seq.slice(Math.max(0, since.offset));
        const expectRecovered =
          since.epoch === state.epoch && since.offset >= 0 && since.offset <= state.seq.length && missed.every((p) => kept(cmd.channel, p));
        assert.equal(r.recovered, expectRecovered, `${cmd.channel} since ${JSON.stringify(since)}`);
        assert.deepEqual(r.publications, expectRecovered ? missed : []);
        break;
      }
      case 'trim': {
        const forget = CHANNELS.filter((c) => {
          const last = m(c).seq.at(-1);
          return last !== undefined && !m(c).seq.some((p) => kept(c, p)) && last.ts <= clock.t - META_TTL_MS;
        });
        const swept = h.trim();
        assert.equal(swept.heads, forget.length);
        for (const c of forget) retire(c);
        // The secret rotated: empty channels' derived epochs change as well.
        if (forget.length > 0) for (const c of CHANNELS) if (m(c).seq.length === 0) retire(c);
        break;
      }
      case 'reopen':
        await h.close();
        h = open();
        break;
      case 'wipe':
        await h.close();
        rmSync(dir, { recursive: true, force: true });
        h = open();
        for (const c of CHANNELS) retire(c);
        break;
    }
  }
  // Epochs survive a final reopen, and every channel's sequence is intact.
  const before = await Promise.all(CHANNELS.map((c) => h.head(c)));
  await h.close();
  h = open();
  assert.deepEqual(await Promise.all(CHANNELS.map((c) => h.head(c))), before);
  await h.close();
}

let runs = 0;
test('random appends, sweeps, reopens and wipes: gap-free offsets, exact recovery, stable epochs', async () => {
  await fc.assert(
    fc.asyncProperty(fc.record({ 'room:a': retention, 'room:b': retention, 'user:c': retention }), fc.array(command, { minLength: 10, maxLength: 80, size: 'max' }), async (r, cmds) => {
      await run(r, cmds, join(root, `run${++runs}`));
    }),
    { numRuns: Number(process.env.BEACON_PROPERTY_RUNS ?? 100) },
  );
});
