// Scenario 9: publish with history. Several publisher connections, pipelined, publish to one
// channel nobody subscribes to and wait for each `published` (on Beacon: answered once the
// publication is written); publications kept per second and per server CPU-second.

import type { ChanPublishLoadResult } from '../loadgen/messages.js';
import { merge, summarize, type Latency } from '../lib/hist.js';
import type { Peer } from '../lib/peers.js';
import { clientUtilisation, cpuMeter, sleep, type Ctx } from './context.js';

/**
 * Channels of the bench's CHANNELS_FILE (peers/channels.json): `hist` keeps the last 100
 * publications like the built-in `room`, `nohist` keeps none (history_size 0). Both let
 * any authenticated user publish, so the publishers need not subscribe.
 */
export const HISTORY_CHANNEL = 'hist:bench';
export const NO_HISTORY_CHANNEL = 'nohist:bench';

export interface PublishLoadFigures extends Latency {
  channel: string;
  /** Whether the server keeps the publications (Beacon's `hist`); the peers keep nothing. */
  keepsHistory: boolean;
  publishers: number;
  batch: number;
  /** `published` answers per second (on Beacon with history: publications written). */
  perSecond: number;
  /** The most the closed loop can offer (publishers × 1000 / minGapMs): near it, the server was not the limit. */
  offeredPerSecond: number;
  perCpuSecond: number;
  serverCpu: number;
  serverThreads: Record<string, number>;
  clientCpu: number;
  refused: number;
  firstRefusal?: string;
  /** Offsets answered over the whole run: expected exactly 1..max, each once. */
  offsets: { answered: number; max: number; repeated: number; missing: number };
}

function checkOffsets(lists: readonly number[][]): PublishLoadFigures['offsets'] {
  const all = lists.flat().sort((a, b) => a - b);
  let unique = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) unique++;
  const max = all.length === 0 ? 0 : (all[all.length - 1] as number);
  return { answered: all.length, max, repeated: all.length - unique, missing: Math.max(0, max - unique) };
}

export async function publishLoad(ctx: Ctx, peer: Peer, channel: string, keepsHistory: boolean): Promise<PublishLoadFigures> {
  const { opts } = ctx;
  const w = ctx.workers.size;
  const running = ctx.workers.all<ChanPublishLoadResult>({
    cmd: 'chanPublishLoad',
    channel,
    conns: Math.ceil(opts.historyConns / w),
    durationMs: opts.saturateMs,
    warmupMs: opts.warmupMs,
    minGapMs: opts.saturateGapMs,
    batch: opts.historyBatch,
  });
  await sleep(opts.warmupMs);
  const meter = cpuMeter(peer);
  await sleep(opts.saturateMs);
  const server = meter.stop();
  const rs = await running;
  const acked = rs.reduce((a, r) => a + r.acked, 0);
  const refused = rs.reduce((a, r) => a + r.refused, 0);
  const firstRefusal = rs.find((r) => r.firstRefusal !== undefined)?.firstRefusal;
  if (acked === 0) throw new Error(`no publish to ${channel} answered published${firstRefusal === undefined ? '' : `; refused: ${firstRefusal}`}`);
  const publishers = rs.reduce((a, r) => a + r.publishers, 0);
  return {
    ...summarize(merge(rs.map((r) => r.hist))),
    channel,
    keepsHistory,
    publishers,
    offeredPerSecond: (publishers * 1000) / opts.saturateGapMs,
    batch: opts.historyBatch,
    perSecond: acked / (opts.saturateMs / 1000),
    perCpuSecond: acked / server.cpuSeconds,
    serverCpu: server.utilisation,
    serverThreads: server.byThread,
    clientCpu: clientUtilisation(rs),
    refused,
    ...(firstRefusal === undefined ? {} : { firstRefusal }),
    offsets: checkOffsets(rs.map((r) => r.offsets)),
  };
}
