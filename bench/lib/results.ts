// The shape of a run's results (what latest.json holds) and the targets of issues 5, 12, 14 and 16,
// judged on one repetition's figures (lib/targets.ts takes the median over repetitions).

import type { EventLogFigures } from '../scenarios/eventlog.js';
import type { HandshakeFigures, MemoryFigures } from '../scenarios/connections.js';
import type { Ladder, SaturateFigures, StormFigures } from '../scenarios/echo.js';
import type { ChannelFanoutFigures } from '../scenarios/channels.js';
import { CONNECT_STORM_P99_BOUND_MS, type ConnectStormFigures } from '../scenarios/connstorm.js';
import type { FanoutFigures } from '../scenarios/fanout.js';
import type { PublishLoadFigures } from '../scenarios/history.js';
import type { ClusterResults } from '../scenarios/clusterRun.js';
import type { Problem } from './honesty.js';
import type { LoadReport } from './load.js';
import type { PeerKind } from './peers.js';

export type PeerKey = PeerKind | 'beacon-tls';

export interface PeerResults {
  label: string;
  memory?: MemoryFigures;
  handshake?: HandshakeFigures;
  echo?: Ladder;
  /** One ping per write. */
  saturate?: SaturateFigures;
  /** Several pings per write: the server, not the generator's syscalls, is the limit. */
  pipelined?: SaturateFigures;
  storm?: StormFigures;
  connstorm?: ConnectStormFigures;
  fanout?: FanoutFigures[];
  /** Channel fan-out, one entry per subscriber count. */
  channels?: ChannelFanoutFigures[];
  /** Publish loops: Beacon with and without history; the peers keep none. */
  history?: PublishLoadFigures[];
  /** Connections that failed to open, by the scenario that then ran on too few. */
  openFailures?: Array<{ scenario: string; message: string }>;
  errors: string[];
}

/** The run: the median of every figure over the repetitions (`peers`, `eventlog`, `cluster`), and each repetition's own. */
export interface Results extends RepResults {
  date: string;
  mode: 'quick' | 'full';
  command: string;
  machine: Record<string, string | number | boolean>;
  seconds: number;
  /** Scenario 10 (median): Beacon on 3 nodes and on 1, Socket.IO on 3 nodes with its Redis adapter. */
  cluster?: ClusterResults;
  reps: RepResults[];
  /** Other processes' CPU while the run went on (see lib/load.ts). */
  load: LoadReport;
  /** Impossible figures and failed steps, by repetition: any makes the run unreliable. */
  problems: Problem[];
  targets: TargetResult[];
}

export interface TargetResult {
  target: string;
  figure: string;
  met: boolean | null;
  /** The figure the target is judged on (a ratio, ms or bytes), when measured. */
  value?: number;
  /** The scenario it comes from: an unreliable step there means the target is not met. */
  scenario: string;
  /** Why the target cannot count as met (impossible figures, failures), when so. */
  unreliable?: string;
  /** Judge and format a value (not written to JSON): the medians are judged with them. */
  judge?: (v: number) => boolean;
  show?: (v: number) => string;
}

