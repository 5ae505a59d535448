// Run settings: the full run (`npm run bench`, 3 repetitions fitted under 30 minutes by
// lib/plan.ts) and the quick one (`-- --quick`, 1 repetition), plus `--reps=`, `--peers=`
// and `--only=` to narrow a run while developing.

import type { PeerKind } from './peers.js';

export const SCENARIOS = ['memory', 'handshake', 'echo', 'saturate', 'storm', 'connstorm', 'fanout', 'tls', 'eventlog', 'channels', 'history', 'cluster'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Options {
  quick: boolean;
  /** Repetitions: every scenario measured this many times, peers interleaved, fresh servers each time. */
  reps: number;
  peers: PeerKind[];
  scenarios: ReadonlySet<Scenario>;
  /** Load-generator processes (all on the client core; they spread sockets and ports). */
  workers: number;
  users: number;
  stormUsers: number;
  memConns: number;
  handshakeMs: number;
  handshakeConcurrency: number;
  echoConns: number;
  echoRates: number[];
  tlsRates: number[];
  stepMs: number;
  warmupMs: number;
  saturateMs: number;
  /** Beacon drops frames beyond 100/s per socket: the closed loop waits this long between sends. */
  saturateGapMs: number;
  /** Pings per write in the pipelined saturation run. */
  pipelineDepth: number;
  /** Connections for the pipelined run: Beacon's per-socket limit caps each at ~90 msg/s. */
  pipelineConns: number;
  fanoutSizes: number[];
  fanoutReps: number;
  /** Deliveries in the burst that measures deliveries per second and per server CPU-second. */
  fanoutDeliveries: number;
  /** Publisher connections in the publish-with-history loop (each under ~90 publishes/s). */
  historyConns: number;
  /** Publishes per write in that loop. */
  historyBatch: number;
  /** Cluster scenario: subscribers in all (spread over the nodes), single publications timed, burst size, revocations. */
  clusterSizes: number[];
  clusterReps: number;
  clusterDeliveries: number;
  revocationRounds: number;
  stormMs: number;
  stormEchoRate: number;
  eventlogMs: number;
  outDir: string;
  /** Run Beacon under `node --cpu-prof`, profiles written to this directory. */
  cpuProfDir: string | undefined;
  /** Every peer writes a heap snapshot into this directory at each memory probe (bench/tools/heapDiff.ts compares two). */
  heapSnapshotDir: string | undefined;
  /** Beacon writes its event-loop delay and GC pauses, one line a second, into this directory (bench/peers/diag.ts). */
  diagDir: string | undefined;
}

export function parseOptions(argv: readonly string[]): Options {
  const flag = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const quick = argv.includes('--quick');
  const peers = (flag('peers')?.split(',') ?? ['beacon', 'socketio', 'uws']) as PeerKind[];
  const only = flag('only')?.split(',') as Scenario[] | undefined;
  for (const s of only ?? []) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
  const reps = Number(flag('reps') ?? (quick ? 1 : 3));
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a whole number ≥ 1, not ${flag('reps')}`);
  return {
    quick,
    reps,
    peers,
    scenarios: new Set(only ?? SCENARIOS),
    workers: 2,
    users: quick ? 12 : 40,
    stormUsers: quick ? 4 : 8,
    memConns: Number(flag('mem-conns') ?? (quick ? 4_000 : 15_000)),
    handshakeMs: quick ? 2_000 : 8_000,
    handshakeConcurrency: 32,
    echoConns: 1_000,
    echoRates: quick ? [1_000, 5_000, 10_000, 20_000] : [1_000, 2_500, 5_000, 10_000, 15_000, 20_000, 30_000, 40_000, 60_000],
    tlsRates: quick ? [5_000] : [5_000, 20_000],
    stepMs: quick ? 2_000 : 8_000,
    warmupMs: quick ? 500 : 2_000,
    saturateMs: quick ? 2_000 : 8_000,
    saturateGapMs: 11,
    pipelineDepth: 8,
    pipelineConns: 3_000,
    fanoutSizes: [1_000, 5_000],
    fanoutReps: quick ? 5 : 15,
    fanoutDeliveries: quick ? 50_000 : 300_000,
    historyConns: 500,
    historyBatch: 8,
    clusterSizes: quick ? [3_000] : [3_000, 6_000],
    clusterReps: quick ? 30 : 50,
    clusterDeliveries: quick ? 100_000 : 200_000,
    revocationRounds: quick ? 50 : 100,
    stormMs: quick ? 3_000 : 8_000,
    stormEchoRate: 2_000,
    eventlogMs: quick ? 1_000 : 4_000,
    // Only a whole full run replaces the published results; a quick or narrowed one is kept beside them.
    outDir: flag('out') ?? (quick || reps < 3 || only !== undefined || flag('peers') !== undefined ? 'bench/results/quick' : 'bench/results'),
    cpuProfDir: flag('cpu-prof'),
    heapSnapshotDir: flag('heap-snapshots'),
    diagDir: flag('diag'),
  };
}
