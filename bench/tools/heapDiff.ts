// `node --import tsx bench/tools/heapDiff.ts BEFORE.heapsnapshot AFTER.heapsnapshot CONNECTIONS [top=30]`:
// where the heap of N more idle connections goes. Snapshots come from
// `npm run bench -- --only=memory --peers=beacon --heap-snapshots=DIR` (probes 2 and 4 are the
// settled readings before and after the connections opened). Prints the self size added per
// connection by node type and constructor name, largest first, with the count per connection;
// `--owners` keys arrays, shapes and strings by what holds them.

import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

type Totals = Map<string, { bytes: number; count: number }>;

/**
 * With `--owners`, nodes without a useful name of their own (arrays, shapes, strings, ...) are
 * keyed by what holds them: the first retainer's constructor and the edge's name.
 */
const byOwner = process.argv.includes('--owners');

function totals(path: string): Totals {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const label = (i: number): string => {
    const type = types[snap.nodes[i + typeAt] as number] ?? '?';
    // Strings and code are grouped by type only: their "names" are their contents.
    const name = type === 'object' || type === 'closure' || type === 'native' ? (snap.strings[snap.nodes[i + nameAt] as number] ?? '?') : '';
    return `${type} ${name}`.trim();
  };
  const owner = new Map<number, string>();
  if (byOwner) {
    const ef = snap.snapshot.meta.edge_fields;
    const edgeTypes = snap.snapshot.meta.edge_types[0];
    const eStride = ef.length;
    const countAt = fields.indexOf('edge_count');
    let e = 0;
    for (let i = 0; i < snap.nodes.length; i += stride) {
      const from = label(i);
      for (let k = 0; k < (snap.nodes[i + countAt] as number); k++, e += eStride) {
        const to = snap.edges[e + 2] as number;
        if (owner.has(to)) continue;
        const et = edgeTypes[snap.edges[e] as number];
        if (et === 'weak') continue;
        const nameOrIndex = snap.edges[e + 1] as number;
        const edge = et === 'element' || et === 'hidden' ? `[${et}]` : (snap.strings[nameOrIndex] ?? '?');
        owner.set(to, `${from} .${edge}`);
      }
    }
  }
  const out: Totals = new Map();
  for (let i = 0; i < snap.nodes.length; i += stride) {
    let key = label(i);
    if (byOwner) key = `${key}  <- ${owner.get(i) ?? '(root)'}`;
    const t = out.get(key) ?? { bytes: 0, count: 0 };
    t.bytes += snap.nodes[i + sizeAt] as number;
    t.count++;
    out.set(key, t);
  }
  return out;
}

const [beforePath, afterPath, connsArg, topArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (beforePath === undefined || afterPath === undefined || connsArg === undefined) {
  process.stderr.write('usage: heapDiff.ts BEFORE.heapsnapshot AFTER.heapsnapshot CONNECTIONS [top]\n');
  process.exit(2);
}
const conns = Number(connsArg);
const before = totals(beforePath);
const after = totals(afterPath);
const rows = [...after].map(([key, a]) => {
  const b = before.get(key) ?? { bytes: 0, count: 0 };
  return { key, bytes: (a.bytes - b.bytes) / conns, count: (a.count - b.count) / conns };
});
rows.sort((x, y) => y.bytes - x.bytes);
const total = rows.reduce((s, r) => s + r.bytes, 0);
process.stdout.write(`self size added per connection: ${total.toFixed(0)} bytes over ${conns} connections\n`);
for (const r of rows.slice(0, Number(topArg ?? 30))) {
  process.stdout.write(`${r.bytes.toFixed(1).padStart(8)} B  ${r.count.toFixed(2).padStart(6)} /conn  ${r.key}\n`);
}
