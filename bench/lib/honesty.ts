// Impossible figures: what no honest measurement can produce (negative or non-finite memory,
// rates or latencies; lost messages or failures in a step; a peer whose sockets did not open).
// Each marks its scenario, and the run, unreliable, and no target counts as met on it.

import { P99_BOUND_MS } from '../scenarios/echo.js';
import type { PeerKey, PeerResults, RepResults } from './results.js';

export interface Problem {
  /** 1-based repetition. */
  rep: number;
  /** Peer key, or `cluster:<setup>`, or `eventlog`. */
  who: string;
  /** The scenario whose figures cannot be trusted (`memory`, `echo`, `fanout`, ...). */
  scenario: string;
  message: string;
}

/** Handshakes under this fraction of the fastest peer's, with failures, are said to be failure-bound. */
const HANDSHAKE_FAR_BELOW = 0.1;

/** Numeric leaves that are not finite or are negative, by path; counts, rates, latencies and sizes are never below zero. */
export function impossibleLeaves(x: unknown, path = ''): string[] {
  if (typeof x === 'number') return Number.isFinite(x) && x >= 0 ? [] : [`${path} = ${x}`];
  if (Array.isArray(x)) return x.flatMap((v, i) => impossibleLeaves(v, `${path}[${i}]`));
  if (typeof x === 'object' && x !== null) return Object.entries(x).flatMap(([k, v]) => impossibleLeaves(v, path === '' ? k : `${path}.${k}`));
  return [];
}

const PEER_SCENARIOS = ['memory', 'handshake', 'echo', 'saturate', 'storm', 'connstorm', 'fanout', 'channels', 'history'];

/** Scenarios a step error voids, from the step names repetition.ts gives. */
function scenariosOfError(e: string): string[] {
  const table: Array<[RegExp, string[]]> = [
    [/^start/, PEER_SCENARIOS],
    // Every later scenario builds on the first 1,000 connections.
    [/^open /, ['echo', 'saturate', 'storm', 'fanout', 'channels', 'history']],
    [/^memory/, ['memory']],
    [/^handshakes/, ['handshake']],
    [/^echo/, ['echo']],
    [/^saturated/, ['saturate']],
    [/^login storm/, ['storm']],
    [/^connect storm/, ['connstorm']],
    [/^fan-out/, ['fanout']],
    [/^channel fan-out/, ['channels']],
    [/^publish/, ['history']],
  ];
  return table.find(([re]) => re.test(e))?.[1] ?? ['other'];
}

