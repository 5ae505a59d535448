// Scenario 7's measuring process (pinned to the server core): appends durable events
// (LoginSucceeded, fsynced) to a fresh SQLite event log through `openEventStore`, one
// commit per append vs group commit, at synchronous=FULL vs NORMAL. Prints BENCH_EVENTLOG.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import type { BeaconEvent } from '../../src/events/types.js';
import { openEventStore } from '../../src/store/index.js';

const durationMs = Number(process.env.BENCH_EVENTLOG_MS ?? '2000');
/** Appends issued in the same tick in grouped mode (requests arriving together). */
const WAVE = 64;

let n = 0;
const event = (): BeaconEvent => {
  const i = n++;
  const userId = 1 + (i % 1_000);
  return { type: 'LoginSucceeded', data: { userId, username: `user${userId}`, jti: `jti-${i}-bench`, iat: 1, exp: 4_000_000_000, address: '127.0.0.1' } };
};

async function variant(grouped: boolean, sync: 'FULL' | 'NORMAL'): Promise<{ appends: number; commits: number; perSecond: number; perCommit: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-bench-log-'));
  const store = openEventStore({ path: join(dir, 'beacon.db'), clock: systemClock, groupCommit: grouped, durableSync: sync });
  const t0 = performance.now();
  let appends = 0;
  while (performance.now() - t0 < durationMs) {
    if (grouped) {
      await Promise.all(Array.from({ length: WAVE }, () => store.append([event()])));
      appends += WAVE;
    } else {
      await store.append([event()]);
      appends++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const commits = store.stats().commits;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { appends, commits, perSecond: appends / seconds, perCommit: appends / commits };
}

const results = {
  singleFull: await variant(false, 'FULL'),
  singleNormal: await variant(false, 'NORMAL'),
  groupedFull: await variant(true, 'FULL'),
  groupedNormal: await variant(true, 'NORMAL'),
  wave: WAVE,
};
process.stdout.write(`BENCH_EVENTLOG ${JSON.stringify(results)}\n`);
