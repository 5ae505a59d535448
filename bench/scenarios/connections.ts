// Scenario 1 (authenticated handshakes per second) and scenario 5 (server memory per idle
// authenticated connection, RSS and heap, after a full GC in the peer).

import type { HandshakeResult, Target } from '../loadgen/messages.js';
import { merge, summarize, type Latency } from '../lib/hist.js';
import type { Peer } from '../lib/peers.js';
import { clientUtilisation, closeAllConns, cpuMeter, openSpread, peerMemory, sleep, type Ctx } from './context.js';
import type { MemoryReport } from '../peers/common.js';

export interface HandshakeFigures extends Latency {
  perSecond: number;
  ok: number;
  failed: number;
  serverCpu: number;
  /** Server CPU by thread name (fraction of one core). */
  serverThreads: Record<string, number>;
  clientCpu: number;
  firstError?: string;
}

export async function handshakes(ctx: Ctx, peer: Peer, target: Target): Promise<HandshakeFigures> {
  const { opts } = ctx;
  const meter = cpuMeter(peer);
  const rs = await ctx.workers.all<HandshakeResult>({
    cmd: 'handshake',
    target,
    creds: peer.creds,
    concurrency: Math.ceil(opts.handshakeConcurrency / ctx.workers.size),
    durationMs: opts.handshakeMs,
    maxCount: 1_000_000,
  });
  const server = meter.stop();
  const ok = rs.reduce((a, r) => a + r.ok, 0);
  const active = Math.max(...rs.map((r) => r.activeMs)) / 1000;
  const firstError = rs.find((r) => r.firstError !== undefined)?.firstError;
  ctx.log(`    server threads: ${JSON.stringify(server.byThread)}`);
  await sleep(500); // let the closes settle before the next scenario
  return {
    ...summarize(merge(rs.map((r) => r.hist))),
    perSecond: ok / active,
    ok,
    failed: rs.reduce((a, r) => a + r.failed, 0),
    serverCpu: server.utilisation,
    serverThreads: server.byThread,
    clientCpu: clientUtilisation(rs),
    ...(firstError === undefined ? {} : { firstError }),
  };
}

export interface MemoryFigures {
  connections: number;
  failed: number;
  openSeconds: number;
  baseline: MemoryReport;
  loaded: MemoryReport;
  rssPerConnection: number;
  heapPerConnection: number;
  /** heap + external + array buffers: all the JS side holds, per connection. */
  jsPerConnection: number;
}

/** Probes memory twice, a second apart, and keeps the second: freed pages have been returned. */
async function settledMemory(peer: Peer): Promise<MemoryReport> {
  await sleep(1_500);
  await peerMemory(peer);
  await sleep(1_000);
  return peerMemory(peer);
}

/**
 * Run on a fresh peer. Both readings are taken with connections open (a warm base of 500,
 * then N more), so the difference is what N more connections cost, not start-up effects.
 */
export async function memory(ctx: Ctx, peer: Peer): Promise<MemoryFigures> {
  const { opts } = ctx;
  await openSpread(ctx, peer.target, peer.creds, 500);
  await ctx.workers.all({ cmd: 'echo', rate: 1_000 / ctx.workers.size, durationMs: 1_000, warmupMs: 0, drainMs: 2_000 });
  const baseline = await settledMemory(peer);
  const open = await openSpread(ctx, peer.target, peer.creds, opts.memConns);
  const loaded = await settledMemory(peer);
  await closeAllConns(ctx);
  const n = Math.max(1, open.opened);
  const js = (m: MemoryReport): number => m.heapUsed + m.external + m.arrayBuffers;
  return {
    connections: open.opened,
    failed: open.failed,
    openSeconds: open.seconds,
    baseline,
    loaded,
    rssPerConnection: (loaded.rss - baseline.rss) / n,
    heapPerConnection: (loaded.heapUsed - baseline.heapUsed) / n,
    jsPerConnection: (js(loaded) - js(baseline)) / n,
  };
}
