// Scenario 10's measurements on a group of server nodes: channel fan-out with the subscribers
// spread over the nodes and one publisher on the first (publish-to-last-delivery p50/p99, a
// paced burst for deliveries per second and per server CPU-second, every process of the group
// counted), and the cross-node revocation-to-close time.

import { merge, summarize, type Latency } from '../lib/hist.js';
import type { Engine } from '../lib/engines.js';
import type { Peer } from '../lib/peers.js';
import { cpuSeconds, nowMs } from '../lib/proc.js';
import type { ChanCollectResult, ChanSendResult, ChanSubscribeResult, RevokeResult } from '../loadgen/messages.js';
import { FANOUT_CHANNEL } from './channels.js';
import { clientUtilisation, sleep, type Ctx } from './context.js';

/** One publication every 12 ms (~83/s): under Beacon's 100 frames/s per socket, whatever the server. */
export const PUBLISH_GAP_MS = 12;
const CLIENT_BOUND = 0.85;
/** Waits for deliveries: a burst may queue for long on a slow peer; a single publication should not. */
const BURST_TIMEOUT_MS = 60_000;
const SINGLE_TIMEOUT_MS = 5_000;

/** The servers under test: nodes (the first is node A, the publisher's) and the engines they share. */
export interface ServerGroup {
  nodes: Peer[];
  engines: Array<{ name: 'redis' | 'postgres'; engine: Engine }>;
}

export interface ClusterFanoutFigures {
  nodes: number;
  subscribers: number;
  subscribeSeconds: number;
  /** Time from one publish on node A to its last delivery on any node, ms, over `reps` publications. */
  last: Latency;
  publications: number;
  deliveries: number;
  deliveriesPerSecond: number;
  /** Per CPU-second of every server process: the nodes, Redis and PostgreSQL when the group has them. */
  deliveriesPerCpuSecond: number;
  /** CPU-seconds used in the burst, by process kind (`nodes`, `redis`, `postgres`). */
  cpuSeconds: Record<string, number>;
  serverCpu: number;
  clientCpu: number;
  lost: number;
  refused: number;
  firstRefusal?: string;
  clientBound: boolean;
}

/** CPU of every process of the group, read from /proc before and after; processes that start meanwhile count in full. */
function groupMeter(group: ServerGroup): { stop(): { total: number; byKind: Record<string, number>; wall: number } } {
  const read = (): Map<number, { kind: string; cpu: number }> => {
    const out = new Map<number, { kind: string; cpu: number }>();
    const add = (kind: string, pid: number): void => {
      try {
        out.set(pid, { kind, cpu: cpuSeconds(pid) });
      } catch {
        // Ended meanwhile.
      }
    };
    for (const n of group.nodes) add('nodes', n.proc.pid);
    for (const { name, engine } of group.engines) for (const pid of engine.pids()) add(name, pid);
    return out;
  };
  const before = read();
  const t0 = nowMs();
  return {
    stop() {
      const byKind: Record<string, number> = {};
      for (const [pid, { kind, cpu }] of read()) byKind[kind] = (byKind[kind] ?? 0) + cpu - (before.get(pid)?.cpu ?? 0);
      return { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind, wall: (nowMs() - t0) / 1000 };
    },
  };
}

let nextGroup = 2_000_000; // apart from the other scenarios' groups

interface Round {
  ms: number;
  received: number;
  expected: number;
  refused: number;
  firstRefusal: string | undefined;
  byServer: Map<string, { subscribers: number; received: number }>;
  clientCpu: number;
}

async function round(ctx: Ctx, from: string, burst: number, gapMs?: number): Promise<Round> {
  const group = nextGroup++;
  const timeoutMs = burst === 1 ? SINGLE_TIMEOUT_MS : BURST_TIMEOUT_MS;
  const collecting = ctx.workers.all<ChanCollectResult>((i) => ({ cmd: 'chanCollect', channel: FANOUT_CHANNEL, group, expectedPerConn: burst, expectedAcks: i === 0 ? burst : 0, timeoutMs }));
  const sent = await ctx.workers.call<ChanSendResult>(0, { cmd: 'chanSend', channel: FANOUT_CHANNEL, group, burst, perSender: burst, from, ...(gapMs === undefined ? {} : { gapMs }) });
  const rs = await collecting;
  const byServer = new Map<string, { subscribers: number; received: number }>();
  for (const s of rs.flatMap((r) => r.byServer)) {
    const e = byServer.get(s.base) ?? { subscribers: 0, received: 0 };
    byServer.set(s.base, { subscribers: e.subscribers + s.subscribers, received: e.received + s.received });
  }
  return {
    ms: Math.max(...rs.map((r) => r.last)) - sent.t0,
    received: rs.reduce((a, r) => a + r.received, 0),
    expected: rs.reduce((a, r) => a + r.expected, 0),
    refused: rs.reduce((a, r) => a + r.refused, 0),
    firstRefusal: rs.find((r) => r.firstRefusal !== undefined)?.firstRefusal,
    byServer,
    clientCpu: clientUtilisation(rs),
  };
}

