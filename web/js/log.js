// The message log (every frame sent and received, HTTP calls, closes in words) and the
// Debug tab's raw frame list. Both are capped so a long session cannot grow the page forever.

import { clock, h, pretty } from './dom.js';

const MAX_ENTRIES = 500;

/** @typedef {'out' | 'in' | 'sys' | 'close' | 'http' | 'error'} Direction */

/** @type {Record<Direction, string>} */
const DIR_LABEL = { out: '↑ sent', in: '↓ received', sys: '• note', close: '✕ closed', http: '⇄ http', error: '! error' };

/** @param {HTMLElement} list */
function trim(list) {
  while (list.children.length > MAX_ENTRIES) list.firstElementChild?.remove();
}

export class MessageLog {
  /** @param {HTMLOListElement} list @param {HTMLInputElement} follow */
  constructor(list, follow) {
    this.list = list;
    this.follow = follow;
  }

  /**
   * @param {{ dir: Direction, title: string, id?: number, body?: unknown, note?: string, at?: number }} entry
   */
  add(entry) {
    const meta = h('div', { className: 'log-meta' }, [
      h('time', { text: clock(entry.at ?? Date.now()), attrs: { datetime: new Date(entry.at ?? Date.now()).toISOString() } }),
      h('span', { className: `log-dir log-dir--${entry.dir}`, text: DIR_LABEL[entry.dir] }),
      h('span', { className: 'log-title', text: entry.title }),
    ]);
    if (entry.id !== undefined) meta.append(h('span', { className: 'log-id', text: `#${entry.id}` }));
    const li = h('li', { className: `log-entry log-entry--${entry.dir}` }, [meta]);
    if (entry.note) li.append(h('p', { className: 'log-note', text: entry.note }));
    const body = pretty(entry.body);
    if (body !== '') li.append(h('pre', { className: 'log-body', text: body }));
    this.list.append(li);
    trim(this.list);
    if (this.follow.checked) this.list.scrollTop = this.list.scrollHeight;
  }

  clear() {
    this.list.replaceChildren();
  }
}

export class RawFrames {
  /** @param {HTMLOListElement} list @param {HTMLElement} counter */
  constructor(list, counter) {
    this.list = list;
    this.counter = counter;
    this.count = 0;
  }

  /** @param {'out' | 'in'} dir @param {string} raw @param {number} at */
  add(dir, raw, at) {
    this.count++;
    this.counter.textContent = String(this.count);
    this.list.append(
      h('li', { className: `frame frame--${dir}` }, [
        h('time', { text: clock(at) }),
        h('span', { className: 'frame-dir', text: dir === 'out' ? '↑' : '↓', attrs: { 'aria-label': dir === 'out' ? 'sent' : 'received' } }),
        h('code', { text: raw }),
      ]),
    );
    trim(this.list);
    this.list.scrollTop = this.list.scrollHeight;
  }

  clear() {
    this.count = 0;
    this.counter.textContent = '0';
    this.list.replaceChildren();
  }
}
