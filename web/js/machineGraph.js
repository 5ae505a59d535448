// The graph of a machine description (GET /inspect/machine): states, transitions grouped
// by (from, to), the events a state handles in place, and longest-path layers from the
// initial state. Pure; layout.js turns it into boxes and arrows.

/**
 * @typedef {import('./layout.js').MachineDescription} MachineDescription
 * @typedef {import('./layout.js').GraphEdge} GraphEdge
 */

/**
 * States, transitions grouped by (from, to), and the events each state handles in place.
 * @param {MachineDescription} machine
 */
export function extractGraph(machine) {
  const names = Object.keys(machine.states);
  /** @type {Map<string, GraphEdge>} */
  const edges = new Map();
  /** @type {Map<string, string[]>} */
  const selfEvents = new Map(names.map((n) => [n, []]));
  /** @param {string} from @param {string} to @param {string} event */
  const add = (from, to, event) => {
    if (to === '.' || to === from) {
      const list = selfEvents.get(from);
      if (list && !list.includes(event)) list.push(event);
      return;
    }
    const key = `${from}\u0000${to}`;
    let edge = edges.get(key);
    if (!edge) edges.set(key, (edge = { from, to, events: [] }));
    if (!edge.events.includes(event)) edge.events.push(event);
  };
  for (const name of names) {
    const state = machine.states[name];
    if (!state) continue;
    for (const [event, targets] of Object.entries(state.on ?? {})) for (const t of targets) add(name, t, event);
    for (const a of state.after ?? []) {
      const event = `after ${a.delay}${a.guard ? ` [${a.guard}]` : ''}`;
      for (const t of a.target.length ? a.target : ['.']) add(name, t, event);
    }
    for (const t of state.always ?? []) add(name, t, 'always');
  }
  const anyState = Object.entries(machine.on ?? {}).flatMap(([event, targets]) => targets.map((to) => ({ event, to })));
  return { names, edges: [...edges.values()], selfEvents, anyState };
}

/**
 * Longest-path layers from the initial state, after setting aside the edges that close a cycle.
 * @param {string[]} names @param {string} initial @param {GraphEdge[]} edges
 */
export function assignLayers(names, initial, edges) {
  const order = [initial, ...names.filter((n) => n !== initial)].filter((n) => names.includes(n));
  /** @type {Map<string, number>} 1 visiting, 2 done */
  const mark = new Map();
  /** @type {Set<GraphEdge>} */
  const back = new Set();
  /** @param {string} n */
  const dfs = (n) => {
    mark.set(n, 1);
    for (const e of edges) {
      if (e.from !== n) continue;
      if (mark.get(e.to) === 1) back.add(e);
      else if (!mark.has(e.to)) dfs(e.to);
    }
    mark.set(n, 2);
  };
  for (const n of order) if (!mark.has(n)) dfs(n);
  /** @type {Map<string, number>} */
  const layer = new Map(names.map((n) => [n, 0]));
  for (let round = 0; round < names.length; round++) {
    for (const e of edges) {
      if (back.has(e)) continue;
      const next = (layer.get(e.from) ?? 0) + 1;
      if (next > (layer.get(e.to) ?? 0)) layer.set(e.to, next);
    }
  }
  return layer;
}