/** One repetition's figures: every peer freshly started, the cluster's and the event log's setups too. */
export interface RepResults {
  peers: Partial<Record<PeerKey, PeerResults>>;
  eventlog?: EventLogFigures;
  cluster?: ClusterResults;
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? undefined : a / b;
const fmt = (x: number | undefined, digits = 2): string => (x === undefined ? 'n/a' : x.toFixed(digits));

export function judgeTargets(r: RepResults): TargetResult[] {
  const b = r.peers.beacon;
  const s = r.peers.socketio;
  const u = r.peers.uws;
  const out: TargetResult[] = [];
  let scenario = '';
  const unit = (t: string): ((v: number) => string) => (t.includes(' KB') ? (v) => `${fmt(v / 1024, 2)} KB` : t.includes(' ms') ? (v) => `${fmt(v)} ms` : (v) => `${fmt(v)}×`);
  /** `failed`: Beacon's step failed, so the target is not met (rather than not judged). */
  const add = (target: string, value: number | undefined, ok: (v: number) => boolean, figure: (v: number) => string, failed?: string): void => {
    if (value === undefined) out.push({ target, scenario, figure: failed ?? 'not measured', met: failed === undefined ? null : false });
    else out.push({ target, scenario, figure: figure(value), met: ok(value), value, judge: ok, show: unit(figure(value).split(' (')[0] ?? '') });
  };
  const both = (get: (p: PeerResults | undefined) => number | undefined, other: PeerResults | undefined): number | undefined => ratio(get(b), get(other));
  const pip = (p: PeerResults | undefined): number | undefined => p?.pipelined?.perCpuSecond;
  const one = (p: PeerResults | undefined): number | undefined => p?.saturate?.perCpuSecond;
  scenario = 'saturate';
  add('Echo throughput (msg per server CPU-s, pipelined) ≥ 5× Socket.IO', both(pip, s), (v) => v >= 5, (v) => `${fmt(v)}× (one frame per write: ${fmt(both(one, s))}×)`);
  add('Echo throughput (msg per server CPU-s, pipelined) ≥ 0.5× raw uWS', both(pip, u), (v) => v >= 0.5, (v) => `${fmt(v)}× (one frame per write: ${fmt(both(one, u))}×)`);
  scenario = 'fanout';
  for (const n of [1_000, 5_000]) {
    const bf = b?.fanout?.find((f) => f.connections === n);
    const sf = s?.fanout?.find((f) => f.connections === n);
    // Per server CPU-second, as the channel and cluster fan-out targets: deliveries per second
    // are bounded by the one core that receives them all (the generator is client-bound there).
    add(`Broadcast deliveries per server CPU-s at N=${n} ≥ 5× Socket.IO`, ratio(bf?.deliveriesPerCpuSecond, sf?.deliveriesPerCpuSecond), (v) => v >= 5, (v) =>
      `${fmt(v)}× (deliveries/s: ${fmt(ratio(bf?.deliveriesPerSecond, sf?.deliveriesPerSecond))}×)`,
    );
  }
  scenario = 'channels';
  for (const n of [1_000, 5_000]) {
    const pick = (p: PeerResults | undefined): ChannelFanoutFigures | undefined => p?.channels?.find((f) => f.subscribers === n);
    const perCpu = (p: PeerResults | undefined): number | undefined => pick(p)?.deliveriesPerCpuSecond;
    const perSec = (p: PeerResults | undefined): number | undefined => pick(p)?.deliveriesPerSecond;
    // A figure from a step with losses or a saturated generator is shown, and said to be.
    const marks = [b, s, u].flatMap((p) => {
      const f = pick(p);
      if (f === undefined || p === undefined) return [];
      const m = [f.lost > 0 ? `${f.lost} lost` : '', f.clientBound ? 'client-bound' : ''].filter((x) => x !== '');
      return m.length === 0 ? [] : [`${p.label}: ${m.join(', ')}`];
    });
    const note = marks.length === 0 ? '' : `; marked: ${marks.join('; ')}`;
    const failure = b?.errors.find((e) => e.startsWith(`channel fan-out to ${n}`));
    const missing = failure === undefined ? undefined : `not measured, Beacon's step failed: ${failure}`;
    add(`Channel fan-out deliveries per server CPU-s at N=${n} ≥ 5× Socket.IO rooms`, both(perCpu, s), (v) => v >= 5, (v) => `${fmt(v)}× (deliveries/s: ${fmt(both(perSec, s))}×${note})`, missing);
    add(`Channel fan-out deliveries per server CPU-s at N=${n} ≥ 0.8× raw uWS topics`, both(perCpu, u), (v) => v >= 0.8, (v) => `${fmt(v)}× (deliveries/s: ${fmt(both(perSec, u))}×${note})`, missing);
  }
  scenario = 'cluster-fanout';
  // Sizes measured by either side, or whose Beacon step failed (so the failure is judged too).
  const failedSizes = (r.cluster?.beacon3?.errors ?? []).flatMap((e) => /^cluster fan-out to (\d+)/.exec(e)?.slice(1).map(Number) ?? []);
  const clusterSizes = new Set([...(r.cluster?.beacon3?.fanout ?? []), ...(r.cluster?.socketio3?.fanout ?? [])].map((f) => f.subscribers).concat(failedSizes));
  for (const n of [...clusterSizes].sort((x, y) => x - y)) {
    const bc = r.cluster?.beacon3?.fanout.find((f) => f.subscribers === n);
    const sc = r.cluster?.socketio3?.fanout.find((f) => f.subscribers === n);
    const failure = r.cluster?.beacon3?.errors.find((e) => e.startsWith(`cluster fan-out to ${n}`) || e.startsWith('start'));
    const marks = [bc, sc].flatMap((f, i) => (f === undefined ? [] : [f.lost > 0 ? `${['Beacon', 'Socket.IO'][i]}: ${f.lost} lost` : '', f.clientBound ? `${['Beacon', 'Socket.IO'][i]}: client-bound` : ''])).filter((x) => x !== '');
    add(`Cluster fan-out (3 nodes) deliveries per server CPU-s at N=${n} ≥ 3× Socket.IO with its Redis adapter`, ratio(bc?.deliveriesPerCpuSecond, sc?.deliveriesPerCpuSecond), (v) => v >= 3, (v) =>
      `${fmt(v)}× (deliveries/s: ${fmt(ratio(bc?.deliveriesPerSecond, sc?.deliveriesPerSecond))}×${marks.length === 0 ? '' : `; marked: ${marks.join('; ')}`})`,
      failure === undefined ? undefined : `not measured, Beacon's step failed: ${failure}`,
    );
  }
  scenario = 'cluster-revocation';
  const rev = r.cluster?.beacon3;
  if (rev !== undefined) {
    const failed = rev.errors.find((e) => e.startsWith('revocation') || e.startsWith('start'));
    add('Revocation across nodes: logout on A to close on B and C, p99 < 250 ms', rev.revocation?.close.p99, (v) => v < 250, (v) =>
      `${fmt(v)} ms (max ${fmt(rev.revocation?.close.max)} ms; after the logout's answer p99 ${fmt(rev.revocation?.afterAnswer.p99)} ms)`,
      failed === undefined ? undefined : `not measured, Beacon's step failed: ${failed}`,
    );
  }
  // Issue 16: memory from at least 15,000 idle connections, the XState actor per connection kept.
  scenario = 'memory';
  const rss = b?.memory?.rssPerConnection;
  add('Idle authenticated connection ≤ 6 KB RSS', rss, (v) => v <= 6 * 1024, (v) => `${fmt(v / 1024, 2)} KB (from ${b?.memory?.connections ?? 0} connections)`);
  add('Idle authenticated connection ≤ 3.5 KB JS heap', b?.memory?.heapPerConnection, (v) => v <= 3.5 * 1024, (v) => `${fmt(v / 1024, 2)} KB`);
  add('Idle connection RSS ≤ 0.4× Socket.IO’s', ratio(rss, s?.memory?.rssPerConnection), (v) => v <= 0.4, (v) => `${fmt(v)}×`);
  scenario = 'echo';
  add('Echo: highest rate with p99 < 10 ms ≥ raw uWS’s', ratio(b?.echo?.heldRate, u?.echo?.heldRate), (v) => v >= 1, (v) => `${fmt(v)}× (${b?.echo?.heldRate ?? 'n/a'}/s against ${u?.echo?.heldRate ?? 'n/a'}/s)`);
  scenario = 'storm';
  add('Echo p99 during a login storm < 20 ms', b?.storm?.storm.p99, (v) => v < 20, (v) => `${fmt(v)} ms (calm: ${fmt(b?.storm?.calm.p99)} ms)`);
  scenario = 'connstorm';
  const cs = b?.connstorm;
  add(`Connect storm of ${cs?.asked ?? 15_000}: echo p99 of the ${cs?.echoConns ?? 1_000} open connections < ${CONNECT_STORM_P99_BOUND_MS} ms`, cs?.storm.p99, (v) => v < CONNECT_STORM_P99_BOUND_MS, (v) =>
    `${fmt(v)} ms (calm: ${fmt(cs?.calm.p99)} ms; ${cs?.opened ?? 0} opened at ${fmt(cs?.perSecond, 0)}/s, ${cs?.held ?? 0} sockets held)`,
  );
  return out;
}

export { ratio, fmt };
