// The Admin tab's live view of the event log (GET /admin/events): the newest events first,
// followed by polling after the last position seen, filtered by type and by user. The
// server never sends a password hash; this view shows what it is sent.

import { adminApi } from './api.js';
import { clock, h } from './dom.js';

/** Events kept on the page: enough to look back, bounded so a busy log cannot grow it forever. */
const KEPT = 500;
const FIRST_PAGE = 200;

/**
 * @typedef {{ position: number, type: string, data: Record<string, any>, recorded_at: number }} LogEvent
 */

/** "by=admin:ab12…" and the other fields, one line. @param {Record<string, any>} data */
function fieldsOf(data) {
  return Object.entries(data)
    .map(([k, v]) => {
      if (k === 'by' && v && typeof v === 'object') return `by ${v.actor}${v.fingerprint ? `:${v.fingerprint}` : ''}`;
      return `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
    })
    .join('  ');
}

export class AdminEvents {
  /** @type {LogEvent[]} newest last */
  #events = [];
  #after = -1;

  /**
   * @param {{ list: HTMLOListElement, type: HTMLSelectElement, user: HTMLInputElement }} els
   */
  constructor(els) {
    this.els = els;
    els.type.addEventListener('change', () => this.render());
    els.user.addEventListener('input', () => this.render());
  }

  /** Starts over (a new key may see another server's log). */
  reset() {
    this.#events = [];
    this.#after = -1;
    this.render();
  }

  /** One poll: the newest page first, then what came after. @param {string} key */
  async poll(key) {
    const path = this.#after < 0 ? `/admin/events?newest=1&limit=${FIRST_PAGE}` : `/admin/events?after=${this.#after}&limit=1000`;
    const res = await adminApi(key, 'GET', path);
    if (!res.ok) return res;
    /** @type {LogEvent[]} */
    const page = res.body.events ?? [];
    this.#events.push(...page);
    if (this.#events.length > KEPT) this.#events.splice(0, this.#events.length - KEPT);
    this.#after = typeof res.body.last_position === 'number' ? res.body.last_position : this.#after;
    if (page.length > 0 || this.els.list.childElementCount === 0) this.render();
    return res;
  }

  render() {
    const types = [...new Set(this.#events.map((e) => e.type))].sort();
    const chosen = this.els.type.value;
    if (types.join() !== [...this.els.type.options].slice(1).map((o) => o.value).join()) {
      this.els.type.replaceChildren(h('option', { text: 'All types', attrs: { value: '' } }), ...types.map((t) => h('option', { text: t, attrs: { value: t } })));
      this.els.type.value = types.includes(chosen) ? chosen : '';
    }
    const type = this.els.type.value;
    const user = this.els.user.value.trim();
    const shown = this.#events
      .filter((e) => type === '' || e.type === type)
      .filter((e) => user === '' || e.data.username === user || String(e.data.userId ?? '') === user)
      .reverse();
    if (shown.length === 0) {
      this.els.list.replaceChildren(h('li', { className: 'empty', text: this.#events.length === 0 ? 'No events yet.' : 'No event matches the filter.' }));
      return;
    }
    this.els.list.replaceChildren(
      ...shown.map((e) =>
        h('li', { className: 'admin-event', attrs: { 'data-type': e.type, 'data-position': String(e.position) } }, [
          h('span', { className: 'admin-event-pos', text: `#${e.position}` }),
          h('time', { text: clock(e.recorded_at), attrs: { datetime: new Date(e.recorded_at).toISOString() } }),
          h('strong', { className: 'admin-event-type', text: e.type }),
          h('span', { className: 'admin-event-data', text: fieldsOf(e.data) }),
        ]),
      ),
    );
  }
}