/** A publication on node A that misses every subscriber of another node means the nodes share no fan-out: no figure. */
function checkEveryNode(group: ServerGroup, r: Round): void {
  const names = new Map(group.nodes.map((n, i) => [n.target.base, `node ${String.fromCharCode(65 + i)}`]));
  const missed = [...r.byServer].filter(([, s]) => s.received === 0);
  if (r.firstRefusal !== undefined && r.received === 0) throw new Error(`publish on node A refused: ${r.firstRefusal}`);
  if (missed.length === 0) return;
  const detail = [...r.byServer].map(([base, s]) => `${names.get(base) ?? base} ${s.received} of ${s.subscribers}`).join(', ');
  throw new Error(`one publication on node A reached ${detail} subscribers: the nodes do not share fan-out (cluster mode not in this build?)`);
}

/** Subscribes every open connection (spread over the nodes by the caller), then measures. */
export async function clusterFanout(ctx: Ctx, group: ServerGroup, subscribers: number): Promise<ClusterFanoutFigures> {
  const { opts } = ctx;
  const w = ctx.workers.size;
  const from = (group.nodes[0] as Peer).target.base;
  const t0 = nowMs();
  const subs = await ctx.workers.all<ChanSubscribeResult>((i) => ({ cmd: 'chanSubscribe', channel: FANOUT_CHANNEL, count: Math.floor(subscribers / w) + (i < subscribers % w ? 1 : 0), concurrency: 64, timeoutMs: 15_000 }));
  const subscribeSeconds = (nowMs() - t0) / 1000;
  const total = subs.reduce((a, r) => a + r.subscribed, 0);
  ctx.log(`    ${total} subscribed to ${FANOUT_CHANNEL} over ${group.nodes.length} node(s) in ${subscribeSeconds.toFixed(1)} s`);
  await sleep(500); // join/presence pushes of the subscribe storm settle (across nodes too)

  checkEveryNode(group, await round(ctx, from, 1));
  let lost = 0;
  let refused = 0;
  let firstRefusal: string | undefined;
  const tally = (r: Round): void => {
    lost += r.expected - r.received;
    refused += r.refused;
    firstRefusal ??= r.firstRefusal;
  };
  const times: number[] = [];
  for (let i = 0; i < opts.clusterReps; i++) {
    const r = await round(ctx, from, 1);
    tally(r);
    times.push(r.ms);
    await sleep(20);
  }
  const publications = Math.ceil(opts.clusterDeliveries / total);
  const meter = groupMeter(group);
  const burst = await round(ctx, from, publications, PUBLISH_GAP_MS);
  const cpu = meter.stop();
  tally(burst);
  const byKind = Object.fromEntries(Object.entries(cpu.byKind).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
  return {
    nodes: group.nodes.length,
    subscribers: total,
    subscribeSeconds,
    last: latencyOf(times),
    publications,
    deliveries: burst.received,
    deliveriesPerSecond: burst.received / (burst.ms / 1000),
    deliveriesPerCpuSecond: burst.received / cpu.total,
    cpuSeconds: byKind,
    serverCpu: cpu.total / cpu.wall,
    clientCpu: burst.clientCpu,
    lost,
    refused,
    ...(firstRefusal === undefined ? {} : { firstRefusal }),
    clientBound: burst.clientCpu > CLIENT_BOUND,
  };
}

function latencyOf(times: number[]): Latency {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number): number => Math.round((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN) * 1000) / 1000;
  return { count: sorted.length, p50: at(50), p99: at(99), p999: at(99.9), max: at(100) };
}

export interface RevocationFigures {
  rounds: number;
  /** Logout request on node A to the close of the token's last socket on nodes B and C, ms. */
  close: Latency;
  /** The logout's own answer (committed to the log), ms; and from that answer to the last close. */
  logout: Latency;
  afterAnswer: Latency;
  /** Login answered on node A until nodes B and C accept the token, ms; and their refusals meanwhile. */
  accept: Latency;
  refusedOpens: number;
  closeCodes: Record<string, number>;
}

/** `rounds` logouts on node A, each closing one socket of that token on every other node. */
export async function crossNodeRevocation(ctx: Ctx, group: ServerGroup, users: Array<{ username: string; password: string }>, rounds: number): Promise<RevocationFigures> {
  const [a, ...others] = group.nodes;
  if (a === undefined || others.length === 0) throw new Error('revocation across nodes needs at least two nodes');
  const r = await ctx.workers.call<RevokeResult>(0, { cmd: 'revoke', loginBase: a.httpBase, watch: others.map((n) => n.target), users, rounds, timeoutMs: 5_000 });
  return { rounds: r.rounds, close: summarize(merge([r.hist])), logout: summarize(merge([r.logoutHist])), afterAnswer: summarize(merge([r.afterAnswerHist])), accept: summarize(merge([r.acceptHist])), refusedOpens: r.refusedOpens, closeCodes: r.closeCodes };
}
