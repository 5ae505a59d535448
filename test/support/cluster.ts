// A Beacon cluster for the cluster tests: one throwaway PostgreSQL and one redis-server per
// test file, N nodes on them (same DATABASE_URL, REDIS_URL and JWT key, their own NODE_ID,
// DATA_DIR and private loopback address), in-process through startBeacon, or as child
// processes where a test needs SIGKILL. dispose() stops everything it started.

import { rmSync } from 'node:fs';
import pg from 'pg';
import { startBeacon, type Beacon } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { call, tempDir, testEnv, type Response } from './beacon.js';
import { pgMissing, startPostgres, type TestPostgres } from './postgres.js';
import { freePort, ready, spawnBeacon, type BeaconProcess } from './process.js';
import { redisSkipReason, startRedis, type RedisServer } from './redis.js';
import { CHEAP_HASHES, loopbackHost } from '../security/support.js';

export const ADMIN_KEY = 'cluster-admin-api-key-for-the-tests-0123456789';

/** Why the cluster tests cannot run here (for `{ skip }`), or false. */
export const clusterSkip: string | false = pgMissing || (redisSkipReason() ?? false);

export interface ClusterNode {
  readonly id: string;
  /** http://host:port of the node's plain HTTP (and ws) listener. */
  readonly http: string;
  readonly dir: string;
  /** The in-process server, for nodes started with startBeacon. */
  readonly beacon: Beacon | undefined;
  /** The child process, for nodes started with `process: true`. */
  readonly proc: BeaconProcess | undefined;
  /** Graceful stop (SIGTERM for a child). Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL of a child node; resolves once it is gone. */
  kill(): Promise<void>;
}

export interface Cluster {
  readonly pg: TestPostgres;
  readonly redis: RedisServer;
  readonly databaseUrl: string;
  readonly nodes: ClusterNode[];
  /** Starts one more node on the cluster's engines. */
  startNode(options?: NodeOptions): Promise<ClusterNode>;
  dispose(): Promise<void>;
}

export interface NodeOptions {
  id?: string;
  /** A child process (`node --import tsx src/main.ts`) instead of an in-process server. */
  process?: boolean;
  env?: Record<string, string>;
}

export async function startCluster(options: { nodes: number; env?: Record<string, string>; process?: boolean }): Promise<Cluster> {
  const pg = await startPostgres();
  let redis: RedisServer | undefined;
  try {
    redis = await startRedis();
  } catch (err) {
    await pg.dispose();
    throw err;
  }
  const databaseUrl = await pg.createDatabase();
  const nodes: ClusterNode[] = [];
  const dirs: string[] = [];
  let count = 0;
  const engines = redis;

  const startNode = async (node: NodeOptions = {}): Promise<ClusterNode> => {
    const id = node.id ?? `node-${String.fromCharCode(97 + count)}`;
    count++;
    const dir = tempDir(`beacon-cluster-${id}-`);
    dirs.push(dir);
    const host = loopbackHost();
    const extra = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: engines.url,
      NODE_ID: id,
      ADMIN_API_KEY: ADMIN_KEY,
      HOST: host,
      ...options.env,
      ...node.env,
    };
    const started = node.process ?? options.process ?? false ? await childNode(id, dir, host, extra) : await inProcessNode(id, dir, host, extra);
    nodes.push(started);
    return started;
  };

  for (let i = 0; i < options.nodes; i++) await startNode();
  let disposed = false;
  return {
    pg,
    redis: engines,
    databaseUrl,
    nodes,
    startNode,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.allSettled(nodes.map((n) => n.stop()));
      await Promise.allSettled([engines.dispose(), pg.dispose()]);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function inProcessNode(id: string, dir: string, host: string, extra: Record<string, string>): Promise<ClusterNode> {
  const beacon = await startBeacon({ config: loadConfig(testEnv(dir, extra)), ephemeralPorts: true, hasher: CHEAP_HASHES });
  let stopped: Promise<void> | undefined;
  return {
    id,
    http: `http://${host}:${beacon.httpPort}`,
    dir,
    beacon,
    proc: undefined,
    stop: () => (stopped ??= beacon.stop('test')),
    kill: () => Promise.reject(new Error(`${id} runs in-process: start it with process: true to SIGKILL it`)),
  };
}

async function childNode(id: string, dir: string, host: string, extra: Record<string, string>): Promise<ClusterNode> {
  const port = await freePort();
  const env = testEnv(dir, { ...extra, HTTP_PORT: String(port), HTTPS_PORT: '0', LOG_STDOUT: '1' });
  const proc = spawnBeacon(env);
  await ready(proc, 60_000);
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
    await proc.exited;
  };
  return { id, http: `http://${host}:${port}`, dir, beacon: undefined, proc, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/**
 * Waits until `expected` LISTEN connections are up (one per node: a killed one comes back
 * after a retry delay), then terminates them and waits until the backends are gone: a
 * commit made right after reaches no node by notification, only by a node's own catch-up.
 * Resolves with how many were killed.
 */
export async function killListeners(databaseUrl: string, expected: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  const listeners = "FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database() AND pid <> pg_backend_pid()";
  await client.connect();
  try {
    await eventually(`${expected} LISTEN connections up`, 5_000, async () => {
      const up = await client.query<{ n: number }>(`SELECT count(*)::int AS n ${listeners}`);
      return (up.rows[0]?.n ?? 0) >= expected ? true : undefined;
    });
    const killed = await client.query<{ n: number }>(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))::int AS n ${listeners}`);
    return killed.rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

/** An admin API call with the cluster's key. */
export function admin(method: string, url: string, body?: unknown): Promise<Response> {
  return call(method, url, { headers: { 'x-api-key': ADMIN_KEY }, ...(body === undefined ? {} : { body }) });
}

/**
 * Polls `probe` until it holds, for states that raise no event a test can await (an HTTP
 * status, a node's log position); rejects naming `what` after `ms`.
 */
export async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined, everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${last === undefined ? '' : ` (last error: ${String(last)})`}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Waits a fixed window: only to show that something does NOT happen (a second `offline`,
 * a duplicate publication), which no event can signal.
 */
export function quietFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The p-th percentile (0..100) of samples, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}
