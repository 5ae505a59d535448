// The cluster scenario's engines: a throwaway redis-server and PostgreSQL (initdb + pg_ctl on
// a temporary directory and a free port, as the tests start theirs), both pinned to the server
// core like the peers, with their process ids so their CPU is counted with the servers'.

import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../test/support/process.js';
import { pinning, SERVER_CORE } from './proc.js';

const run = promisify(execFile);
const PG_BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];
const READY_MS = 15_000;
/** The orchestrator runs on the client core and children inherit it: engines are moved to the server core. */
const pinned = (argv: string[]): string[] => (pinning.available ? ['taskset', '-c', SERVER_CORE, ...argv] : argv);

export interface Engine {
  readonly url: string;
  /** Every process of the engine now (PostgreSQL: the postmaster and its children). */
  pids(): number[];
  stop(): Promise<void>;
}

/** A redis-server with no persistence, on its own port and directory. */
export async function startRedisEngine(): Promise<Engine> {
  const bin = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
  if (spawnSync(bin, ['--version']).status !== 0) throw new Error(`${bin} not found (Debian's redis-server package)`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'beacon-bench-redis-'));
  const [cmd = bin, ...args] = pinned([bin, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server not ready in ${READY_MS} ms: ${out.slice(-500)}`)), READY_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}) before ready: ${out.slice(-500)}`));
    });
  });
  const pid = child.pid as number; // taskset execs redis-server in place: same pid
  // A bench stopped by Ctrl-C (process.exit) leaves no server behind.
  const onExit = (): void => void child.kill('SIGKILL');
  process.once('exit', onExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    pids: () => [pid],
    async stop() {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A throwaway PostgreSQL (trust authentication, user `beacon`, fsync on as in production). */
export async function startPostgresEngine(): Promise<Engine> {
  const binDir = PG_BIN_DIRS.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  if (binDir === undefined) throw new Error(`PostgreSQL binaries not found in ${PG_BIN_DIRS.join(', ')} (Debian's postgresql package)`);
  // PostgreSQL refuses to run as root: as root, its commands run as the postgres user.
  const asRoot = process.getuid?.() === 0;
  const pgArgv = (bin: string, args: string[]): string[] => (asRoot ? ['runuser', '-u', 'postgres', '--', join(binDir, bin), ...args] : [join(binDir, bin), ...args]);
  const exec = async (argv: string[]): Promise<void> => {
    const [cmd = '', ...args] = argv;
    await run(cmd, args, { timeout: 60_000 });
  };
  const dir = mkdtempSync(join(tmpdir(), 'beacon-bench-pg-'));
  const data = join(dir, 'pg');
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(dir, uid, gid);
  }
  await exec(pgArgv('initdb', ['-D', data, '-A', 'trust', '-U', 'beacon', '--no-sync', '-E', 'UTF8']));
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  await exec(pinned(pgArgv('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start'])));
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const onExit = (): void => {
    const [cmd = '', ...args] = pgArgv('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    try {
      execFileSync(cmd, args, { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  };
  process.once('exit', onExit);
  return {
    url: `postgres://beacon@127.0.0.1:${port}/postgres`,
    pids: () => [postmaster, ...childrenOf(postmaster)],
    async stop() {
      process.off('exit', onExit);
      try {
        await exec(pgArgv('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']));
      } catch {
        // Already gone: the directory goes anyway.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Processes whose parent is `pid` (PostgreSQL's backends and auxiliary processes). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}
