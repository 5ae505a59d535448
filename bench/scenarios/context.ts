// What scenarios share: the options, the workers, a progress logger, and helpers that spread
// connections over the workers and read a peer's CPU time and memory.

import type { Cred, OpenResult, Target } from '../loadgen/messages.js';
import type { Options } from '../lib/options.js';
import type { Peer } from '../lib/peers.js';
import { cpuByThread, cpuSeconds, nowMs } from '../lib/proc.js';
import type { Workers } from '../lib/workers.js';
import type { MemoryReport } from '../peers/common.js';

export interface Ctx {
  opts: Options;
  workers: Workers;
  log(line: string): void;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Opening stops starting connections after this; the rest count as failed. */
/** Opening sockets gives up after this long; what did not open counts as failed. */
export const OPEN_DEADLINE_MS = 120_000;

/** Opens `count` authenticated connections, split evenly over the workers. */
export async function openSpread(ctx: Ctx, target: Target, creds: Cred[], count: number): Promise<{ opened: number; failed: number; seconds: number; firstError?: string }> {
  const w = ctx.workers.size;
  const t0 = nowMs();
  const rs = await ctx.workers.all<OpenResult>((i) => ({
    cmd: 'open',
    target,
    creds: creds.slice(i).concat(creds.slice(0, i)),
    count: Math.floor(count / w) + (i < count % w ? 1 : 0),
    concurrency: 64,
    deadlineMs: OPEN_DEADLINE_MS,
  }));
  const failed = rs.reduce((a, r) => a + r.failed, 0);
  const seconds = (nowMs() - t0) / 1000;
  ctx.log(`    opened ${count - failed} in ${seconds.toFixed(1)} s (${Math.round((count - failed) / seconds)}/s, client CPU ${Math.round(clientUtilisation(rs) * 100)}%)`);
  const firstError = rs.find((r) => r.firstError !== undefined)?.firstError;
  if (failed > 0) ctx.log(`    ${failed} connections failed to open (${firstError})`);
  return { opened: rs.reduce((a, r) => a + r.opened, 0), failed, seconds, ...(firstError === undefined ? {} : { firstError }) };
}

export async function closeAllConns(ctx: Ctx): Promise<void> {
  await ctx.workers.all({ cmd: 'closeAll' });
}

/** Full GC in the peer, then its memory (the peer's SIGUSR2 probe). */
export async function peerMemory(peer: Peer): Promise<MemoryReport> {
  const reply = peer.proc.next<MemoryReport>('MEM', 30_000);
  process.kill(peer.proc.pid, 'SIGUSR2');
  return reply;
}

/** Server CPU meter: fraction of one core used since `start()`. */
export function cpuMeter(peer: Peer): { stop(): { cpuSeconds: number; wallSeconds: number; utilisation: number; byThread: Record<string, number> } } {
  const c0 = cpuSeconds(peer.proc.pid);
  const threads0 = cpuByThread(peer.proc.pid);
  const t0 = nowMs();
  return {
    stop() {
      const cpu = cpuSeconds(peer.proc.pid) - c0;
      const wall = (nowMs() - t0) / 1000;
      // Utilisation of one core by thread kind, so time spent off the main thread shows.
      const byThread: Record<string, number> = {};
      for (const [name, secs] of Object.entries(cpuByThread(peer.proc.pid))) {
        const used = (secs - (threads0[name] ?? 0)) / wall;
        if (used >= 0.005) byThread[name] = Math.round(used * 1000) / 1000;
      }
      return { cpuSeconds: cpu, wallSeconds: wall, utilisation: cpu / wall, byThread };
    },
  };
}

/** Workers share one core: their CPU adds up, against the longest wall time. */
export function clientUtilisation(rs: ReadonlyArray<{ cpuMs: number; wallMs: number }>): number {
  const cpu = rs.reduce((a, r) => a + r.cpuMs, 0);
  const wall = Math.max(...rs.map((r) => r.wallMs));
  return cpu / wall;
}
