// What every bench peer shares: a `BENCH_READY {ports}` line once listening, and on SIGUSR2 a
// full GC followed by a `BENCH_MEM {rss, heapUsed, ...}` line (peers run with --expose-gc), so
// memory is read after collection without adding any route to a server.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

export interface MemoryReport {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export function announceReady(info: { http: number; https?: number }): void {
  process.stdout.write(`BENCH_READY ${JSON.stringify(info)}\n`);
}

export function installMemoryProbe(): void {
  // `npm run bench -- --heap-snapshots=DIR`: each probe also writes DIR/<n>.heapsnapshot, after
  // the figures are read (a snapshot allocates), for bench/tools/heapDiff.ts.
  const snapshots = process.env.BENCH_HEAP_SNAPSHOTS;
  let probes = 0;
  if (snapshots !== undefined) mkdirSync(snapshots, { recursive: true });
  process.on('SIGUSR2', () => {
    const gc = globalThis.gc;
    // Twice: the first pass may only finalise objects the second one frees.
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    const report: MemoryReport = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
    process.stdout.write(`BENCH_MEM ${JSON.stringify({ ...report, gc: gc !== undefined })}\n`);
    if (snapshots !== undefined) writeHeapSnapshot(join(snapshots, `${++probes}.heapsnapshot`));
  });
}

/** Stops on SIGTERM/SIGINT after `stop` settles (or 5 s). */
export function stopOnSignals(stop: () => Promise<void> | void): void {
  const end = (): void => {
    setTimeout(() => process.exit(0), 5_000).unref();
    Promise.resolve(stop()).finally(() => process.exit(0));
  };
  process.once('SIGTERM', end);
  process.once('SIGINT', end);
}
