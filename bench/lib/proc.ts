// Child processes of the bench: peers pinned to core 0 and load-generator workers to core 1
// (through taskset when it exists), readiness and reports as `BENCH_* {json}` stdout lines,
// and CPU time read from /proc/<pid>/stat so a server's cost is measured from outside.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { compiledScript } from './compile.js';

export const SERVER_CORE = '0';
export const CLIENT_CORE = '1';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
const cores = (() => {
  const out = spawnSync('nproc').stdout?.toString().trim();
  return Number(out) || 1;
})();

/** Whether server and load generator really run on separate cores. */
export const pinning = { available: hasTaskset && cores >= 2, cores };

/** The open-files limits children get (soft raised to hard). */
export function fileLimits(): { soft: number; hard: number } {
  const read = (flag: string): number => Number(spawnSync('sh', ['-c', `ulimit ${flag}`]).stdout?.toString().trim()) || 0;
  return { soft: read('-Sn'), hard: read('-Hn') };
}

/** Pins this process (the orchestrator) to the client core, so core 0 is the server's alone. */
export function pinSelf(): void {
  if (pinning.available) spawnSync('taskset', ['-a', '-p', '-c', CLIENT_CORE, String(process.pid)], { stdio: 'ignore' });
}

const hasSchedstat = existsSync('/proc/self/schedstat');

/**
 * CPU seconds a process has used, all its threads included: the per-thread schedstat run
 * times (nanoseconds) when the kernel has them, else utime + stime (10 ms ticks).
 */
export function cpuSeconds(pid: number): number {
  if (hasSchedstat) {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended between the listing and the read: its time is lost (threads here live long).
      }
    }
    return ns / 1e9;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds by thread name (main thread `node`, `libuv-worker`, `V8 DefaultWorke`, workers ...). */
export function cpuByThread(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      out[name] = (out[name] ?? 0) + ns / 1e9;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** Resident set size in bytes, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** A monotonic clock shared by every process on the machine (CLOCK_MONOTONIC), in ms. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface NodeChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the JSON of the next `BENCH_<tag> {...}` line. */
  next<T>(tag: string, timeoutMs?: number): Promise<T>;
  /** Recent stderr, for error messages. */
  stderr(): string;
  stop(): Promise<void>;
}

export function launchNode(
  script: string,
  opts: { core?: string; env?: NodeJS.ProcessEnv; ipc?: boolean; nodeArgs?: string[] } = {},
): NodeChild {
  // Compiled by compileBench() before the run (the orchestrator calls it first).
  const compiled = compiledScript(script);
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: the bench compiles itself before it starts children (lib/compile.ts)`);
  const nodeArgs = [...(opts.nodeArgs ?? []), compiled];
  const pinned = opts.core !== undefined && pinning.available;
  const command = pinned ? ['taskset', '-c', opts.core as string, process.execPath, ...nodeArgs] : [process.execPath, ...nodeArgs];
  // Raise the open-files soft limit to the hard one in the child (10,000 sockets need it).
  const child = spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...command], {
    env: { ...process.env, ...opts.env },
    stdio: opts.ipc === true ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`cannot start ${script}`);
  const waiters = new Map<string, Array<(json: unknown) => void>>();
  const backlog = new Map<string, unknown[]>();
  let errTail = '';
  let outBuf = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    outBuf += chunk;
    for (let nl = outBuf.indexOf('\n'); nl >= 0; nl = outBuf.indexOf('\n')) {
      const line = outBuf.slice(0, nl);
      outBuf = outBuf.slice(nl + 1);
      const m = /^BENCH_([A-Z]+) (.*)$/.exec(line);
      if (m === null) continue;
      const tag = m[1] as string;
      const json: unknown = JSON.parse(m[2] as string);
      const w = waiters.get(tag)?.shift();
      if (w !== undefined) w(json);
      else backlog.set(tag, [...(backlog.get(tag) ?? []), json]);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    errTail = (errTail + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid: child.pid,
    stderr: () => errTail,
    next<T>(tag: string, timeoutMs = 60_000): Promise<T> {
      const queued = backlog.get(tag);
      if (queued !== undefined && queued.length > 0) return Promise.resolve(queued.shift() as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script}: no BENCH_${tag} within ${timeoutMs} ms\n${errTail}`)), timeoutMs);
        const onExit = (): void => {
          clearTimeout(timer);
          reject(new Error(`${script} exited (${child.exitCode}) before BENCH_${tag}\n${errTail}`));
        };
        child.once('exit', onExit);
        const list = waiters.get(tag) ?? [];
        list.push((json) => {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve(json as T);
        });
        waiters.set(tag, list);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
