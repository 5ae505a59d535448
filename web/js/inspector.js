// The Inspector tab: the connection machine drawn from GET /inspect/machine (public), with
// zoom and pan; lit up by this console's own connection, or by any live server connection
// picked from GET /inspect/actors (an operator's view: it asks with the admin key from the
// Admin tab), whose recent transitions the server keeps. Polled only while on screen.

import { inspectActors, inspectMachine } from './api.js';
import { drawMachine, transitionTable } from './diagram.js';
import { byId, clock, duration, h } from './dom.js';
import { prettyEvent } from './layout.js';
import { attachZoomPan } from './zoomPan.js';

const POLL_MS = 1500;

/** How to turn live inspection on, as nodes (fresh each time: a node lives in one place). */
const offText = () => [
  'Live inspection is off on this server. It needs ',
  h('code', { text: 'INSPECT=1' }),
  ' and an admin key (',
  h('code', { text: 'ADMIN_API_KEY' }),
  '); ',
  h('code', { text: 'npm run dev' }),
  ' (NODE_ENV=development) turns both on and writes the key to ',
  h('code', { text: 'data/admin-api.key' }),
  '.',
];

/**
 * @typedef {import('./tracker.js').Transition} Transition
 * @typedef {{ sid: string, state: string, username: string | null, ageMs: number, transport: string }} Actor
 */

export class Inspector {
  /** @type {ReturnType<typeof drawMachine> | undefined} */
  #diagram;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;
  #visible = false;
  /** The last poll was refused (401): the "live" dot stays off until the key changes. */
  #refused = false;
  #loadingMachine = false;
  /** The server connection picked in the table, or null for this console's own. @type {string | null} */
  #picked = null;
  /** @type {{ state: string | null, history: Transition[], label: string } | null} */
  #pickedView = null;

