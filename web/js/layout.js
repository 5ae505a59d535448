// A layered layout of a state machine description (GET /inspect/machine): states become
// boxes stacked by longest path from the initial state, transitions between neighbouring
// layers are short arrows, and every other one is routed in a side lane so nothing crosses
// a box. Pure: text is measured through a function the caller passes. Events and actions
// are shown in words (machineWords.js).

import { actionWords, eventWords } from './machineWords.js';
import { assignLayers, extractGraph } from './machineGraph.js';

export { extractGraph };

/**
 * @typedef {{ entry: string[], on: Record<string, string[]>, after: Array<{ delay: string | number, target: string[], guard?: string }>, invoke: Array<{ id: string, src: string }>, always?: string[], type?: string }} StateView
 * @typedef {{ id: string, initial: string, on: Record<string, string[]>, states: Record<string, StateView> }} MachineDescription
 * @typedef {{ from: string, to: string, events: string[] }} GraphEdge
 * @typedef {{ text: string, kind: 'title' | 'tag' | 'detail' | 'self' }} NodeLine
 * @typedef {{ id: string, layer: number, x: number, y: number, w: number, h: number, lines: NodeLine[], initial: boolean, final: boolean }} LayoutNode
 * @typedef {{ x: number, y: number, w: number, h: number, lines: string[] }} LabelBox
 * @typedef {GraphEdge & { path: string, label: LabelBox, labels: string[], kind: 'adjacent' | 'lane' }} LayoutEdge
 * @typedef {{ width: number, height: number, minX: number, minY: number, nodes: LayoutNode[], edges: LayoutEdge[], anyState: Array<{ event: string, to: string }> }} Layout
 */

export const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const TITLE_FONT = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
/** Arrow labels are measured bold: the line of the event that fired is drawn bold. */
export const LABEL_FONT = '700 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const NODE_W = 236;
const PAD_X = 12;
const LINE_H = 15;
const TITLE_H = 20;
const LABEL_LINE_H = 14;
const LABEL_PAD = 6;
const MIN_GAP = 56;
const LANE_MARGIN = 22;
const MARGIN = 16;

/**
 * An event as the diagram shows it: in words (machineWords.js), not the machine's names.
 * @param {string} event @param {string} [to] the transition's target, for guarded events
 */
export function prettyEvent(event, to) {
  return eventWords(event, to);
}

/** Entry actions and invocations in words, internal bookkeeping left out. @param {string[]} names */
const actionList = (names) => names.map(actionWords).filter((w) => w !== null);

/** @param {string} text @param {string} _font */
const approxMeasure = (text, _font) => text.length * 6.2;

/**
 * Greedy word wrap of "a · b · c" lists to a width.
 * @param {string[]} words @param {number} width @param {(t: string) => number} measure @param {string} prefix
 */
function wrap(words, width, measure, prefix) {
  /** @type {string[]} */
  const lines = [];
  let line = '';
  for (const word of words) {
    const head = lines.length === 0 ? prefix : '';
    const candidate = line === '' ? `${head}${word}` : `${line} · ${word}`;
    if (line !== '' && measure(candidate) > width) {
      lines.push(line);
      line = word;
    } else line = candidate;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** "send, send, close" → "send ×2, close". @param {string[]} names */
function countNames(names) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n));
}

/**
 * @param {MachineDescription} machine
 * @param {(text: string, font: string) => number} [measure]
 * @returns {Layout}
 */
