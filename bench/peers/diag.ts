// `npm run bench -- --diag=DIR`: Beacon's peer writes one JSON line per second to
// DIR/beacon-rep<N>.jsonl: the event loop's delay (perf_hooks monitorEventLoopDelay, 10 ms
// resolution: max and p99 over that second) and the garbage collector's pauses in it (count,
// total and longest, by kind), so a latency tail can be laid beside what the process did.

import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export function installDiagnostics(file: string | undefined): void {
  if (file === undefined) return;
  mkdirSync(dirname(file), { recursive: true });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let gc: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = KINDS[((entry as { detail?: { kind?: number } }).detail)?.kind ?? -1] ?? 'other';
      const g = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
      g.count++;
      g.totalMs += entry.duration;
      g.maxMs = Math.max(g.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  const round = (x: number): number => Math.round(x * 10) / 10;
  setInterval(() => {
    const line = {
      t: Date.now(),
      loopMaxMs: round(loop.max / 1e6),
      loopP99Ms: round(loop.percentile(99) / 1e6),
      heapMB: round(process.memoryUsage().heapUsed / 2 ** 20),
      gc: Object.fromEntries(Object.entries(gc).map(([k, g]) => [k, { count: g.count, totalMs: round(g.totalMs), maxMs: round(g.maxMs) }])),
    };
    loop.reset();
    gc = {};
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, 1_000).unref();
}
