// The parts of latest.md that speak of the run itself: its command, repetitions, machine load
// ("quiet" or not), reliability, and every figure that varied by more than 20% between
// repetitions; and the headline cells, each a median with its min-max range.

import { PEER_LABELS } from './peers.js';
import { fmt, ratio, type PeerKey, type PeerResults, type Results } from './results.js';
import { leafSpreads, spread, VARIATION_LIMIT } from './stats.js';

const pctCore = (x: number | undefined): string => (x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`);

export function runHeader(r: Results): string[] {
  const out: string[] = [];
  const l = r.load;
  out.push(`\`${r.command}\`, started ${r.date}, ${r.seconds.toFixed(0)} s, ${r.reps.length} repetition(s), peers interleaved, servers started afresh in each.`, '');
  out.push(`Machine: ${Object.entries(r.machine).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
  const worst = Object.entries(l.byScenario).sort((a, b) => b[1].mean - a[1].mean)[0];
  out.push(
    `**Machine load** (other processes' CPU, from /proc: all busy jiffies minus the bench's, its workers', its servers' and their reaped children's, and minus the kernel's own threads, shown apart): ${pctCore(l.atStart?.mean)} of a core at the start; ` +
      `during the scenarios at most ${pctCore(worst?.[1].mean)} on average (${worst?.[0] ?? 'n/a'}, peak ${pctCore(worst?.[1].peak)}). ` +
      (l.quiet ? `**Quiet run**: under ${pctCore(l.threshold)} of a core at the start and in every scenario.` : `**Not a quiet run**: over ${pctCore(l.threshold)} of a core at the start or in some scenario; figures may be the machine's, not the servers'.`),
    '',
  );
  out.push('| scenario | other processes, mean | peak | kernel threads, mean | seconds |', '|---|---|---|---|---|');
  if (l.atStart !== undefined) out.push(`| (before the run) | ${pctCore(l.atStart.mean)} | ${pctCore(l.atStart.peak)} | ${pctCore(l.atStart.kernel)} | ${l.atStart.seconds.toFixed(0)} |`);
  for (const [name, f] of Object.entries(l.byScenario)) out.push(`| ${name === 'start' ? 'server start (seeding users)' : name} | ${pctCore(f.mean)} | ${pctCore(f.peak)} | ${pctCore(f.kernel)} | ${f.seconds.toFixed(0)} |`);
  out.push('', 'Kernel threads (ksoftirqd, kworkers, the journal) are left out of "other processes": on this machine they carry the bench\'s own loopback traffic and fsyncs. Shown so nothing is hidden.');
  out.push('');
  if (r.problems.length === 0) out.push('**Reliability**: no impossible figure, failed step or lost message in any repetition.', '');
  else {
    out.push(`**Unreliable run**: the problems below; a target whose scenario has one is not met, whatever its figure.`, '');
    // One line per problem, with every scenario it voids.
    const lines = new Map<string, string[]>();
    for (const p of r.problems) {
      const head = `rep ${p.rep}, ${PEER_LABELS[p.who as PeerKey] ?? p.who}|${p.message}`;
      lines.set(head, [...(lines.get(head) ?? []), p.scenario]);
    }
    const shown = [...lines].slice(0, 40);
    for (const [head, scenarios] of shown) {
      const cut = head.indexOf('|');
      out.push(`- ${head.slice(0, cut)}, ${scenarios.join(', ')}: ${head.slice(cut + 1)}`);
    }
    if (lines.size > shown.length) out.push(`- … ${lines.size - shown.length} more in latest.json (\`problems\`)`);
    out.push('');
  }
  return out;
}

/** A headline cell: the median, with the min-max range over the repetitions and a flag when it varies. */
export function cell(r: Results, k: PeerKey, get: (p: PeerResults | undefined) => number | undefined, show: (x: number | undefined) => string): string {
  const s = spread(r.reps.map((rep) => get(rep.peers[k])));
  if (s.n === 0) return show(undefined);
  if (r.reps.length === 1) return show(s.median);
  return `${show(s.median)} (${show(s.min)}–${show(s.max)})${s.varies ? ' ⚠' : ''}`;
}

/** The median over repetitions of Beacon's figure divided by the peer's in the same repetition. */
export function ratioCell(r: Results, get: (p: PeerResults | undefined) => number | undefined, other: PeerKey): string {
  const s = spread(r.reps.map((rep) => ratio(get(rep.peers.beacon), get(rep.peers[other]))));
  if (s.n === 0) return 'n/a';
  return r.reps.length === 1 ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})${s.varies ? ' ⚠' : ''}`;
}

/** Leaves not worth a flag: counts, sizes and settings that do not measure anything. */
const NOT_FIGURES = /(^|\.)(count|connections|subscribers|rate|sent|publishers|publications|batch|rounds|wave|nodes|offeredPerSecond|appends|commits)$|\.offsets\.|serverThreads|cpuSeconds\.|baseline\.|loaded\./;

export function variationSection(r: Results): string[] {
  if (r.reps.length < 2) return ['## Repeatability', '', 'One repetition: no ranges. A full run measures every scenario at least three times.', ''];
  const flagged = leafSpreads(r.reps.map((rep) => rep.peers)).filter((x) => x.varies && !NOT_FIGURES.test(x.path));
  const cluster = leafSpreads(r.reps.map((rep) => rep.cluster)).filter((x) => x.varies && !NOT_FIGURES.test(x.path));
  const out = ['## Repeatability', ''];
  out.push(`Every figure above is the median of ${r.reps.length} repetitions, with the min–max range in brackets; ⚠ marks a figure whose range exceeds ${VARIATION_LIMIT * 100}% of its median. Targets are judged on the median of the ratios taken within each repetition.`, '');
  if (flagged.length + cluster.length === 0) out.push(`No figure varied by more than ${VARIATION_LIMIT * 100}% between repetitions.`, '');
  else {
    out.push(`${flagged.length + cluster.length} figure(s) varied by more than ${VARIATION_LIMIT * 100}%:`, '', '| figure | median | min | max | range / median |', '|---|---|---|---|---|');
    for (const x of [...flagged, ...cluster.map((c) => ({ ...c, path: `cluster.${c.path}` }))]) {
      out.push(`| ${x.path} | ${fmt(x.median)} | ${fmt(x.min)} | ${fmt(x.max)} | ${x.median === 0 ? '∞' : `${Math.round(((x.max - x.min) / Math.abs(x.median)) * 100)}%`} |`);
    }
    out.push('');
  }
  return out;
}
