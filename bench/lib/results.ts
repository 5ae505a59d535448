// The shape of a run's results (what latest.json holds) and the targets of issue 5,
// judged from figures measured in the same run.

import type { EventLogFigures } from '../scenarios/eventlog.js';
import type { HandshakeFigures, MemoryFigures } from '../scenarios/connections.js';
import type { Ladder, SaturateFigures, StormFigures } from '../scenarios/echo.js';
import type { FanoutFigures } from '../scenarios/fanout.js';
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
  fanout?: FanoutFigures[];
  errors: string[];
}

export interface Results {
  date: string;
  mode: 'quick' | 'full';
  machine: Record<string, string | number | boolean>;
  seconds: number;
  peers: Partial<Record<PeerKey, PeerResults>>;
  eventlog?: EventLogFigures;
  targets: TargetResult[];
}

export interface TargetResult {
  target: string;
  figure: string;
  met: boolean | null;
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? undefined : a / b;
const fmt = (x: number | undefined, digits = 2): string => (x === undefined ? 'n/a' : x.toFixed(digits));

export function judgeTargets(r: Results): TargetResult[] {
  const b = r.peers.beacon;
  const s = r.peers.socketio;
  const u = r.peers.uws;
  const out: TargetResult[] = [];
  const add = (target: string, value: number | undefined, ok: (v: number) => boolean, figure: (v: number) => string): void => {
    out.push({ target, figure: value === undefined ? 'not measured' : figure(value), met: value === undefined ? null : ok(value) });
  };
  const both = (get: (p: PeerResults | undefined) => number | undefined, other: PeerResults | undefined): number | undefined => ratio(get(b), get(other));
  const pip = (p: PeerResults | undefined): number | undefined => p?.pipelined?.perCpuSecond;
  const one = (p: PeerResults | undefined): number | undefined => p?.saturate?.perCpuSecond;
  add('Echo throughput (msg per server CPU-s, pipelined) ≥ 5× Socket.IO', both(pip, s), (v) => v >= 5, (v) => `${fmt(v)}× (one frame per write: ${fmt(both(one, s))}×)`);
  add('Echo throughput (msg per server CPU-s, pipelined) ≥ 0.5× raw uWS', both(pip, u), (v) => v >= 0.5, (v) => `${fmt(v)}× (one frame per write: ${fmt(both(one, u))}×)`);
  for (const n of [1_000, 5_000]) {
    const bf = b?.fanout?.find((f) => f.connections === n);
    const sf = s?.fanout?.find((f) => f.connections === n);
    add(`Broadcast deliveries/s at N=${n} ≥ 5× Socket.IO`, ratio(bf?.deliveriesPerSecond, sf?.deliveriesPerSecond), (v) => v >= 5, (v) =>
      `${fmt(v)}× (per server CPU-s: ${fmt(ratio(bf?.deliveriesPerCpuSecond, sf?.deliveriesPerCpuSecond))}×)`,
    );
  }
  const rss = b?.memory?.rssPerConnection;
  add('Idle authenticated connection ≤ 8 KB RSS', rss, (v) => v <= 8 * 1024, (v) => `${fmt(v / 1024, 1)} KB`);
  add('Idle connection RSS ≤ ½ Socket.IO’s', ratio(rss, s?.memory?.rssPerConnection), (v) => v <= 0.5, (v) => `${fmt(v)}×`);
  add('Echo p99 during a login storm < 20 ms', b?.storm?.storm.p99, (v) => v < 20, (v) => `${fmt(v)} ms (calm: ${fmt(b?.storm?.calm.p99)} ms)`);
  return out;
}

export { ratio, fmt };
