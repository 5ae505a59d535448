// Runs Beacon as a real child process (`node --import tsx src/main.ts`: npm start's server,
// from source), for restart, kill -9, signal and start-up error tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface BeaconProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

/** Runs `node --import tsx src/main.ts` (what `npm start` runs compiled, from source). */
export function spawnBeacon(env: Record<string, string>): BeaconProcess {
  return spawnCommand(['node', '--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env });
}

/** Runs an argv (`node` means this Node.js) with only PATH and `env`, optionally as another user. */
export function spawnCommand(
  argv: readonly string[],
  options: { cwd: string; env: Record<string, string>; uid?: number; gid?: number },
): BeaconProcess {
  const [command = '', ...args] = argv;
  const child = spawn(command === 'node' ? process.execPath : command, args, {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves when the process logs "beacon ready" on stdout (LOG_STDOUT=1); rejects if it exits first. */
export function ready(p: BeaconProcess, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in ${timeoutMs} ms: ${p.stderr()}`)), timeoutMs);
    const check = (): void => {
      if (p.stdout().includes('"msg":"beacon ready"')) {
        clearTimeout(timer);
        p.child.stdout?.off('data', check);
        resolve();
      }
    };
    p.child.stdout?.on('data', check);
    void p.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before ready: ${p.stderr()}`));
    });
    check();
  });
}
