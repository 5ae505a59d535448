// Scenario 10 (`cluster`): starts each server group, measures it, stops it. Beacon on three
// nodes (one throwaway PostgreSQL and redis-server started here), the same work on one
// embedded Beacon node, and Socket.IO 4 on three nodes with @socket.io/redis-adapter.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startPostgresEngine, startRedisEngine, type Engine } from '../lib/engines.js';
import { registerBenchPids } from '../lib/load.js';
import { forEach, startPeer, type Peer, type PeerKind } from '../lib/peers.js';
import { clusterFanout, crossNodeRevocation, type ClusterFanoutFigures, type RevocationFigures, type ServerGroup } from './cluster.js';
import { closeAllConns, openSpread, type Ctx } from './context.js';

export type ClusterSetup = 'beacon3' | 'beacon1' | 'socketio3';

export const CLUSTER_LABELS: Record<ClusterSetup, string> = {
  beacon3: 'Beacon, 3 nodes (PostgreSQL + Redis)',
  beacon1: 'Beacon, 1 node (embedded)',
  socketio3: 'Socket.IO 4, 3 nodes (@socket.io/redis-adapter)',
};

export interface ClusterSetupResults {
  label: string;
  fanout: ClusterFanoutFigures[];
  revocation?: RevocationFigures;
  errors: string[];
}

export type ClusterResults = Partial<Record<ClusterSetup, ClusterSetupResults>>;

const REVOKE_USERS = 4;
const PASSWORD = 'bench-password-123';

interface Started {
  group: ServerGroup;
  revokeUsers: Array<{ username: string; password: string }>;
}

async function startGroup(setup: ClusterSetup, ctx: Ctx, dataDir: string, track: (p: Peer) => void, engines: Engine[]): Promise<Started> {
  const secret = randomBytes(36).toString('base64url');
  const users = ctx.opts.users;
  if (setup === 'beacon1') {
    const node = await startPeer('beacon', { users, stormUsers: 0, dataDir: join(dataDir, 'one') });
    track(node);
    return { group: { nodes: [node], engines: [] }, revokeUsers: [] };
  }
  const redis = await startRedisEngine();
  engines.push(redis);
  const kind: PeerKind = setup === 'beacon3' ? 'beacon' : 'socketio';
  const group: ServerGroup = { nodes: [], engines: [{ name: 'redis', engine: redis }] };
  let env: NodeJS.ProcessEnv = { BENCH_REDIS_URL: redis.url };
  if (setup === 'beacon3') {
    const pg = await startPostgresEngine();
    engines.push(pg);
    group.engines.push({ name: 'postgres', engine: pg });
    env = { DATABASE_URL: pg.url, REDIS_URL: redis.url };
  }
  // Node A seeds the users (Beacon: in the shared log); the others accept the same tokens.
  for (let i = 0; i < 3; i++) {
    const node = await startPeer(kind, { users: i === 0 || kind === 'socketio' ? users : 0, stormUsers: 0, dataDir: join(dataDir, `node${i}`), secret, env: { ...env, NODE_ID: `bench-${i}` } });
    track(node);
    group.nodes.push(node);
  }
  const a = group.nodes[0] as Peer;
  for (const n of group.nodes.slice(1)) n.creds = a.creds;
  const revokeUsers = setup === 'beacon3' ? Array.from({ length: REVOKE_USERS }, (_, i) => ({ username: `revoke${i}`, password: PASSWORD })) : [];
  await forEach(revokeUsers, 2, async (u) => {
    const res = await fetch(`${a.httpBase}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(u) });
    if (res.status !== 201) throw new Error(`/register ${u.username} on node A: ${res.status} ${await res.text()}`);
  });
  return { group, revokeUsers };
}

/** Runs every setup the peers allow (`beacon`: 3 nodes and 1; `socketio`: 3 nodes) and fills `out`. */
export async function runCluster(ctx: Ctx, dataDir: string, peers: readonly PeerKind[], out: ClusterResults, track: (p: Peer) => void, untrack: (p: Peer) => void): Promise<void> {
  const setups: ClusterSetup[] = [...(peers.includes('beacon') ? (['beacon3', 'beacon1'] as const) : []), ...(peers.includes('socketio') ? (['socketio3'] as const) : [])];
  for (const setup of setups) {
    const res: ClusterSetupResults = { label: CLUSTER_LABELS[setup], fanout: [], errors: [] };
    out[setup] = res;
    const step = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
      ctx.log(`  ${name}`);
      try {
        return await fn();
      } catch (err) {
        const msg = `${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
        res.errors.push(msg);
        ctx.log(`    FAILED ${msg}`);
        await closeAllConns(ctx).catch(() => undefined);
        return undefined;
      }
    };
    ctx.log(`${res.label}: starting`);
    const engines: Engine[] = [];
    const nodes: Peer[] = [];
    // PostgreSQL daemonises out of the bench's process tree: its CPU is the bench's, not other load.
    const unregister = registerBenchPids(() => engines.flatMap((e) => e.pids()));
    try {
      const started = await step('start', () => startGroup(setup, ctx, join(dataDir, `cluster-${setup}`), (p) => (track(p), nodes.push(p)), engines));
      if (started === undefined) continue;
      const { group } = started;
      let open = 0;
      // The embedded node is the reference beside the clusters: measured at the first size only,
      // which keeps a full run within its 30 minutes.
      const sizes = setup === 'beacon1' ? ctx.opts.clusterSizes.slice(0, 1) : ctx.opts.clusterSizes;
      for (const n of sizes) {
        const f = await step(`cluster fan-out to ${n} subscribers over ${group.nodes.length} node(s)`, async () => {
          // Spread evenly: each node gets its share of what is still missing.
          const missing = n - open;
          for (const [i, node] of group.nodes.entries()) {
            const share = Math.floor(missing / group.nodes.length) + (i < missing % group.nodes.length ? 1 : 0);
            const o = await openSpread(ctx, node.target, node.creds, share);
            open += o.opened;
            if (o.failed > 0) throw new Error(`${o.failed} connections to node ${String.fromCharCode(65 + i)} failed to open (${o.firstError})`);
          }
          return clusterFanout(ctx, group, n);
        });
        if (f !== undefined) res.fanout.push(f);
        else open = 0; // the failed step closed every connection
      }
      await closeAllConns(ctx);
      if (setup === 'beacon3') {
        await new Promise((r) => setTimeout(r, 1_000)); // the leave/offline pushes of those closes settle first
        res.revocation = await step(`revocation across nodes (${ctx.opts.revocationRounds} logouts on node A, sockets on B and C)`, () =>
          crossNodeRevocation(ctx, group, started.revokeUsers, ctx.opts.revocationRounds),
        );
      }
    } finally {
      await closeAllConns(ctx).catch(() => undefined);
      await Promise.all(nodes.map(async (p) => (await p.proc.stop(), untrack(p))));
      await Promise.all(engines.map((e) => e.stop().catch(() => undefined)));
      unregister();
    }
  }
}