  /**
   * @param {{ tracker: import('./tracker.js').ConnectionTracker, adminKey: { readonly value: string } & EventTarget }} deps
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
      historyTitle: byId('history-title'),
      history: /** @type {HTMLOListElement} */ (byId('history')),
      backToOwn: /** @type {HTMLButtonElement} */ (byId('inspect-own')),
      actorsNotice: byId('actors-notice'),
      actorsTable: byId('actors-table'),
      actorsBody: byId('actors-body'),
      actorsLive: byId('actors-live'),
      zoomIn: /** @type {HTMLButtonElement} */ (byId('zoom-in')),
      zoomOut: /** @type {HTMLButtonElement} */ (byId('zoom-out')),
      zoomFit: /** @type {HTMLButtonElement} */ (byId('zoom-fit')),
    };
    deps.tracker.addEventListener('change', () => this.#render());
    deps.adminKey.addEventListener('change', () => {
      this.#refused = false;
      this.#schedule(0);
    });
    document.addEventListener('visibilitychange', () => this.#schedule(0));
    this.els.backToOwn.addEventListener('click', () => this.#pick(null));
    this.#render();
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

  /** Kept for the console's callers: the machine needs no token any more. */
  tokenChanged() {
    if (this.#visible) void this.loadMachine();
  }

  async loadMachine() {
    if (this.#diagram || this.#loadingMachine) return;
    this.#loadingMachine = true;
    try {
      const res = await inspectMachine();
      if (!res.ok) return this.#notice(this.els.machineNotice, 'error', `Could not load the machine: ${res.status} ${res.body?.error ?? ''} ${res.body?.message ?? ''}`);
      this.#notice(this.els.machineNotice, 'info', '');
      this.#diagram = drawMachine(res.body);
      this.els.diagram.replaceChildren(this.#diagram.element);
      const zoom = attachZoomPan(this.#diagram.element, this.els.diagram);
      this.els.zoomIn.onclick = () => zoom.zoomIn();
      this.els.zoomOut.onclick = () => zoom.zoomOut();
      this.els.zoomFit.onclick = () => zoom.fit();
      for (const b of [this.els.zoomIn, this.els.zoomOut, this.els.zoomFit]) b.disabled = false;
      /** @type {Array<[string, string]>} */
      const any = Object.entries(res.body.on ?? {}).flatMap(([event, targets]) => /** @type {string[]} */ (targets).map((t) => /** @type {[string, string]} */ ([event, t])));
      this.els.anyState.replaceChildren(
        ...(any.length ? ['From any state: '] : []),
        ...any.flatMap(([event, to], i) => [...(i ? [', '] : []), h('code', { className: 'any-event', text: `${prettyEvent(event, to)} → ${to}`, attrs: { 'data-event': event } })]),
        '. Events listed after ↻ are handled without leaving the state.',
      );
      this.els.table.replaceChildren(transitionTable(res.body));
      this.els.tableWrap.hidden = false;
      this.#render();
    } finally {
      this.#loadingMachine = false;
    }
  }

  /** Shows a server connection (sid) in the diagram, or this console's own (null). @param {string | null} sid */
  #pick(sid) {
    this.#picked = sid;
    this.#pickedView = null;
    this.#render();
    this.#schedule(0);
  }

  #render() {
    const own = this.deps.tracker;
    const view = this.#picked !== null && this.#pickedView ? this.#pickedView : { state: own.state, history: own.history, label: '' };
    const { state, history } = view;
    this.#diagram?.highlight(state, history);
    const fired = new Set(history.map((t) => t.event));
    for (const code of this.els.anyState.querySelectorAll('.any-event')) code.classList.toggle('is-hit', fired.has(code.getAttribute('data-event') ?? ''));
    this.#centreCurrent();
    this.els.ownState.textContent = state ?? 'no connection';
    this.els.ownState.dataset['state'] = state ?? '';
    this.els.historyTitle.textContent = this.#picked === null ? "This console's connection: transitions" : `Server connection ${view.label}: transitions`;
    this.els.backToOwn.hidden = this.#picked === null;
    for (const row of this.els.actorsBody.querySelectorAll('tr[data-sid]')) row.classList.toggle('is-picked', row.getAttribute('data-sid') === this.#picked);
    if (history.length === 0) {
      const empty = this.#picked === null ? 'Connect to start a history.' : 'No transitions recorded for this connection yet.';
      this.els.history.replaceChildren(h('li', { className: 'empty', text: empty }));
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
          h('span', { className: 'history-event', text: prettyEvent(t.event, t.to) + (t.note ? ` · ${t.note}` : '') }),
        ]),
      ),
    );
  }

  /** @param {number} delay */
  #schedule(delay) {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const active = this.#visible && document.visibilityState === 'visible';
    // "live" only while the polls can succeed: not without an admin key, nor with a refused one.
    this.els.actorsLive.hidden = !active || !this.deps.adminKey.value || this.#refused;
    if (active) this.#timer = setTimeout(() => void this.#poll(), delay);
  }

  async #poll() {
    const key = this.deps.adminKey.value;
    let again = true;
    try {
      if (!key) {
        again = false;
        this.#notice(this.els.actorsNotice, 'info', 'The server\u2019s live connections are an operator\u2019s view: enter the admin key on the Admin tab to see them here.');
        this.els.actorsTable.hidden = true;
        return;
      }
      const res = await inspectActors(key, this.#picked ?? undefined);
      if (res.status === 404) {
        // Off is a start-up setting: ask again only when the tab is shown again.
        again = false;
        this.els.actorsLive.hidden = true;
        this.#notice(this.els.actorsNotice, 'warn', offText());
        this.els.actorsTable.hidden = true;
      } else if (res.status === 401) {
        again = false;
        this.#refused = true;
        this.els.actorsLive.hidden = true;
        this.#notice(this.els.actorsNotice, 'warn', 'The server refused the admin key: enter the right one on the Admin tab.');
        this.els.actorsTable.hidden = true;
      } else if (!res.ok) {
        this.#notice(this.els.actorsNotice, 'error', `GET /inspect/actors: ${res.status} ${res.body?.message ?? ''}`);
      } else {
        this.#refused = false;
        this.#notice(this.els.actorsNotice, 'info', '');
        /** @type {Actor[]} */
        const actors = res.body.actors ?? [];
        this.#renderActors(actors);
        if (this.#picked !== null) this.#showPicked(actors, res.body.transitions ?? []);
      }
    } finally {
      if (again) this.#schedule(POLL_MS);
    }
  }

  /** @param {Actor[]} actors @param {Transition[]} transitions */
  #showPicked(actors, transitions) {
    const actor = actors.find((a) => a.sid === this.#picked);
    const label = `${(this.#picked ?? '').slice(0, 10)}${actor?.username ? ` (${actor.username})` : ''}`;
    // Gone: it closed. Its last known transitions stay on screen, ending in closed.
    const state = actor?.state ?? 'closed';
    this.#pickedView = { state, history: transitions.length ? transitions : (this.#pickedView?.history ?? []), label };
    this.#render();
  }

  /** @param {Actor[]} actors */
  #renderActors(actors) {
    this.els.actorsTable.hidden = false;
    if (actors.length === 0) {
      this.els.actorsBody.replaceChildren(h('tr', {}, [h('td', { text: 'No live connections.', attrs: { colspan: '5' } })]));
      return;
    }
    this.els.actorsBody.replaceChildren(
      ...actors.map((a) => {
        const show = h('button', { className: 'btn btn--small', text: 'Show', attrs: { type: 'button', 'aria-label': `Show connection ${a.sid.slice(0, 10)}${a.username ? ` of ${a.username}` : ''} in the diagram` } });
        show.addEventListener('click', () => this.#pick(a.sid));
        return h('tr', { attrs: { 'data-sid': a.sid, class: a.sid === this.#picked ? 'is-picked' : '' } }, [
          h('td', {}, [h('code', { text: a.sid.slice(0, 10), attrs: { title: a.sid } }), h('span', { className: 'muted', text: ` ${a.transport}` })]),
          h('td', { text: a.username ?? '—' }),
          h('td', {}, [h('span', { className: 'state-chip', text: a.state, attrs: { 'data-state': a.state } })]),
          h('td', { text: duration(a.ageMs) }),
          h('td', {}, [show]),
        ]);
      }),
    );
  }

  /** @param {HTMLElement} el @param {'info' | 'warn' | 'error'} level @param {string | Array<string | Node>} content */
  #notice(el, level, content) {
    el.hidden = content === '' || content.length === 0;
    el.dataset['level'] = level;
    el.replaceChildren(...(typeof content === 'string' ? [content] : content));
  }
}