export function layoutMachine(machine, measure = approxMeasure) {
  const m = (/** @type {string} */ t) => measure(t, FONT);
  const graph = extractGraph(machine);
  const layers = assignLayers(graph.names, machine.initial, graph.edges);

  /** @type {Map<string, LayoutNode>} */
  const nodes = new Map();
  for (const name of graph.names) {
    const state = machine.states[name];
    /** @type {NodeLine[]} */
    const lines = [{ text: name, kind: 'title' }];
    const tags = [];
    if (name === machine.initial) tags.push('initial');
    if (state?.type) tags.push(state.type);
    if (tags.length) lines.push({ text: tags.join(' · '), kind: 'tag' });
    const inner = NODE_W - 2 * PAD_X;
    const entry = countNames(actionList(state?.entry ?? []));
    if (entry.length) for (const t of wrap(entry, inner, m, 'on entry: ')) lines.push({ text: t, kind: 'detail' });
    const invoke = actionList((state?.invoke ?? []).map((i) => i.src));
    if (invoke.length) for (const t of wrap(invoke, inner, m, 'meanwhile: ')) lines.push({ text: t, kind: 'detail' });
    const self = (graph.selfEvents.get(name) ?? []).map((event) => prettyEvent(event));
    if (self.length) for (const t of wrap(self, inner, m, '↻ ')) lines.push({ text: t, kind: 'self' });
    const h = 10 + TITLE_H + (lines.length - 1) * LINE_H + 10;
    nodes.set(name, { id: name, layer: layers.get(name) ?? 0, x: 0, y: 0, w: NODE_W, h, lines, initial: name === machine.initial, final: state?.type === 'final' });
  }

  const edgeLabels = (/** @type {GraphEdge} */ e) => e.events.map((event) => prettyEvent(event, e.to));
  const labelSize = (/** @type {string[]} */ lines) => ({
    w: Math.max(...lines.map((t) => measure(t, LABEL_FONT))) + 2 * LABEL_PAD,
    h: lines.length * LABEL_LINE_H + LABEL_PAD,
  });
  const isAdjacent = (/** @type {GraphEdge} */ e) => (nodes.get(e.to)?.layer ?? 0) === (nodes.get(e.from)?.layer ?? 0) + 1;

  // Vertical placement: each gap is tall enough for the labels of the arrows crossing it.
  const layerCount = Math.max(0, ...[...nodes.values()].map((n) => n.layer)) + 1;
  let y = 0;
  for (let l = 0; l < layerCount; l++) {
    const row = [...nodes.values()].filter((n) => n.layer === l);
    const rowH = Math.max(0, ...row.map((n) => n.h));
    const total = row.reduce((s, n) => s + n.w, 0) + (row.length - 1) * 40;
    let x = -total / 2;
    for (const n of row) {
      n.x = x;
      n.y = y + (rowH - n.h) / 2;
      x += n.w + 40;
    }
    const crossing = graph.edges.filter((e) => isAdjacent(e) && nodes.get(e.from)?.layer === l);
    const gap = Math.max(MIN_GAP, ...crossing.map((e) => labelSize(edgeLabels(e)).h + 22));
    y += rowH + gap;
  }

  /** @type {LayoutEdge[]} */
  const out = [];
  // Arrows between neighbouring layers: bottom centre to top centre, ports spread when shared.
  const adjacent = graph.edges.filter(isAdjacent);
  /** @param {string} id @param {'out' | 'in'} dir */
  const portX = (id, dir, /** @type {GraphEdge} */ edge) => {
    const n = /** @type {LayoutNode} */ (nodes.get(id));
    const list = adjacent.filter((e) => (dir === 'out' ? e.from === id : e.to === id));
    const i = list.indexOf(edge);
    return n.x + (n.w * (i + 1)) / (list.length + 1);
  };
  for (const e of adjacent) {
    const a = /** @type {LayoutNode} */ (nodes.get(e.from));
    const b = /** @type {LayoutNode} */ (nodes.get(e.to));
    const x1 = portX(e.from, 'out', e);
    const y1 = a.y + a.h;
    const x2 = portX(e.to, 'in', e);
    const y2 = b.y;
    const my = (y1 + y2) / 2;
    const path = x1 === x2 ? `M${x1},${y1} V${y2}` : `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
    const lines = edgeLabels(e);
    const size = labelSize(lines);
    out.push({ ...e, kind: 'adjacent', labels: lines, path, label: { x: (x1 + x2) / 2 + 8, y: my - size.h / 2, ...size, lines } });
  }

  // Everything else goes round the side in lanes; lanes never share an interval.
  const laneEdges = graph.edges
    .filter((e) => !isAdjacent(e))
    .map((e) => {
      const la = nodes.get(e.from)?.layer ?? 0;
      const lb = nodes.get(e.to)?.layer ?? 0;
      return { e, lo: Math.min(la, lb), hi: Math.max(la, lb), lines: edgeLabels(e) };
    })
    .sort((p, q) => p.hi - p.lo - (q.hi - q.lo) || p.lo - q.lo);
  /** @type {Record<'left' | 'right', Array<Array<{ lo: number, hi: number }>>>} */
  const lanes = { left: [], right: [] };
  /** @type {Array<{ e: GraphEdge, lines: string[], side: 'left' | 'right', lane: number }>} */
  const placed = [];
  for (const item of laneEdges) {
    /** @type {{ side: 'left' | 'right', lane: number, load: number } | undefined} */
    let best;
    for (const side of /** @type {const} */ (['right', 'left'])) {
      const sideLanes = lanes[side];
      let lane = sideLanes.findIndex((iv) => iv.every((o) => item.hi <= o.lo || item.lo >= o.hi));
      if (lane === -1) lane = sideLanes.length;
      const load = sideLanes.reduce((s, iv) => s + iv.length, 0);
      if (!best || lane < best.lane || (lane === best.lane && load < best.load)) best = { side, lane, load };
    }
    const { side, lane } = /** @type {{ side: 'left' | 'right', lane: number, load: number }} */ (best);
    (lanes[side][lane] ??= []).push({ lo: item.lo, hi: item.hi });
    placed.push({ e: item.e, lines: item.lines, side, lane });
  }
  // Lane positions: each lane is as wide as its widest label, so labels never overlap.
  const allNodes = [...nodes.values()];
  // Lanes start clear of the boxes and of the labels of the short arrows.
  const rightBase = Math.max(...allNodes.map((n) => n.x + n.w), ...out.map((e) => e.label.x + e.label.w));
  const leftBase = Math.min(...allNodes.map((n) => n.x), ...out.map((e) => e.label.x));
  /** @type {Record<'left' | 'right', number[]>} */
  const laneX = { left: [], right: [] };
  for (const side of /** @type {const} */ (['right', 'left'])) {
    let edge = side === 'right' ? rightBase + LANE_MARGIN : leftBase - LANE_MARGIN;
    lanes[side].forEach((_, i) => {
      const w = Math.max(24, ...placed.filter((p) => p.side === side && p.lane === i).map((p) => labelSize(p.lines).w));
      const x = side === 'right' ? edge + w / 2 : edge - w / 2;
      laneX[side][i] = x;
      edge = side === 'right' ? x + w / 2 + 12 : x - w / 2 - 12;
    });
  }
  // Ports on box sides, ordered so stubs do not cross the lanes of their neighbours.
  /** @type {Map<string, Array<{ p: typeof placed[number], end: 'from' | 'to', other: LayoutNode }>>} */
  const ports = new Map();
  for (const p of placed) {
    for (const end of /** @type {const} */ (['from', 'to'])) {
      const id = p.e[end];
      const other = /** @type {LayoutNode} */ (nodes.get(end === 'from' ? p.e.to : p.e.from));
      const key = `${id}\u0000${p.side}`;
      if (!ports.has(key)) ports.set(key, []);
      ports.get(key)?.push({ p, end, other });
    }
  }
  /** @type {Map<string, number>} */
  const portY = new Map();
  for (const [key, list] of ports) {
    const id = key.split('\u0000')[0] ?? '';
    const n = /** @type {LayoutNode} */ (nodes.get(id));
    const above = list.filter((q) => q.other.y < n.y).sort((a, b) => a.p.lane - b.p.lane);
    const below = list.filter((q) => q.other.y >= n.y).sort((a, b) => b.p.lane - a.p.lane);
    const ordered = [...above, ...below];
    ordered.forEach((q, i) => portY.set(`${q.end}\u0000${placed.indexOf(q.p)}`, n.y + 12 + ((n.h - 24) * (i + 1)) / (ordered.length + 1)));
  }
  placed.forEach((p, i) => {
    const a = /** @type {LayoutNode} */ (nodes.get(p.e.from));
    const b = /** @type {LayoutNode} */ (nodes.get(p.e.to));
    const y1 = portY.get(`from\u0000${i}`) ?? a.y + a.h / 2;
    const y2 = portY.get(`to\u0000${i}`) ?? b.y + b.h / 2;
    const right = p.side === 'right';
    const x1 = right ? a.x + a.w : a.x;
    const x2 = right ? b.x + b.w : b.x;
    const lx = /** @type {number} */ (laneX[p.side][p.lane]);
    const dir = y2 > y1 ? 1 : -1;
    const r = Math.min(10, Math.abs(y2 - y1) / 2);
    const sx = right ? 1 : -1;
    const path = [
      `M${x1},${y1}`,
      `H${lx - sx * r}`,
      `Q${lx},${y1} ${lx},${y1 + dir * r}`,
      `V${y2 - dir * r}`,
      `Q${lx},${y2} ${lx - sx * r},${y2}`,
      `H${x2}`,
    ].join(' ');
    const size = labelSize(p.lines);
    out.push({ ...p.e, kind: 'lane', labels: p.lines, path, label: { x: lx - size.w / 2, y: (y1 + y2) / 2 - size.h / 2, ...size, lines: p.lines } });
  });

  const boxes = [
    ...allNodes.map((n) => ({ x1: n.x, y1: n.y, x2: n.x + n.w, y2: n.y + n.h })),
    ...out.map((e) => ({ x1: e.label.x, y1: e.label.y, x2: e.label.x + e.label.w, y2: e.label.y + e.label.h })),
    ...Object.values(laneX).flat().map((x) => ({ x1: x, y1: 0, x2: x, y2: 0 })),
  ];
  const minX = Math.min(...boxes.map((b) => b.x1)) - MARGIN;
  const maxX = Math.max(...boxes.map((b) => b.x2)) + MARGIN;
  const minY = Math.min(...boxes.map((b) => b.y1)) - MARGIN;
  const maxY = Math.max(...boxes.map((b) => b.y2)) + MARGIN;
  return { width: maxX - minX, height: maxY - minY, minX, minY, nodes: allNodes, edges: out, anyState: graph.anyState };
}
