// The Inspector tab: the connection machine drawn from GET /inspect/machine with this
// console's own connection lit up, its transition history, and the server's live
// connections from GET /inspect/actors, polled only while the tab is on screen.

import { inspectActors, inspectMachine } from './api.js';
import { drawMachine, transitionTable } from './diagram.js';
import { byId, clock, duration, h } from './dom.js';
import { prettyEvent } from './layout.js';

const POLL_MS = 1500;

/** How to turn inspection on, as nodes (fresh each time: a node lives in one place). */
const offText = () => [
  'Inspection is off on this server. Start Beacon with ',
  h('code', { text: 'INSPECT=1' }),
  ' (or ',
  h('code', { text: 'NODE_ENV=development' }),
  ', as ',
  h('code', { text: 'npm run dev' }),
  ' does) to see the machine and the live connections.',
];

export class Inspector {
  /** @type {ReturnType<typeof drawMachine> | undefined} */
  #diagram;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;
  #visible = false;
  /** The last poll was refused (401): the dot must not say "live". */
  #refused = false;
  #loadingMachine = false;

  /**
   * @param {{ token(): string, whyNoToken(): string, tracker: import('./tracker.js').ConnectionTracker }} deps
   */
  constructor(deps) {
    this.deps = deps;
    this.els = {
      diagram: byId('diagram'),
      machineNotice: byId('machine-notice'),
      anyState: byId('any-state'),
      tableWrap: byId('machine-table-wrap'),
      table: byId('machine-table'),
      ownState: byId('own-state'),
      history: /** @type {HTMLOListElement} */ (byId('history')),
      actorsNotice: byId('actors-notice'),
      actorsTable: byId('actors-table'),
      actorsBody: byId('actors-body'),
      actorsLive: byId('actors-live'),
    };
    deps.tracker.addEventListener('change', () => this.#renderOwn());
    document.addEventListener('visibilitychange', () => this.#schedule(0));
    this.#renderOwn();
  }

  /** The tab was shown or hidden. @param {boolean} visible */
  setVisible(visible) {
    this.#visible = visible;
    if (visible) void this.loadMachine();
    this.#centreCurrent();
    this.#schedule(0);
  }

  /** On a screen narrower than the diagram, scroll the lit box into the middle. */
  #centreCurrent() {
    const box = this.els.diagram;
    const node = box.querySelector('.sm-node.is-current');
    if (!this.#visible || !node || box.scrollWidth <= box.clientWidth) return;
    const n = node.getBoundingClientRect();
    const c = box.getBoundingClientRect();
    box.scrollLeft += n.left + n.width / 2 - (c.left + c.width / 2);
  }

  /** A new token: try again what needed one. */
  tokenChanged() {
    this.#refused = false;
    if (this.#visible) {
      void this.loadMachine();
      this.#schedule(0);
    }
  }

  async loadMachine() {
    if (this.#diagram || this.#loadingMachine) return;
    const token = this.deps.token();
    if (!token) return this.#notice(this.els.machineNotice, 'info', `${this.deps.whyNoToken()} Log in (Connection tab) to load the machine: the inspection endpoints need a token.`);
    this.#loadingMachine = true;
    try {
      const res = await inspectMachine(token);
      if (res.status === 404) return this.#notice(this.els.machineNotice, 'warn', offText());
      if (!res.ok) return this.#notice(this.els.machineNotice, 'error', `Could not load the machine: ${res.status} ${res.body?.error ?? ''} ${res.body?.message ?? ''}`);
      this.#notice(this.els.machineNotice, 'info', '');
      this.#diagram = drawMachine(res.body);
      this.els.diagram.replaceChildren(this.#diagram.element);
      /** @type {Array<[string, string]>} */
      const any = Object.entries(res.body.on ?? {}).flatMap(([event, targets]) => /** @type {string[]} */ (targets).map((t) => /** @type {[string, string]} */ ([event, t])));
      this.els.anyState.replaceChildren(
        ...(any.length ? ['From any state: '] : []),
        ...any.flatMap(([event, to], i) => [...(i ? [', '] : []), h('code', { className: 'any-event', text: `${prettyEvent(event)} → ${to}`, attrs: { 'data-event': event } })]),
        '. Events listed after ↻ are handled without leaving the state.',
      );
      this.els.table.replaceChildren(transitionTable(res.body));
      this.els.tableWrap.hidden = false;
      this.#renderOwn();
    } finally {
      this.#loadingMachine = false;
    }
  }

  #renderOwn() {
    const { state, history } = this.deps.tracker;
    this.#diagram?.highlight(state, history);
    const fired = new Set(history.map((t) => t.event));
    for (const code of this.els.anyState.querySelectorAll('.any-event')) code.classList.toggle('is-hit', fired.has(code.getAttribute('data-event') ?? ''));
    this.#centreCurrent();
    this.els.ownState.textContent = state ?? 'no connection';
    this.els.ownState.dataset['state'] = state ?? '';
    if (history.length === 0) {
      this.els.history.replaceChildren(h('li', { className: 'empty', text: 'Connect to start a history.' }));
      return;
    }
    this.els.history.replaceChildren(
      ...history.map((t) =>
        h('li', { className: 'history-item', attrs: { 'data-to': t.to } }, [
          h('time', { text: clock(t.at) }),
          h('span', { className: 'history-move' }, [
            h('span', { className: 'state-chip', text: t.from ?? 'start', attrs: { 'data-state': t.from ?? '' } }),
            h('span', { className: 'arrow', text: '→', attrs: { 'aria-label': 'to' } }),
            h('span', { className: 'state-chip', text: t.to, attrs: { 'data-state': t.to } }),
          ]),
          h('span', { className: 'history-event', text: prettyEvent(t.event) + (t.note ? ` · ${t.note}` : '') }),
        ]),
      ),
    );
  }

  /** @param {number} delay */
  #schedule(delay) {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const active = this.#visible && document.visibilityState === 'visible';
    // "live" only while the polls can succeed: not without a token, nor with a refused one.
    this.els.actorsLive.hidden = !active || !this.deps.token() || this.#refused;
    if (active) this.#timer = setTimeout(() => void this.#poll(), delay);
  }

  async #poll() {
    const token = this.deps.token();
    let again = true;
    try {
      if (!token) {
        this.#notice(this.els.actorsNotice, 'info', `${this.deps.whyNoToken()} Log in again to see the server's live connections.`);
        this.els.actorsTable.hidden = true;
        return;
      }
      const res = await inspectActors(token);
      if (res.status === 404) {
        // Off is a start-up setting: ask again only when the tab is shown again.
        again = false;
        this.els.actorsLive.hidden = true;
        this.#notice(this.els.actorsNotice, 'warn', offText());
        this.els.actorsTable.hidden = true;
      } else if (res.status === 401) {
        this.#refused = true;
        this.#notice(this.els.actorsNotice, 'warn', `Your token is no longer accepted (${res.body?.error ?? 'unauthorized'}): log in again to keep watching.`);
        this.els.actorsTable.hidden = true;
      } else if (!res.ok) {
        this.#notice(this.els.actorsNotice, 'error', `GET /inspect/actors: ${res.status} ${res.body?.message ?? ''}`);
      } else {
        this.#refused = false;
        this.#notice(this.els.actorsNotice, 'info', '');
        this.#renderActors(res.body.actors ?? []);
      }
    } finally {
      if (again) this.#schedule(POLL_MS);
    }
  }

  /** @param {Array<{ sid: string, state: string, username: string | null, ageMs: number, transport: string }>} actors */
  #renderActors(actors) {
    this.els.actorsTable.hidden = false;
    if (actors.length === 0) {
      this.els.actorsBody.replaceChildren(h('tr', {}, [h('td', { text: 'No live connections.', attrs: { colspan: '4' } })]));
      return;
    }
    this.els.actorsBody.replaceChildren(
      ...actors.map((a) =>
        h('tr', { attrs: { 'data-sid': a.sid } }, [
          h('td', {}, [h('code', { text: a.sid.slice(0, 10), attrs: { title: a.sid } }), h('span', { className: 'muted', text: ` ${a.transport}` })]),
          h('td', { text: a.username ?? '—' }),
          h('td', {}, [h('span', { className: 'state-chip', text: a.state, attrs: { 'data-state': a.state } })]),
          h('td', { text: duration(a.ageMs) }),
        ]),
      ),
    );
  }

  /** @param {HTMLElement} el @param {'info' | 'warn' | 'error'} level @param {string | Array<string | Node>} content */
  #notice(el, level, content) {
    el.hidden = content === '' || content.length === 0;
    el.dataset['level'] = level;
    el.replaceChildren(...(typeof content === 'string' ? [content] : content));
  }
}
