// Machine load from /proc: the CPU used by processes other than the bench (the orchestrator,
// its workers, the peers, and the engines it registers), sampled while the run goes on, so
// the report can say how busy the machine was and call a run "quiet" only when it was.

import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** Other processes' CPU, in cores, under which a scenario (and a run) is called quiet. */
export const QUIET_CORES = 0.05;
const SAMPLE_MS = 500;
/** The look before anything of the bench starts (apart from peers' `start` steps). */
const BEFORE_RUN = '(before the run)';
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

export interface LoadFigure {
  /** Mean and peak (over one sample) of other processes' CPU, in cores. */
  mean: number;
  peak: number;
  seconds: number;
}
export interface LoadReport {
  threshold: number;
  atStart?: LoadFigure;
  /** By scenario, over every peer and repetition. */
  byScenario: Record<string, LoadFigure>;
  quiet: boolean;
}

/**
 * Busy jiffies of the whole machine: user, nice, system and steal (a hypervisor's other guests).
 * Interrupt time (irq, softirq) is left out: no process is charged for it, and on this bench it
 * is mostly the bench's own loopback traffic (over 10% of a core while sockets open).
 */
function machineBusy(): number {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[7] ?? 0);
}

/** pid -> (parent, utime + stime) for every process. */
function processes(): Map<number, { ppid: number; jiffies: number }> {
  const out = new Map<number, { ppid: number; jiffies: number }>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(e), { ppid: Number(f[1]), jiffies: Number(f[11]) + Number(f[12]) });
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

/** Roots besides this process (PostgreSQL daemonises away from the bench's tree). */
const extraRoots = new Set<() => number[]>();
export function registerBenchPids(source: () => number[]): () => void {
  extraRoots.add(source);
  return () => void extraRoots.delete(source);
}

export class LoadMonitor {
  private timer: NodeJS.Timeout | undefined;
  private lastBusy = machineBusy();
  private lastAt = Date.now();
  /** Bench processes' jiffies at the last sample: a process seen for the first time started at 0. */
  private seen = new Map<number, number>();
  private current: string | undefined;
  private readonly acc = new Map<string, { coreMs: number; ms: number; peak: number }>();

  start(): void {
    this.seen = this.benchJiffies(new Map());
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** Samples from now on count towards `scenario` (undefined: towards none). */
  during(scenario: string | undefined): void {
    this.sample();
    this.current = scenario;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.sample();
  }

  private benchJiffies(prev: Map<number, number>): Map<number, number> {
    const procs = processes();
    const roots = [process.pid, ...[...extraRoots].flatMap((f) => f())];
    const bench = new Set(roots.filter((p) => procs.has(p)));
    // Descendants of the roots, to any depth (peers behind sh/taskset, PostgreSQL backends).
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, p] of procs) if (!bench.has(pid) && bench.has(p.ppid)) (bench.add(pid), (grew = true));
    }
    const now = new Map<number, number>();
    for (const pid of bench) now.set(pid, procs.get(pid)?.jiffies ?? prev.get(pid) ?? 0);
    return now;
  }

  private sample(): void {
    const busy = machineBusy();
    const at = Date.now();
    const now = this.benchJiffies(this.seen);
    let own = 0;
    for (const [pid, j] of now) own += j - (this.seen.get(pid) ?? 0);
    const ms = at - this.lastAt;
    const cores = ms <= 0 ? 0 : Math.max(0, (busy - this.lastBusy - own) / CLK_TCK / (ms / 1000));
    if (this.current !== undefined && ms > 0) {
      const a = this.acc.get(this.current) ?? { coreMs: 0, ms: 0, peak: 0 };
      a.coreMs += cores * ms;
      a.ms += ms;
      // Jiffies are 10 ms: a shorter sample's rate is noise, not a peak.
      if (ms >= SAMPLE_MS / 2) a.peak = Math.max(a.peak, cores);
      this.acc.set(this.current, a);
    }
    this.seen = now;
    this.lastBusy = busy;
    this.lastAt = at;
  }

  /** Other processes' CPU over one quiet look before anything starts. */
  async measureStart(ms: number): Promise<void> {
    this.during(BEFORE_RUN);
    await new Promise((r) => setTimeout(r, ms));
    this.during(undefined);
  }

  report(): LoadReport {
    const byScenario: Record<string, LoadFigure> = {};
    let atStart: LoadFigure | undefined;
    for (const [name, a] of this.acc) {
      const f: LoadFigure = { mean: a.coreMs / Math.max(1, a.ms), peak: a.peak, seconds: a.ms / 1000 };
      if (name === BEFORE_RUN) atStart = f;
      else byScenario[name] = f;
    }
    const all = [...Object.values(byScenario), ...(atStart === undefined ? [] : [atStart])];
    return { threshold: QUIET_CORES, ...(atStart === undefined ? {} : { atStart }), byScenario, quiet: all.length > 0 && all.every((f) => f.mean < QUIET_CORES) };
  }
}
