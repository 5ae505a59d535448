// Draws a machine layout (layout.js) as SVG, and lights up a connection's path through it:
// the current state filled, visited states and traversed arrows emphasised, the latest
// arrow animated. Also builds the same transitions as a table, for screen readers.

import { extractGraph, layoutMachine, prettyEvent } from './layout.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * @param {string} name
 * @param {Record<string, string | number>} [attrs]
 * @param {string} [text]
 */
function svg(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** "after tokenExpiry [tokenExpired]" → "after tokenExpiry": guards aside, as the tracker names events. @param {string} event */
const baseEvent = (event) => event.replace(/ \[[^\]]*\]$/, '');

/** Text widths from the browser's own font metrics. */
function canvasMeasure() {
  const ctx = document.createElement('canvas').getContext('2d');
  /** @param {string} text @param {string} font */
  return (text, font) => {
    if (!ctx) return text.length * 6.2;
    ctx.font = font;
    return ctx.measureText(text).width;
  };
}

/**
 * @param {import('./layout.js').MachineDescription} machine
 * @returns {{ element: SVGSVGElement, highlight(state: string | null, history: import('./tracker.js').Transition[]): void }}
 */
export function drawMachine(machine) {
  const layout = layoutMachine(machine, canvasMeasure());
  const root = /** @type {SVGSVGElement} */ (
    svg('svg', {
      viewBox: `${layout.minX} ${layout.minY} ${layout.width} ${layout.height}`,
      width: Math.ceil(layout.width),
      height: Math.ceil(layout.height),
      role: 'img',
      'aria-labelledby': 'sm-title',
      class: 'sm',
    })
  );
  root.append(svg('title', { id: 'sm-title' }, `State machine "${machine.id}": ${layout.nodes.map((n) => n.id).join(', ')}`));
  const defs = svg('defs');
  /** @type {ReadonlyArray<readonly [string, string]>} */
  const markers = [['sm-arrow', 'sm-arrowhead'], ['sm-arrow-on', 'sm-arrowhead sm-arrowhead--on']];
  for (const [id, cls] of markers) {
    const marker = svg('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }));
    defs.append(marker);
  }
  root.append(defs);

  const edgeLayer = svg('g', { class: 'sm-edges' });
  const nodeLayer = svg('g', { class: 'sm-nodes' });
  const labelLayer = svg('g', { class: 'sm-labels' });
  /** @type {Map<string, SVGGElement>} */
  const edgeEls = new Map();
  for (const e of layout.edges) {
    const g = /** @type {SVGGElement} */ (svg('g', { class: `sm-edge sm-edge--${e.kind}`, 'data-from': e.from, 'data-to': e.to }));
    g.append(svg('path', { d: e.path, class: 'sm-edge-line', 'marker-end': 'url(#sm-arrow)' }));
    edgeLayer.append(g);
    const label = svg('g', { class: 'sm-label', 'data-from': e.from, 'data-to': e.to, transform: `translate(${e.label.x},${e.label.y})` });
    label.append(svg('rect', { width: e.label.w, height: e.label.h, rx: 5, class: 'sm-label-bg' }));
    e.label.lines.forEach((line, i) =>
      label.append(svg('text', { x: 6, y: 3 + 14 * (i + 1) - 3, class: 'sm-label-text', 'data-event': baseEvent(e.events[i] ?? '') }, line)),
    );
    labelLayer.append(label);
    edgeEls.set(`${e.from}\u0000${e.to}`, g);
  }
  /** @type {Map<string, SVGGElement>} */
  const nodeEls = new Map();
  for (const n of layout.nodes) {
    const g = /** @type {SVGGElement} */ (svg('g', { class: `sm-node${n.final ? ' sm-node--final' : ''}`, 'data-state': n.id, transform: `translate(${n.x},${n.y})` }));
    g.append(svg('rect', { width: n.w, height: n.h, rx: 10, class: 'sm-box' }));
    if (n.final) g.append(svg('rect', { x: 3, y: 3, width: n.w - 6, height: n.h - 6, rx: 8, class: 'sm-box-inner' }));
    g.append(svg('circle', { cx: 16, cy: 20, r: 5, class: 'sm-dot' }));
    n.lines.forEach((line, i) => {
      const y = i === 0 ? 25 : 30 + 15 * i;
      g.append(svg('text', { x: i === 0 ? 28 : 12, y, class: `sm-text sm-text--${line.kind}` }, line.text));
    });
    nodeLayer.append(g);
    nodeEls.set(n.id, g);
  }
  root.append(edgeLayer, nodeLayer, labelLayer);
  root.dataset['currentState'] = '';
  // Never drawn larger than laid out, nor so small the text cannot be read (narrow screens
  // scroll it instead); console.css keeps its fonts equal to layout.js's FONT and TITLE_FONT.
  root.style.maxWidth = `${Math.ceil(layout.width)}px`;
  root.style.minWidth = `${Math.ceil(Math.min(layout.width, 640))}px`;

  return {
    element: root,
    highlight(state, history) {
      root.dataset['currentState'] = state ?? '';
      const visited = new Set(history.map((t) => t.to));
      const traversed = new Set(history.filter((t) => t.from !== null).map((t) => `${t.from}\u0000${t.to}`));
      const last = history.at(-1);
      const lastKey = last && last.from !== null ? `${last.from}\u0000${last.to}` : '';
      for (const [id, g] of nodeEls) {
        g.classList.toggle('is-current', id === state);
        g.classList.toggle('is-visited', visited.has(id) && id !== state);
      }
      for (const [key, g] of edgeEls) {
        const on = traversed.has(key);
        g.classList.toggle('is-traversed', on);
        g.classList.toggle('is-last', key === lastKey);
        g.querySelector('path')?.setAttribute('marker-end', on ? 'url(#sm-arrow-on)' : 'url(#sm-arrow)');
      }
      const fired = new Set(history.map((t) => `${t.from}\u0000${t.to}\u0000${baseEvent(t.event)}`));
      for (const label of labelLayer.children) {
        const key = `${label.getAttribute('data-from')}\u0000${label.getAttribute('data-to')}`;
        label.classList.toggle('is-traversed', traversed.has(key));
        for (const text of label.querySelectorAll('text')) text.classList.toggle('is-hit', fired.has(`${key}\u0000${text.getAttribute('data-event')}`));
      }
    },
  };
}

/**
 * Every transition as rows of a table: the diagram's text alternative.
 * @param {import('./layout.js').MachineDescription} machine
 */
export function transitionTable(machine) {
  const graph = extractGraph(machine);
  const table = document.createElement('table');
  table.className = 'data-table';
  const head = table.createTHead().insertRow();
  for (const h of ['From', 'Event', 'To']) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head.append(th);
  }
  const body = table.createTBody();
  /** @param {string} from @param {string} events @param {string} to */
  const row = (from, events, to) => {
    const tr = body.insertRow();
    for (const text of [from, events, to]) tr.insertCell().textContent = text;
  };
  for (const e of graph.edges) row(e.from, e.events.map((event) => prettyEvent(event, e.to)).join(', '), e.to);
  for (const [state, events] of graph.selfEvents) if (events.length) row(state, events.map((event) => prettyEvent(event)).join(', '), `${state} (stays)`);
  for (const a of graph.anyState) row('any state', prettyEvent(a.event), a.to);
  return table;
}
