// latest.md: the run's figures as Markdown tables (medians over the repetitions), every
// headline figure beside its peers with its range and the ratios Beacon / Socket.IO and
// Beacon / raw uWS, and the targets judged.

import { PEER_LABELS } from './peers.js';
import { channelSections } from './reportChannels.js';
import { clusterSection } from './reportCluster.js';
import { cell, ratioCell, runHeader, variationSection } from './reportRuns.js';
import { fmt, ratio, type PeerKey, type PeerResults, type Results } from './results.js';

const ORDER: PeerKey[] = ['beacon', 'socketio', 'uws', 'beacon-tls'];
const kb = (bytes: number | undefined): string => (bytes === undefined ? 'n/a' : `${(bytes / 1024).toFixed(2)} KB`);
const int = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${Math.round(x * 100)}%`);
const ms = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${Math.round(x * 1000) / 1000}`);

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function peersOf(r: Results): Array<[PeerKey, PeerResults]> {
  return ORDER.flatMap((k) => (r.peers[k] === undefined ? [] : [[k, r.peers[k] as PeerResults] as [PeerKey, PeerResults]]));
}

export function markdown(r: Results): string {
  const b = r.peers.beacon;
  const out: string[] = [];
  out.push(`# Beacon benchmark: ${r.mode} run`, '');
  if (r.mode === 'quick') out.push('> Quick run: short steps, fewer rates. Figures are indicative only; use the full run for numbers to quote.', '');
  out.push(...runHeader(r));

  out.push('## Targets', '');
  out.push('Judged on the median over the repetitions of each repetition\'s own figure or ratio. A target whose scenario had an impossible figure or a failure is **not met**, and says why.', '');
  const verdict = (t: (typeof r.targets)[number]): string => (t.unreliable !== undefined ? '**no** (unreliable)' : t.met === null ? 'n/a' : t.met ? 'yes' : '**no**');
  out.push(table(['target', 'figure', 'met'], r.targets.map((t) => [t.target, t.unreliable === undefined ? t.figure : `${t.figure}; unreliable: ${t.unreliable}`, verdict(t)])), '');
  out.push('Charts: [echo latency against rate](latency.svg), [deliveries against audience size](fanout.svg).', '');

  const row = (name: string, get: (p: PeerResults | undefined) => number | undefined, show: (x: number | undefined) => string): string[] => [
    name,
    cell(r, 'beacon', get, show),
    cell(r, 'socketio', get, show),
    cell(r, 'uws', get, show),
    ratioCell(r, get, 'socketio'),
    ratioCell(r, get, 'uws'),
  ];
  const fan = (n: number) => (p: PeerResults | undefined) => p?.fanout?.find((f) => f.connections === n);
  const chan = (n: number) => (p: PeerResults | undefined) => p?.channels?.find((f) => f.subscribers === n);
  out.push('## Headline figures and ratios', '');
  out.push(
    table(
      ['figure', PEER_LABELS.beacon, PEER_LABELS.socketio, PEER_LABELS.uws, 'Beacon / Socket.IO', 'Beacon / uWS'],
      [
        row('authenticated handshakes/s', (p) => p?.handshake?.perSecond, int),
        row('handshake p99 (ms)', (p) => p?.handshake?.p99, ms),
        row('echo: highest rate with p99 < 10 ms', (p) => p?.echo?.heldRate, int),
        row('saturated echo msg/s (1 frame per write)', (p) => p?.saturate?.perSecond, int),
        row('saturated echo msg per server CPU-s (1 frame per write)', (p) => p?.saturate?.perCpuSecond, int),
        row('saturated echo msg/s (pipelined)', (p) => p?.pipelined?.perSecond, int),
        row('saturated echo msg per server CPU-s (pipelined)', (p) => p?.pipelined?.perCpuSecond, int),
        row('broadcast N=1000 deliveries/s', (p) => fan(1_000)(p)?.deliveriesPerSecond, int),
        row('broadcast N=1000 deliveries per server CPU-s', (p) => fan(1_000)(p)?.deliveriesPerCpuSecond, int),
        row('broadcast N=5000 deliveries/s', (p) => fan(5_000)(p)?.deliveriesPerSecond, int),
        row('broadcast N=5000 deliveries per server CPU-s', (p) => fan(5_000)(p)?.deliveriesPerCpuSecond, int),
        row('broadcast N=5000 time to last recipient p50 (ms)', (p) => fan(5_000)(p)?.lastP50, ms),
        row('channel fan-out N=1000 deliveries/s', (p) => chan(1_000)(p)?.deliveriesPerSecond, int),
        row('channel fan-out N=1000 deliveries per server CPU-s', (p) => chan(1_000)(p)?.deliveriesPerCpuSecond, int),
        row('channel fan-out N=5000 deliveries/s', (p) => chan(5_000)(p)?.deliveriesPerSecond, int),
        row('channel fan-out N=5000 deliveries per server CPU-s', (p) => chan(5_000)(p)?.deliveriesPerCpuSecond, int),
        row('channel fan-out N=5000 time to last subscriber p50 (ms)', (p) => chan(5_000)(p)?.lastP50, ms),
        row('RSS per idle authenticated connection', (p) => p?.memory?.rssPerConnection, kb),
        row('JS heap per idle authenticated connection', (p) => p?.memory?.heapPerConnection, kb),
      ],
    ),
    '',
  );
  out.push('Ratios above 1 favour Beacon, except for latencies and memory, where below 1 does. Each cell: median (min–max over the repetitions); a ratio is the median of the ratios within each repetition; ⚠: the range exceeds 20% of the median.', '');
  out.push(...variationSection(r));
  out.push('The sections below show the median of each figure over the repetitions; every repetition\'s own figures are in latest.json (`reps`).', '');

  out.push('## 1. Authenticated handshakes', '');
  out.push(
    table(
      ['peer', 'per second', 'p50 ms', 'p99 ms', 'ok', 'failed', 'server CPU', 'client CPU'],
      peersOf(r).flatMap(([k, p]) => (p.handshake === undefined ? [] : [[PEER_LABELS[k], int(p.handshake.perSecond), ms(p.handshake.p50), ms(p.handshake.p99), int(p.handshake.ok), int(p.handshake.failed), pct(p.handshake.serverCpu), pct(p.handshake.clientCpu)]])),
    ),
    '',
  );

  out.push('## 2. Echo round trip at fixed rates (1,000 connections, open loop)', '');
  out.push('Latency from the intended send time. "client-bound": the generator used over 85% of its core or fell behind its schedule, so that step also measures the generator.', '');
  out.push(
    table(
      ['peer', 'rate/s', 'p50 ms', 'p99 ms', 'p999 ms', 'lost', 'server CPU', 'client CPU', 'note'],
      peersOf(r).flatMap(([k, p]) =>
        (p.echo?.steps ?? []).map((st) => [PEER_LABELS[k], int(st.rate), ms(st.p50), ms(st.p99), ms(st.p999), int(st.sent - st.received), pct(st.serverCpu), pct(st.clientCpu), st.clientBound ? 'client-bound' : '']),
      ),
    ),
    '',
  );
  out.push(table(['peer', 'highest rate held with p99 < 10 ms'], peersOf(r).flatMap(([k, p]) => (p.echo === undefined ? [] : [[PEER_LABELS[k], int(p.echo.heldRate)]]))), '');
  out.push('Chart: [latency.svg](latency.svg).', '');

  out.push('## 3. Saturated echo (closed loop, each connection at most ~90 msg/s)', '');
  out.push('1 frame per write (1,000 connections): every ping is its own write on both sides, and the generator is usually the limit. Pipelined (3,000 connections): several pings per write, so system-call cost is shared and the server is the limit.', '');
  out.push(
    table(
      ['peer', 'frames per write', 'msg/s', 'server CPU', 'msg per server CPU-s', 'p50 ms', 'p99 ms', 'client CPU'],
      peersOf(r).flatMap(([k, p]) =>
        [p.saturate, p.pipelined].flatMap((f) => (f === undefined ? [] : [[PEER_LABELS[k], String(f.batch), int(f.perSecond), pct(f.serverCpu), int(f.perCpuSecond), ms(f.p50), ms(f.p99), pct(f.clientCpu)]])),
      ),
    ),
    '',
  );

  out.push('## 4. Broadcast fan-out', '');
  out.push(
    table(
      ['peer', 'N', 'time to last p50 ms', 'worst ms', 'deliveries/s (burst)', 'deliveries per server CPU-s', 'lost'],
      peersOf(r).flatMap(([k, p]) => (p.fanout ?? []).map((f) => [PEER_LABELS[k], int(f.connections), ms(f.lastP50), ms(f.lastMax), int(f.deliveriesPerSecond), int(f.deliveriesPerCpuSecond), int(f.lost)])),
    ),
    '',
  );

  out.push('## 5. Memory per idle authenticated connection (after GC)', '');
  out.push(
    table(
      ['peer', 'connections', 'RSS per conn', 'heap per conn', 'heap+external per conn', 'RSS before', 'RSS after', 'opened in'],
      peersOf(r).flatMap(([k, p]) => {
        const m = p.memory;
        if (m === undefined) return [];
        return [[PEER_LABELS[k], int(m.connections), kb(m.rssPerConnection), kb(m.heapPerConnection), kb(m.jsPerConnection), `${(m.baseline.rss / 2 ** 20).toFixed(1)} MB`, `${(m.loaded.rss / 2 ** 20).toFixed(1)} MB`, `${m.openSeconds.toFixed(1)} s`]];
      }),
    ),
    '',
  );

  const st = b?.storm;
  out.push('## 6. Login storm (Beacon: logins through the hash pool, echo of other connections)', '');
  if (st !== undefined) {
    out.push(
      table(
        ['logins/s', 'login p50 ms', 'login p99 ms', 'refused', 'echo rate/s', 'echo p50/p99 calm ms', 'echo p50/p99 storm ms'],
        [[st.loginsPerSecond.toFixed(1), ms(st.login.p50), ms(st.login.p99), int(st.refused), int(st.echoRate), `${st.calm.p50} / ${st.calm.p99}`, `${st.storm.p50} / ${st.storm.p99}`]],
      ),
      '',
    );
  } else out.push('not measured', '');

  const cs = b?.connstorm;
  out.push('## 6b. Connect storm (Beacon: sockets opening while others echo, presence on)', '');
  if (cs !== undefined) {
    out.push(
      table(
        ['storm sockets', 'opened', 'failed', 'seconds', 'opened/s', 'held after', 'echo conns', 'echo rate/s', 'echo p50/p99 calm ms', 'echo p50/p99/p999 storm ms', 'server CPU', 'echo worker CPU', 'storm worker CPU'],
        [[int(cs.asked), int(cs.opened), int(cs.failed), cs.seconds.toFixed(1), int(cs.perSecond), int(cs.held), int(cs.echoConns), int(cs.echoRate), `${cs.calm.p50} / ${cs.calm.p99}`, `${cs.storm.p50} / ${cs.storm.p99} / ${cs.storm.p999}`, pct(cs.serverCpu), pct(cs.clientCpu), pct(cs.stormClientCpu)]],
      ),
      '',
      `The already-open connections (one worker process) echo at a fixed rate in ${cs.storm.windows} back-to-back windows while the storm's sockets (the other worker) open and authenticate, 128 in flight; latency from the intended send time. "held after": sockets the generator still had open 2 s after the storm.`,
      '',
    );
  } else out.push('not measured', '');

  const e = r.eventlog;
  out.push('## 7. Event-log appends (durable LoginSucceeded events, fresh SQLite file)', '');
  if (e !== undefined) {
    const v = (name: string, f: { perSecond: number; perCommit: number }): string[] => [name, int(f.perSecond), f.perCommit.toFixed(1), fmt(ratio(f.perSecond, e.singleFull.perSecond))];
    out.push(
      table(
        ['variant', 'appends/s', 'appends per commit', '× single FULL'],
        [v('single commit, FULL', e.singleFull), v('single commit, NORMAL', e.singleNormal), v(`grouped (${e.wave} per tick), FULL`, e.groupedFull), v(`grouped (${e.wave} per tick), NORMAL`, e.groupedNormal)],
      ),
      '',
    );
  } else out.push('not measured', '');

  out.push(...channelSections(r));
  out.push(...clusterSection(r));

  const errors = peersOf(r).flatMap(([k, p]) => p.errors.map((m) => `- ${PEER_LABELS[k]}: ${m}`));
  if (errors.length > 0) out.push('## Errors', '', ...errors, '');
  return out.join('\n');
}
