// A throwaway PostgreSQL for the tests: initdb into a temp directory, pg_ctl on a free port,
// never a shared instance. stop() / kill() / restart() are for failure tests; databases()
// hands each test a fresh database of the same server.

import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './process.js';

const run = promisify(execFile);
const PG_BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];
const PG_USER = 'beacon';

export interface TestPostgres {
  /** postgres://beacon@127.0.0.1:PORT/postgres (trust authentication, no password). */
  readonly url: string;
  readonly port: number;
  /** A URL for a new, empty database on this server. */
  createDatabase(): Promise<string>;
  /** Fast shutdown (sessions terminated), data kept: restart() brings it back on the same port. */
  stop(): Promise<void>;
  /** SIGKILL of the postmaster: a crash, not a shutdown. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its directory. Idempotent. */
  dispose(): Promise<void>;
}

/** The directory holding initdb and pg_ctl, or undefined: then the suite skips with `pgMissing`. */
export const pgBinDir: string | undefined = PG_BIN_DIRS.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
export const pgMissing: string | false =
  pgBinDir === undefined ? `PostgreSQL binaries not found in ${PG_BIN_DIRS.join(', ')} (apt-get install postgresql)` : false;

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** PostgreSQL refuses to run as root: as root, commands run as the postgres user. */
async function pgCommand(bin: string, args: readonly string[]): Promise<void> {
  const dir = pgBinDir as string;
  const argv = asRoot ? ['-u', 'postgres', '--', join(dir, bin), ...args] : [...args];
  await run(asRoot ? 'runuser' : join(dir, bin), argv, { timeout: 60_000 });
}

export async function startPostgres(): Promise<TestPostgres> {
  if (pgBinDir === undefined) throw new Error(pgMissing || 'no PostgreSQL');
  const dir = mkdtempSync(join(tmpdir(), 'beacon-pg-'));
  const data = join(dir, 'pg');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await pgCommand('initdb', ['-D', data, '-A', 'trust', '-U', PG_USER, '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  // fsync stays on: the durability the binding promises is what the tests exercise.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100`;
  const start = () => pgCommand('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
  await start();
  // A test process that ends without dispose() (a failed before(), a timeout) leaves no server behind.
  const onExit = (): void => {
    if (!running) return;
    const argv = ['-D', data, '-m', 'immediate', 'stop'];
    try {
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', join(pgBinDir, 'pg_ctl'), ...argv], { stdio: 'ignore' });
      else execFileSync(join(pgBinDir, 'pg_ctl'), argv, { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  };
  process.once('exit', onExit);
  const url = `postgres://${PG_USER}@127.0.0.1:${port}/postgres`;
  let databases = 0;
  let running = true;
  let disposed = false;

  const stop = async (): Promise<void> => {
    if (!running) return;
    await pgCommand('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    running = false;
  };
  return {
    url,
    port,
    async createDatabase() {
      const name = `t${process.pid}_${++databases}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${PG_USER}@127.0.0.1:${port}/${name}`;
    },
    stop,
    async kill() {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      // The postmaster is gone at once; its backends notice and exit within moments.
      await new Promise<void>((resolve) => {
        const check = (): void => {
          try {
            process.kill(pid, 0);
            setTimeout(check, 20);
          } catch {
            resolve();
          }
        };
        check();
      });
      running = false;
    },
    async restart() {
      if (running) await stop();
      await start();
      running = true;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      try {
        await stop();
      } catch {
        // A killed server leaves a stale pid file: nothing to stop, the directory goes anyway.
      }
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
