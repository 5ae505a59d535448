// Starting the peers (Beacon, Socket.IO, raw uWS) pinned to the server core, and the
// credentials each one accepts: Beacon's come from real /register + /login-token calls,
// the Socket.IO peer's are HS256 JWTs of the same shape signed with its bench key.

import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Cred, Target } from '../loadgen/messages.js';
import { launchNode, SERVER_CORE, type NodeChild } from './proc.js';

export type PeerKind = 'beacon' | 'socketio' | 'uws';

export const PEER_LABELS: Record<PeerKind | 'beacon-tls', string> = {
  beacon: 'Beacon',
  'beacon-tls': 'Beacon (TLS)',
  socketio: 'Socket.IO 4',
  uws: 'raw uWS.js',
};

export interface Peer {
  kind: PeerKind;
  proc: NodeChild;
  target: Target;
  /** wss:// target (Beacon only). */
  tlsTarget?: Target;
  httpBase: string;
  creds: Cred[];
  /** Users kept apart from `creds` for the login storm (Beacon only). */
  stormUsers: Array<{ username: string; password: string }>;
}

const SCRIPTS: Record<PeerKind, string> = {
  beacon: 'bench/peers/beacon.ts',
  socketio: 'bench/peers/socketio.ts',
  uws: 'bench/peers/uws.ts',
};
const PASSWORD = 'bench-password-123';

export interface PeerSetup {
  users: number;
  stormUsers: number;
  dataDir: string;
  /** Extra node flags for this peer (`--cpu-prof ...`). */
  nodeArgs?: string[];
  /** Extra environment (Beacon's CHANNELS_FILE for the history scenario, cluster URLs). */
  env?: NodeJS.ProcessEnv;
  /** The JWT key, when several nodes must accept the same tokens (the cluster scenario). */
  secret?: string;
}

export async function startPeer(kind: PeerKind, setup: PeerSetup): Promise<Peer> {
  const secret = setup.secret ?? randomBytes(36).toString('base64url');
  const env: NodeJS.ProcessEnv =
    kind === 'beacon'
      ? {
          NODE_ENV: 'production',
          HOST: '127.0.0.1',
          DATA_DIR: `${setup.dataDir}/data`,
          LOG_DIR: `${setup.dataDir}/logs`,
          LOG_STDOUT: '0',
          LOG_LEVEL: 'info',
          JWT_SECRET_KEY: secret,
        }
      : { NODE_ENV: 'production', BENCH_JWT_SECRET: secret };
  const proc = launchNode(SCRIPTS[kind], { core: SERVER_CORE, env: { ...env, ...setup.env }, nodeArgs: ['--expose-gc', ...(setup.nodeArgs ?? [])] });
  const ports = await proc.next<{ http: number; https?: number }>('READY', 60_000);
  const httpBase = `http://127.0.0.1:${ports.http}`;
  const target: Target = { base: `ws://127.0.0.1:${ports.http}`, codec: kind === 'socketio' ? 'sio' : 'json' };
  const peer: Peer = { kind, proc, target, httpBase, creds: [], stormUsers: [] };
  if (ports.https !== undefined) peer.tlsTarget = { base: `wss://127.0.0.1:${ports.https}`, codec: 'json' };
  if (kind === 'beacon') {
    peer.creds = await seedBeacon(httpBase, 'bench', setup.users);
    peer.stormUsers = Array.from({ length: setup.stormUsers }, (_, i) => ({ username: `storm${i}`, password: PASSWORD }));
    await forEach(peer.stormUsers, 4, (u) => post(httpBase, '/register', u, 201));
  } else if (kind === 'socketio') {
    peer.creds = await Promise.all(Array.from({ length: setup.users }, (_, i) => mint(secret, i + 1, `bench${i}`)));
  } else {
    peer.creds = Array.from({ length: setup.users }, (_, i) => ({ token: 'none', username: `bench${i}` }));
  }
  return peer;
}

async function post(base: string, path: string, body: unknown, expect: number): Promise<any> {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json: unknown = await res.json();
  if (res.status !== expect) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export async function forEach<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

/** Registers and logs in `count` users; the tokens are the ones Beacon issued. */
async function seedBeacon(base: string, prefix: string, count: number): Promise<Cred[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const creds: Cred[] = [];
  await forEach(names, 4, async (username) => {
    await post(base, '/register', { username, password: PASSWORD }, 201);
    const login = (await post(base, '/login-token', { username, password: PASSWORD }, 200)) as { token: string };
    creds.push({ token: login.token, username });
  });
  return creds;
}

/** One login through Beacon's hash pool; resolves with the HTTP status. */
export async function login(base: string, user: { username: string; password: string }): Promise<number> {
  const res = await fetch(base + '/login-token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
  });
  await res.arrayBuffer();
  return res.status;
}

function mint(secret: string, userId: number, username: string): Promise<Cred> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ username, user_id: userId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(userId))
    .setIssuedAt(iat)
    .setExpirationTime(iat + 86_400)
    .setJti(randomBytes(12).toString('base64url'))
    .sign(new TextEncoder().encode(secret))
    .then((token) => ({ token, username }));
}
