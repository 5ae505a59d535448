// The latency-against-rate chart: one self-contained SVG (no external assets), the median p99
// as solid lines with the min-max band of p99 over the repetitions shaded, p50 dashed,
// log-scale latency, hollow markers where the generator was the limit.

import type { EchoStep } from '../scenarios/echo.js';
import { PEER_LABELS } from './peers.js';
import type { PeerKey, Results } from './results.js';

export interface Series {
  label: string;
  steps: EchoStep[];
  /** p99 range over the repetitions at each rate. */
  band?: Array<{ rate: number; lo: number; hi: number }>;
}

/** The run's echo ladders: medians per rate, and the p99 band from every repetition. */
export function latencyBandChart(r: Results): string {
  const series = (['beacon', 'socketio', 'uws', 'beacon-tls'] as PeerKey[]).flatMap((k) => {
    const steps = r.peers[k]?.echo?.steps;
    if (steps === undefined) return [];
    const band = steps.map((st) => {
      const p99s = r.reps.flatMap((rep) => rep.peers[k]?.echo?.steps.find((x) => x.rate === st.rate)?.p99 ?? []).filter((v) => Number.isFinite(v));
      return { rate: st.rate, lo: Math.min(...p99s, st.p99), hi: Math.max(...p99s, st.p99) };
    });
    return [{ label: PEER_LABELS[k], steps, band }];
  });
  return latencyChart(series, `Echo latency against rate (${r.mode} run, ${r.reps.length} rep(s), ${r.date.slice(0, 10)})`);
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const W = 760;
const H = 440;
const M = { left: 64, right: 180, top: 40, bottom: 52 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function latencyChart(series: readonly Series[], title: string): string {
  const all = series.flatMap((s) => s.steps).filter((st) => Number.isFinite(st.p99));
  const maxRate = Math.max(1, ...all.map((s) => s.rate));
  const minLat = Math.max(0.05, Math.min(...all.map((s) => s.p50), 1));
  const maxLat = Math.max(20, ...all.map((s) => s.p99), ...series.flatMap((s) => (s.band ?? []).map((b) => b.hi)).filter((v) => Number.isFinite(v)));
  const lo = Math.floor(Math.log10(minLat));
  const hi = Math.ceil(Math.log10(maxLat));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (rate: number): number => M.left + (rate / maxRate) * pw;
  const y = (ms: number): number => M.top + ph - ((Math.log10(Math.max(ms, minLat)) - lo) / (hi - lo)) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let e = lo; e <= hi; e++) {
    const v = 10 ** e;
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${v >= 1 ? v : v.toFixed(-e)} ms</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(10)}" y2="${y(10)}" stroke="#999" stroke-dasharray="2,3"/>`);
  for (let i = 0; i <= 5; i++) {
    const r = (maxRate * i) / 5;
    out.push(`<text x="${x(r)}" y="${M.top + ph + 18}" text-anchor="middle">${Math.round(r / 100) / 10}k</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">offered echo rate (ping_manual per second, 1,000 connections)</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length] as string;
    const pts = s.steps.filter((st) => Number.isFinite(st.p99));
    const band = (s.band ?? []).filter((b) => Number.isFinite(b.lo) && Number.isFinite(b.hi));
    if (band.length > 1) {
      const edge = [...band.map((b) => `${x(b.rate).toFixed(1)},${y(b.hi).toFixed(1)}`), ...band.reverse().map((b) => `${x(b.rate).toFixed(1)},${y(b.lo).toFixed(1)}`)];
      out.push(`<polygon points="${edge.join(' ')}" fill="${c}" fill-opacity="0.15" stroke="none"/>`);
    }
    const line = (key: 'p50' | 'p99'): string => pts.map((st) => `${x(st.rate).toFixed(1)},${y(st[key]).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${line('p99')}" fill="none" stroke="${c}" stroke-width="2"/>`);
    out.push(`<polyline points="${line('p50')}" fill="none" stroke="${c}" stroke-width="1.5" stroke-dasharray="5,4"/>`);
    for (const st of pts) {
      const fill = st.clientBound ? 'white' : c;
      out.push(`<circle cx="${x(st.rate).toFixed(1)}" cy="${y(st.p99).toFixed(1)}" r="4" fill="${fill}" stroke="${c}" stroke-width="1.5"><title>${esc(s.label)} ${st.rate}/s: p50 ${st.p50} p99 ${st.p99} p999 ${st.p999} ms</title></circle>`);
    }
    const ly = M.top + 14 + i * 20;
    out.push(`<line x1="${M.left + pw + 14}" x2="${M.left + pw + 40}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2"/>`);
    out.push(`<text x="${M.left + pw + 46}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  const ky = M.top + 14 + series.length * 20 + 10;
  out.push(`<text x="${M.left + pw + 14}" y="${ky}">solid: median p99, dashed: p50</text>`);
  out.push(`<text x="${M.left + pw + 14}" y="${ky + 48}">shaded: p99 min-max over reps</text>`);
  out.push(`<text x="${M.left + pw + 14}" y="${ky + 16}">hollow: generator-bound</text>`);
  out.push(`<text x="${M.left + pw + 14}" y="${ky + 32}">dotted line: 10 ms</text>`);
  out.push('</svg>');
  return out.join('\n');
}
