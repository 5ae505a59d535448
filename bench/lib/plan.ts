// The run's step list before it starts: every (repetition, peer, scenario) in the order run.ts
// takes them, each with an estimated duration from the options, so the run can print its
// length at the start, trim step lengths to fit the full run's budget, and say time left.

import type { Options, Scenario } from './options.js';
import { PEER_LABELS, type PeerKind } from './peers.js';

export interface PlannedStep {
  rep: number;
  /** Peer label or setup name, as the progress line shows it. */
  who: string;
  /** What the progress line names (`fanout 5000`); `scenario` is what the load is counted under. */
  id: string;
  scenario: Scenario | 'start';
  seconds: number;
}

/** A full run, repetitions included, stays under this (issue 16), with a margin for what estimates miss. */
export const FULL_BUDGET_SECONDS = 30 * 60;
const BUDGET_MARGIN = 0.85;
/** Connections the generator opens per second against the slowest peer (authenticated, 128 in flight). */
const OPEN_PER_S = 1_000;
/** The same through a cluster's nodes (register, subscribe, the nodes' presence over Redis). */
const CLUSTER_OPEN_PER_S = 400;

const s = (ms: number): number => ms / 1000;

function peerSteps(o: Options, kind: PeerKind): Array<[string, PlannedStep['scenario'], number]> {
  const want = (x: Scenario): boolean => o.scenarios.has(x);
  const out: Array<[string, PlannedStep['scenario'], number]> = [['start', 'start', kind === 'beacon' ? 2 + (o.users + o.stormUsers) * 0.15 : 1.5]];
  const echoSteps = (rates: readonly number[]): number => rates.length * (s(o.warmupMs + o.stepMs) + 0.5);
  const sat = s(o.warmupMs + o.saturateMs) + 0.5;
  // Measured ~900/s for Beacon and Socket.IO with presence on, plus settles and the close.
  if (want('memory')) out.push(['memory', 'memory', (500 + o.memConns) / (kind === 'uws' ? 4 * OPEN_PER_S : 900) + 12]);
  if (want('handshake')) out.push(['handshake', 'handshake', s(o.handshakeMs) + 1]);
  if (want('echo')) out.push(['echo', 'echo', o.echoConns / OPEN_PER_S + echoSteps(o.echoRates)]);
  if (want('saturate')) out.push(['saturate', 'saturate', sat]);
  if (want('storm') && kind === 'beacon') out.push(['storm', 'storm', 2 * s(o.stormMs) + 1]);
  // Then the larger connection counts in increasing order, as run.ts takes them.
  const fan = (n: number): number => (o.fanoutReps + 1) * 0.1 + o.fanoutDeliveries / 150_000 + 1 + n / (2 * OPEN_PER_S);
  const bySize: Array<[number, string, PlannedStep['scenario'], number]> = [];
  if (want('fanout')) for (const n of o.fanoutSizes) bySize.push([n, `fanout ${n}`, 'fanout', fan(n)]);
  if (want('channels')) for (const n of o.fanoutSizes) bySize.push([n, `channels ${n}`, 'channels', fan(n)]);
  if (want('saturate')) bySize.push([o.pipelineConns, 'pipelined', 'saturate', sat + o.pipelineConns / (2 * OPEN_PER_S)]);
  for (const [, id, sc, secs] of bySize.sort((a, b) => a[0] - b[0])) out.push([id, sc, secs]);
  if (want('history') && kind !== 'beacon') out.push(['history', 'history', sat]);
  // Beacon's connect storm: reopen the echo connections, a calm step, the storm (about 800/s), close.
  // (Measured: about 50 s with 15,000 storm sockets; the storm opens ~930/s, the close takes ~8 s.)
  if (want('connstorm') && kind === 'beacon') out.push(['connect storm', 'connstorm', o.echoConns / OPEN_PER_S + s(o.warmupMs + o.stormMs) + o.memConns / 900 + 2 + 10 + 3]);
  if (want('tls') && kind === 'beacon') out.push(['tls', 'tls', s(o.handshakeMs) + 1 + o.pipelineConns / OPEN_PER_S + echoSteps(o.tlsRates) + 2 * sat]);
  return out;
}

export function planRun(o: Options): PlannedStep[] {
  const steps: PlannedStep[] = [];
  const perPeer = [...o.scenarios].some((x) => x !== 'cluster' && x !== 'eventlog');
  for (let rep = 1; rep <= o.reps; rep++) {
    for (const kind of perPeer ? o.peers : []) {
      for (const [id, scenario, seconds] of peerSteps(o, kind)) steps.push({ rep, who: PEER_LABELS[kind], id, scenario, seconds });
      if (kind === 'beacon' && o.scenarios.has('history')) steps.push({ rep, who: PEER_LABELS.beacon, id: 'history (own process)', scenario: 'history', seconds: 3 + 2 * (s(o.warmupMs + o.saturateMs) + 0.5) + o.historyConns / OPEN_PER_S });
    }
    if (o.scenarios.has('cluster')) {
      // Calibrated on a full run of the scenario (2026-12-02: 201 s measured where the earlier
      // formula said 112): sockets open through a cluster at about 400/s, and starting a
      // setup (engines, three nodes, users) takes about 15 s.
      const clusterSetups = (o.peers.includes('beacon') ? 1 : 0) + (o.peers.includes('socketio') ? 1 : 0);
      const size = (n: number): number => n / CLUSTER_OPEN_PER_S + o.clusterReps * 0.06 + o.clusterDeliveries / (83 * n) + 2;
      const perSize = o.clusterSizes.reduce((a, n) => a + size(n), 0);
      // The embedded reference node measures the first size only.
      const reference = o.peers.includes('beacon') ? 8 + size(o.clusterSizes[0] ?? 0) : 0;
      const revocation = o.peers.includes('beacon') ? o.revocationRounds * 0.15 + 2 : 0;
      steps.push({ rep, who: 'cluster setups', id: 'cluster', scenario: 'cluster', seconds: clusterSetups * (15 + perSize) + reference + revocation });
    }
    if (o.scenarios.has('eventlog')) steps.push({ rep, who: 'event log', id: 'eventlog', scenario: 'eventlog', seconds: 4 * s(o.eventlogMs) + 2 });
  }
  return steps;
}

export const totalSeconds = (steps: readonly PlannedStep[]): number => steps.reduce((a, x) => a + x.seconds, 0);

/**
 * Shortens the timed steps of a full run (never below the floors) until the estimate fits the
 * budget; returns the options unchanged when it already does.
 */
export function fitBudget(o: Options, budget = FULL_BUDGET_SECONDS * BUDGET_MARGIN): { opts: Options; factor: number } {
  const floors = { stepMs: 3_000, saturateMs: 3_000, handshakeMs: 3_000, stormMs: 3_000, eventlogMs: 1_000, warmupMs: 1_000 };
  let factor = 1;
  let fitted = o;
  while (totalSeconds(planRun(fitted)) > budget && factor > 0.2) {
    factor *= 0.95;
    const scaled = Object.fromEntries(Object.entries(floors).map(([k, floor]) => [k, Math.max(floor, Math.round((o[k as keyof typeof floors] * factor) / 100) * 100)]));
    fitted = { ...o, ...scaled };
  }
  return { opts: fitted, factor };
}
