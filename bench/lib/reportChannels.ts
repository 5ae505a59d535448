// latest.md's channel sections: fan-out to the subscribers of one channel (Beacon, Socket.IO
// rooms, raw uWS topics) and publish with history (Beacon with and without history kept;
// the peers keep none, so their line is the publish-and-answer cost alone).

import { PEER_LABELS } from './peers.js';
import { fmt, ratio, type PeerKey, type PeerResults, type Results } from './results.js';

const int = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${Math.round(x * 100)}%`);
const ms = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${x}`);

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const CHANNEL_PEERS: PeerKey[] = ['beacon', 'socketio', 'uws'];
const PEER_NAMES: Partial<Record<PeerKey, string>> = { beacon: 'Beacon channel', socketio: 'Socket.IO 4 room', uws: 'raw uWS.js topic' };

function peersOf(r: Results): Array<[PeerKey, PeerResults]> {
  return CHANNEL_PEERS.flatMap((k) => (r.peers[k] === undefined ? [] : [[k, r.peers[k] as PeerResults] as [PeerKey, PeerResults]]));
}

/** Errors of the channel steps, so a failed Beacon side is visible next to its table. */
function failures(r: Results, prefix: string[]): string[] {
  return peersOf(r).flatMap(([k, p]) => p.errors.filter((e) => prefix.some((x) => e.startsWith(x))).map((e) => `- **failed**, ${PEER_LABELS[k]}: ${e}`));
}

export function channelSections(r: Results): string[] {
  const out: string[] = [];
  out.push('## 8. Channel fan-out (N subscribers of `room:bench`)', '');
  out.push(
    'Every connection subscribes to the one channel; single publications give the time from the publish to the last subscriber, then a burst gives deliveries per second and per server CPU-second. Publishers are subscribed to the channel (a `room` channel lets only its subscribers publish), send at most 40 publications each in a burst (under Beacon\'s 100 frames/s per socket), and receive their own publications, which count as deliveries. Beacon speaks `subscribe`/`publish` on `/ws` and keeps every publication in its history; Socket.IO joins a room and emits to it; raw uWS subscribes the socket to a topic and publishes. "lost": deliveries that never came; "client-bound": the generator used over 85% of its core.',
    '',
  );
  out.push(
    table(
      ['peer', 'N', 'subscribe s', 'time to last p50 ms', 'worst ms', 'burst (publications × publishers)', 'deliveries/s', 'deliveries per server CPU-s', 'server CPU', 'client CPU', 'lost', 'refused', 'note'],
      peersOf(r).flatMap(([k, p]) =>
        (p.channels ?? []).map((f) => [
          PEER_NAMES[k] ?? PEER_LABELS[k],
          int(f.subscribers),
          f.subscribeSeconds.toFixed(1),
          ms(f.lastP50),
          ms(f.lastMax),
          `${int(f.publications)} × ${int(f.publishers)}`,
          int(f.deliveriesPerSecond),
          int(f.deliveriesPerCpuSecond),
          pct(f.serverCpu),
          pct(f.clientCpu),
          int(f.lost),
          f.refused === 0 ? '0' : `${int(f.refused)} (${f.firstRefusal ?? ''})`,
          [f.lost > 0 ? 'lossy' : '', f.clientBound ? 'client-bound' : ''].filter((x) => x !== '').join(', '),
        ]),
      ),
    ),
    '',
  );
  out.push(...failures(r, ['channel fan-out']), '');

  out.push('## 9. Publish with history (publications kept per second)', '');
  out.push(
    `Several publisher connections (not subscribed), closed loop, several publishes per write, each connection under ~90 publishes/s; one channel nobody subscribes to. Beacon answers \`published\` only once the publication is written, and runs this on a second process of its own with the bench's \`CHANNELS_FILE\` (\`bench/peers/channels.json\`: the built-in namespaces plus \`hist\`, last 100 kept, and \`nohist\`, \`history_size\` 0), so the same load runs with history and without. Socket.IO and raw uWS keep no history: their lines are the cost of a publish and its answer alone, not a like-for-like figure. "offered ceiling": the loop offered no more (publishers × ~90/s), so the server was not the limit and per server CPU-second is the figure to read. "offsets": the answered offsets are exactly 1..max, each once.`,
    '',
  );
  const rows = peersOf(r).flatMap(([k, p]) =>
    (p.history ?? []).map((h) => [
      PEER_LABELS[k],
      `\`${h.channel}\``,
      h.keepsHistory ? 'yes (last 100)' : k === 'beacon' ? 'no (history_size 0)' : 'no (keeps nothing)',
      `${int(h.publishers)} × ${h.batch}`,
      `${int(h.perSecond)}${h.perSecond >= 0.95 * h.offeredPerSecond ? ' (offered ceiling)' : ''}`,
      int(h.offeredPerSecond),
      int(h.perCpuSecond),
      ms(h.p50),
      ms(h.p99),
      pct(h.serverCpu),
      pct(h.clientCpu),
      int(h.refused),
      h.offsets.missing === 0 && h.offsets.repeated === 0 ? `exact (1..${int(h.offsets.max)})` : `${int(h.offsets.missing)} missing, ${int(h.offsets.repeated)} repeated`,
    ]),
  );
  out.push(table(['peer', 'channel', 'history kept', 'publishers × per write', 'publications/s', 'offered at most/s', 'per server CPU-s', 'answer p50 ms', 'answer p99 ms', 'server CPU', 'client CPU', 'refused', 'offsets'], rows), '');
  const hist = r.peers.beacon?.history?.find((h) => h.keepsHistory);
  const none = r.peers.beacon?.history?.find((h) => !h.keepsHistory);
  if (hist !== undefined && none !== undefined) {
    out.push(`Beacon with history / without: ${fmt(ratio(hist.perSecond, none.perSecond))}× publications per second, ${fmt(ratio(hist.perCpuSecond, none.perCpuSecond))}× per server CPU-second.`, '');
  }
  out.push(...failures(r, ['publish']), '');
  return out;
}
