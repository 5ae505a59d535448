// Deliveries against audience size: one self-contained SVG, deliveries per server CPU-second
// (log scale) at each N for broadcast and channel fan-out, median line and min-max whiskers
// over the repetitions, one colour per peer.

import { PEER_LABELS } from './peers.js';
import type { PeerKey, PeerResults, Results } from './results.js';

const COLOURS: Record<string, string> = { beacon: '#1f77b4', socketio: '#d62728', uws: '#2ca02c' };
const W = 760;
const H = 440;
const M = { left: 80, right: 220, top: 40, bottom: 52 };
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

interface Point {
  n: number;
  med: number;
  lo: number;
  hi: number;
}

function points(r: Results, k: PeerKey, pick: (p: PeerResults | undefined) => Array<{ n: number; v: number }>): Point[] {
  return pick(r.peers[k])
    .filter((m) => Number.isFinite(m.v) && m.v > 0)
    .map((m) => {
      const vs = r.reps.flatMap((rep) => pick(rep.peers[k]).filter((x) => x.n === m.n && Number.isFinite(x.v) && x.v > 0).map((x) => x.v));
      return { n: m.n, med: m.v, lo: Math.min(m.v, ...vs), hi: Math.max(m.v, ...vs) };
    })
    .sort((a, b) => a.n - b.n);
}

export function fanoutChart(r: Results): string {
  const kinds: Array<{ name: string; dash: string; pick: (p: PeerResults | undefined) => Array<{ n: number; v: number }> }> = [
    { name: 'broadcast', dash: '', pick: (p) => (p?.fanout ?? []).map((f) => ({ n: f.connections, v: f.deliveriesPerCpuSecond })) },
    { name: 'channel', dash: '6,4', pick: (p) => (p?.channels ?? []).map((f) => ({ n: f.subscribers, v: f.deliveriesPerCpuSecond })) },
  ];
  const lines = (['beacon', 'socketio', 'uws'] as const).flatMap((k) => kinds.map((kind) => ({ k, kind, pts: points(r, k, kind.pick) })).filter((l) => l.pts.length > 0));
  const all = lines.flatMap((l) => l.pts);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(`Deliveries per server CPU-second against audience size (${r.mode} run, ${r.reps.length} rep(s))`)}</text>`,
  ];
  if (all.length === 0) return [...out, `<text x="${M.left}" y="80">no fan-out measured</text>`, '</svg>'].join('\n');
  const ns = [...new Set(all.map((p) => p.n))].sort((a, b) => a - b);
  const lo = Math.floor(Math.log10(Math.min(...all.map((p) => p.lo))));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...all.map((p) => p.hi)))));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  // Sizes evenly spaced (there are only a few), in increasing order.
  const x = (n: number): number => M.left + (ns.length === 1 ? pw / 2 : (ns.indexOf(n) / (ns.length - 1)) * pw * 0.8 + pw * 0.1);
  const y = (v: number): number => M.top + ph - ((Math.log10(v) - lo) / (hi - lo)) * ph;
  for (let e = lo; e <= hi; e++) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y(10 ** e) + 4}" text-anchor="end">${(10 ** e).toLocaleString('en-US')}</text>`);
  }
  for (const n of ns) out.push(`<text x="${x(n)}" y="${M.top + ph + 18}" text-anchor="middle">N = ${n.toLocaleString('en-US')}</text>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">audience (connections receiving each message)</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  lines.forEach((l, i) => {
    const c = COLOURS[l.k] ?? '#555';
    out.push(`<polyline points="${l.pts.map((p) => `${x(p.n).toFixed(1)},${y(p.med).toFixed(1)}`).join(' ')}" fill="none" stroke="${c}" stroke-width="2"${l.kind.dash === '' ? '' : ` stroke-dasharray="${l.kind.dash}"`}/>`);
    for (const p of l.pts) {
      out.push(`<line x1="${x(p.n)}" x2="${x(p.n)}" y1="${y(p.lo).toFixed(1)}" y2="${y(p.hi).toFixed(1)}" stroke="${c}" stroke-width="1.5"/>`);
      out.push(`<circle cx="${x(p.n)}" cy="${y(p.med).toFixed(1)}" r="4" fill="${c}"><title>${esc(`${PEER_LABELS[l.k]} ${l.kind.name} N=${p.n}: ${Math.round(p.med)} (${Math.round(p.lo)}–${Math.round(p.hi)})`)}</title></circle>`);
    }
    const ly = M.top + 14 + i * 20;
    out.push(`<line x1="${M.left + pw + 14}" x2="${M.left + pw + 40}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2"${l.kind.dash === '' ? '' : ` stroke-dasharray="${l.kind.dash}"`}/>`);
    out.push(`<text x="${M.left + pw + 46}" y="${ly + 4}">${esc(`${PEER_LABELS[l.k]}, ${l.kind.name}`)}</text>`);
  });
  out.push(`<text x="${M.left + pw + 14}" y="${M.top + 24 + lines.length * 20}">line: median; whisker: min-max over reps</text>`);
  out.push('</svg>');
  return out.join('\n');
}
