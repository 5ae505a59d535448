// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof=DIR`): self time by
// function and by file, heaviest first, so a hot spot shows as a number, not a flame graph.
//   node --import tsx bench/tools/profile.ts DIR/xxx.cpuprofile [top=25] [from-to seconds]
// Without a window it first prints a busy-per-second timeline to pick one (e.g. `12-20`).

import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg, windowArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: profile.ts FILE.cpuprofile [top]');
const top = Number(topArg ?? '25');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const [from, to] = (windowArg ?? '0-1e9').split('-').map(Number) as [number, number];
const selfUs = new Map<number, number>();
const busyBySecond: Array<{ busy: number; all: number }> = [];
let t = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  const second = Math.floor(t / 1e6);
  const idle = byId.get(id)?.callFrame.functionName === '(idle)';
  const b = (busyBySecond[second] ??= { busy: 0, all: 0 });
  b.all += dt;
  if (!idle) b.busy += dt;
  if (t / 1e6 >= from && t / 1e6 < to) selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
});
if (windowArg === undefined) {
  console.log('busy per second: ' + busyBySecond.map((b, i) => `${i}:${Math.round((b.busy / Math.max(1, b.all)) * 100)}%`).join(' '));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const short = (url: string): string => url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/').replace(/^node:/, 'node:');
const fnKey = (n: Node): string => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const fileKey = (n: Node): string => {
  const url = short(n.callFrame.url);
  if (url === '') return `(${n.callFrame.functionName})`;
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return m === null ? url : `node_modules/${m[1]}`;
};

function table(title: string, key: (n: Node) => string): void {
  const sums = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node !== undefined) sums.set(key(node), (sums.get(key(node)) ?? 0) + us);
  }
  console.log(`\n${title}`);
  for (const [k, us] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  }
}

console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
table('self time by package / file', fileKey);
table('self time by function', fnKey);
