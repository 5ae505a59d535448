// A throwaway redis-server for the Redis binding tests: its own free port and temporary
// directory, no persistence (a restart is a Redis that lost everything), stopped by the
// test. Never a shared instance. Tests skip with a clear reason when the binary is missing.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process.js';

export const REDIS_SERVER_BIN = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';

/** Why the Redis tests cannot run here (for `{ skip }`), or undefined when they can. */
export function redisSkipReason(): string | undefined {
  const probe = spawnSync(REDIS_SERVER_BIN, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    return `${REDIS_SERVER_BIN} not found (install Debian's redis-server package, as .ci/run does)`;
  }
  return undefined;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** SIGTERM and wait for the exit (nothing is saved: the data is gone). */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** A fresh, empty server on the same port (after stop/kill, or stopping it first). */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const child = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server not ready in ${READY_TIMEOUT_MS} ms: ${out}`));
    }, READY_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code ?? signal}) before ready: ${out}`));
    });
  });
}

function ended(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'beacon-redis-'));
  let child: ChildProcess | undefined = await launch(port, dir);
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    child = undefined;
    if (running !== undefined) await ended(running, signal);
  };
  const start = async (): Promise<void> => {
    if (child === undefined) child = await launch(port, dir);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    start,
    async restart() {
      await halt('SIGTERM');
      await start();
    },
    async dispose() {
      await halt('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
