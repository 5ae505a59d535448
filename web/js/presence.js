// The live online list beside the log: seeded by `online_users`, kept current by the
// `user_status` and `user_count` broadcasts (docs/protocol.md, section 3).

import { h } from './dom.js';

export class Presence {
  /** @type {Map<string, { user_id: number | null, connections: number | null }>} */
  users = new Map();
  /** @type {string | null} */
  me = null;
  /** Told the sorted names after every change, and whether presence is known (connected). @type {((users: string[], connected: boolean) => void) | undefined} */
  onChange;
  #known = false;

  /**
   * @param {{ list: HTMLUListElement, count: HTMLElement, connections: HTMLElement, datalist: HTMLDataListElement }} els
   */
  constructor(els) {
    this.els = els;
  }

  /** @param {{ users?: Array<{ username: string, user_id: number, connections?: number }>, count?: number }} data */
  replace(data) {
    this.users.clear();
    this.#known = true;
    for (const u of data.users ?? []) this.users.set(u.username, { user_id: u.user_id, connections: u.connections ?? null });
    this.els.count.textContent = String(data.count ?? this.users.size);
    this.render();
  }

  /** @param {{ username: string, user_id: number, status: string }} data */
  status(data) {
    if (data.status === 'online') {
      const known = this.users.get(data.username);
      this.users.set(data.username, { user_id: data.user_id, connections: known?.connections ?? null });
    } else this.users.delete(data.username);
    this.render();
  }

  /** @param {{ count: number, connections?: number }} data */
  counts(data) {
    this.els.count.textContent = String(data.count);
    this.els.connections.textContent = data.connections === undefined ? '' : `${data.connections} connection${data.connections === 1 ? '' : 's'}`;
  }

  /** The socket closed: presence is unknown until the next connection. */
  clear() {
    this.users.clear();
    this.#known = false;
    this.els.count.textContent = '0';
    this.els.connections.textContent = '';
    this.render('Not connected: presence shows once you connect and register.');
  }

  /** @param {string} [emptyText] */
  render(emptyText = 'Nobody else is online.') {
    const names = [...this.users.keys()].sort((a, b) => a.localeCompare(b));
    const { list, datalist } = this.els;
    if (names.length === 0) list.replaceChildren(h('li', { className: 'empty', text: emptyText }));
    else {
      list.replaceChildren(
        ...names.map((name) => {
          const info = this.users.get(name);
          const li = h('li', { className: 'online-user', attrs: { 'data-username': name } }, [
            h('span', { className: 'avatar', text: name.slice(0, 1).toUpperCase(), attrs: { 'aria-hidden': 'true' } }),
            h('span', { className: 'online-name', text: name }),
          ]);
          if (name === this.me) li.append(h('span', { className: 'tag', text: 'you' }));
          if (info?.connections) li.append(h('span', { className: 'online-conns', text: `×${info.connections}`, attrs: { title: 'connections' } }));
          return li;
        }),
      );
    }
    datalist.replaceChildren(...names.filter((n) => n !== this.me).map((n) => h('option', { attrs: { value: n } })));
    this.onChange?.(names, this.#known);
  }
}
