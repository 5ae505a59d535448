// Test harness: a real Beacon (real SQLite file, real uWS on ephemeral ports) in a fresh
// temporary directory, plus a tiny HTTP client that accepts the self-signed certificate.

import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBeacon, type Beacon, type BeaconOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import type { Clock } from '../../src/clock.js';

export const TEST_SECRET = 'test-secret-key-that-is-long-enough-0123456789';

export interface TestBeacon {
  beacon: Beacon;
  dir: string;
  http: string;
  https: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'beacon-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function testEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATA_DIR: join(dir, 'data'),
    LOG_DIR: join(dir, 'logs'),
    LOG_STDOUT: '0',
    LOG_LEVEL: 'info',
    JWT_SECRET_KEY: TEST_SECRET,
    HOST: '127.0.0.1',
    HASH_WORKERS: '1',
    ...extra,
  };
}

export async function startTestBeacon(
  options: { dir?: string; env?: Record<string, string>; clock?: Clock } & Partial<Omit<BeaconOptions, 'config'>> = {},
): Promise<TestBeacon> {
  const dir = options.dir ?? tempDir();
  const env = testEnv(dir, options.env);
  const beacon = await startBeacon({ ...options, config: loadConfig(env), ephemeralPorts: true });
  return {
    beacon,
    dir,
    env,
    http: `http://127.0.0.1:${beacon.httpPort}`,
    https: `https://127.0.0.1:${beacon.httpsPort}`,
    stop: () => beacon.stop('test'),
  };
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

export function call(
  method: string,
  url: string,
  options: { body?: unknown; raw?: string | Buffer; token?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | Buffer | undefined = options.raw;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (payload !== undefined) headers['content-length'] ??= String(Buffer.byteLength(payload));
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method, headers, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Registers and logs in a user; returns the token and id. */
export async function registerAndLogin(base: string, username: string, password = 'correct horse battery'): Promise<{ token: string; userId: number }> {
  const reg = await call('POST', `${base}/register`, { body: { username, password } });
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${reg.text}`);
  const login = await call('POST', `${base}/login-token`, { body: { username, password } });
  if (login.status !== 200) throw new Error(`login ${username}: ${login.status} ${login.text}`);
  return { token: login.json.token, userId: login.json.user.user_id };
}

export function readLogs(dir: string): Record<'app' | 'auth' | 'websocket', string> {
  const read = (name: string): string => {
    try {
      return readFileSync(join(dir, 'logs', `${name}.log`), 'utf8');
    } catch {
      return '';
    }
  };
  return { app: read('app'), auth: read('auth'), websocket: read('websocket') };
}

/** A clock tests move by hand. */
export function manualClock(start = Date.now()): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
    set(ms) {
      now = ms;
    },
  };
}