export function peerProblems(rep: number, who: PeerKey, p: PeerResults, fastestHandshake: number): Problem[] {
  const out: Problem[] = [];
  const add = (scenario: string, message: string): void => void out.push({ rep, who, scenario, message });
  for (const e of p.errors) for (const scenario of scenariosOfError(e)) add(scenario, `step failed: ${e}`);
  for (const f of p.openFailures ?? []) add(f.scenario, f.message);
  const m = p.memory;
  if (m !== undefined) {
    if (!(m.rssPerConnection > 0) || !(m.heapPerConnection > 0)) add('memory', `impossible memory per connection: RSS ${m.rssPerConnection.toFixed(0)} B, heap ${m.heapPerConnection.toFixed(0)} B`);
    if (m.failed > 0) add('memory', `${m.failed} connections failed to open`);
  }
  const h = p.handshake;
  if (h !== undefined) {
    if (h.failed > 0) add('handshake', `${h.failed} handshakes failed (${h.firstError ?? 'no error text'})`);
    if (h.failed > 0 && h.perSecond < HANDSHAKE_FAR_BELOW * fastestHandshake) add('handshake', `${h.perSecond.toFixed(0)}/s, far below the fastest peer's ${fastestHandshake.toFixed(0)}/s, with failures`);
    if (h.ok === 0) add('handshake', 'no handshake succeeded');
  }
  for (const st of p.echo?.steps ?? []) {
    // Past saturation losses are what the ladder looks for; at a rate it would call held they are not.
    if (st.sent > st.received && st.p99 < P99_BOUND_MS) add('echo', `${st.sent - st.received} messages lost at ${st.rate}/s`);
    if (st.count === 0) add('echo', `no latency recorded at ${st.rate}/s`);
  }
  for (const [name, f] of [['saturate', p.saturate], ['saturate', p.pipelined]] as const) if (f !== undefined && !(f.perCpuSecond > 0)) add(name, `no messages per CPU-second (${f.perCpuSecond})`);
  for (const f of p.fanout ?? []) if (f.lost > 0) add('fanout', `${f.lost} deliveries lost at N=${f.connections}`);
  for (const f of p.channels ?? []) {
    if (f.lost > 0) add('channels', `${f.lost} deliveries lost at N=${f.subscribers}`);
    if (f.refused > 0) add('channels', `${f.refused} publishes refused at N=${f.subscribers} (${f.firstRefusal ?? ''})`);
  }
  for (const f of p.history ?? []) {
    if (f.refused > 0) add('history', `${f.refused} publishes refused on ${f.channel}`);
    if (f.offsets.repeated > 0 || f.offsets.missing > 0) add('history', `offsets on ${f.channel}: ${f.offsets.repeated} repeated, ${f.offsets.missing} missing`);
  }
  if (p.storm !== undefined && p.storm.refused > 0) add('storm', `${p.storm.refused} logins refused`);
  const cs = p.connstorm;
  if (cs !== undefined) {
    if (cs.failed > 0) add('connstorm', `${cs.failed} of ${cs.asked} storm connections failed to open (${cs.firstError ?? 'no error text'})`);
    if (cs.held < cs.opened + cs.echoConns) add('connstorm', `only ${cs.held} of ${cs.opened + cs.echoConns} sockets still open after the storm`);
    if (cs.storm.received < cs.storm.sent) add('connstorm', `${cs.storm.sent - cs.storm.received} echoes lost during the storm`);
  }
  const { errors: _errors, label: _label, openFailures: _open, ...figures } = p;
  // Anything else impossible, in a scenario not already marked for it.
  const marked = new Set(out.map((p) => p.scenario));
  for (const leaf of impossibleLeaves(figures)) {
    const scenario = leaf.split(/[.[]/)[0] ?? 'other';
    const named = scenario === 'pipelined' ? 'saturate' : scenario;
    if (!marked.has(named)) add(named, `impossible figure ${leaf}`);
  }
  return out;
}

export function repProblems(rep: number, r: RepResults): Problem[] {
  const fastest = Math.max(0, ...Object.values(r.peers).map((p) => p?.handshake?.perSecond ?? 0).filter((x) => Number.isFinite(x)));
  const out = (Object.entries(r.peers) as Array<[PeerKey, PeerResults | undefined]>).flatMap(([k, p]) => (p === undefined ? [] : peerProblems(rep, k, p, fastest)));
  for (const [setup, c] of Object.entries(r.cluster ?? {})) {
    if (c === undefined) continue;
    const who = `cluster:${setup}`;
    // Fan-out and revocation are judged apart: one failing does not void the other, a failed start voids both.
    for (const e of c.errors) {
      const scenarios = e.startsWith('start') ? ['cluster-fanout', 'cluster-revocation'] : e.startsWith('revocation') ? ['cluster-revocation'] : ['cluster-fanout'];
      for (const scenario of scenarios) out.push({ rep, who, scenario, message: `step failed: ${e}` });
    }
    for (const f of c.fanout) if (f.lost > 0) out.push({ rep, who, scenario: 'cluster-fanout', message: `${f.lost} deliveries lost at N=${f.subscribers}` });
    for (const leaf of impossibleLeaves(c.fanout)) out.push({ rep, who, scenario: 'cluster-fanout', message: `impossible figure fanout${leaf}` });
    for (const leaf of impossibleLeaves(c.revocation ?? {})) out.push({ rep, who, scenario: 'cluster-revocation', message: `impossible figure revocation.${leaf}` });
  }
  if (r.eventlog !== undefined) for (const leaf of impossibleLeaves(r.eventlog)) out.push({ rep, who: 'eventlog', scenario: 'eventlog', message: `impossible figure ${leaf}` });
  return out;
}
