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
  /** Kernel threads' CPU meanwhile, in cores (mostly the bench's own softirq and I/O work). */
  kernel?: number;
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

/**
 * pid -> (parent, utime + stime + cutime + cstime) for every process. The reaped children's
 * time counts: a bench process that exits between two samples (the event-log child, a
 * stopped peer, `taskset`) hands its last jiffies to its parent instead of losing them to
 * "other processes".
 */
function processes(): Map<number, { ppid: number; jiffies: number }> {
  const out = new Map<number, { ppid: number; jiffies: number }>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(e), { ppid: Number(f[1]), jiffies: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

/** The kernel's own threads: kthreadd (pid 2) and its children (ksoftirqd, kworkers, jbd2 ...). */
const KTHREADD = 2;

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
  /** Bench processes' jiffies (and parent) at the last sample: a process seen for the first time started at 0. */
  private seen = new Map<number, { jiffies: number; ppid: number }>();
  /** Kernel threads' jiffies at the last sample. */
  private lastKernel = 0;
  private current: string | undefined;
  private readonly acc = new Map<string, { coreMs: number; ms: number; peak: number; kernelMs: number }>();

  start(): void {
    const first = this.benchJiffies(new Map());
    this.seen = first.bench;
    this.lastKernel = first.kernel;
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

  private benchJiffies(prev: Map<number, { jiffies: number; ppid: number }>): { bench: Map<number, { jiffies: number; ppid: number }>; kernel: number } {
    const procs = processes();
    const roots = [process.pid, ...[...extraRoots].flatMap((f) => f())];
    const bench = new Set(roots.filter((p) => procs.has(p)));
    // Descendants of the roots, to any depth (peers behind sh/taskset, PostgreSQL backends).
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, p] of procs) if (!bench.has(pid) && bench.has(p.ppid)) (bench.add(pid), (grew = true));
    }
    const now = new Map<number, { jiffies: number; ppid: number }>();
    for (const pid of bench) {
      const p = procs.get(pid);
      now.set(pid, { jiffies: p?.jiffies ?? prev.get(pid)?.jiffies ?? 0, ppid: p?.ppid ?? 0 });
    }
    let kernel = 0;
    for (const [pid, p] of procs) if (pid === KTHREADD || p.ppid === KTHREADD) kernel += p.jiffies;
    return { bench: now, kernel };
  }

  private sample(): void {
    const busy = machineBusy();
    const at = Date.now();
    const { bench: now, kernel } = this.benchJiffies(this.seen);
    let own = 0;
    for (const [pid, p] of now) own += p.jiffies - (this.seen.get(pid)?.jiffies ?? 0);
    // A bench process gone since the last sample: its parent's cutime took all of its time,
    // of which the part seen before was counted already.
    for (const [pid, p] of this.seen) if (!now.has(pid) && now.has(p.ppid)) own -= p.jiffies;
    // Kernel threads (softirq for the bench's loopback traffic, I/O for its fsyncs) are
    // reported on their own, not as other processes'. A kernel thread that ended is not subtracted.
    const kernelJiffies = Math.max(0, kernel - this.lastKernel);
    const ms = at - this.lastAt;
    const cores = ms <= 0 ? 0 : Math.max(0, (busy - this.lastBusy - own - kernelJiffies) / CLK_TCK / (ms / 1000));
    const kernelCores = ms <= 0 ? 0 : kernelJiffies / CLK_TCK / (ms / 1000);
    if (this.current !== undefined && ms > 0) {
      const a = this.acc.get(this.current) ?? { coreMs: 0, ms: 0, peak: 0, kernelMs: 0 };
      a.coreMs += cores * ms;
      a.kernelMs += kernelCores * ms;
      a.ms += ms;
      // Jiffies are 10 ms: a shorter sample's rate is noise, not a peak.
      if (ms >= SAMPLE_MS / 2) a.peak = Math.max(a.peak, cores);
      this.acc.set(this.current, a);
    }
    this.seen = now;
    this.lastKernel = kernel;
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
      const f: LoadFigure = { mean: a.coreMs / Math.max(1, a.ms), peak: a.peak, seconds: a.ms / 1000, kernel: a.kernelMs / Math.max(1, a.ms) };
      if (name === BEFORE_RUN) atStart = f;
      else byScenario[name] = f;
    }
    const all = [...Object.values(byScenario), ...(atStart === undefined ? [] : [atStart])];
    return { threshold: QUIET_CORES, ...(atStart === undefined ? {} : { atStart }), byScenario, quiet: all.length > 0 && all.every((f) => f.mean < QUIET_CORES) };
  }
}
