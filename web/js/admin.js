// The Admin tab: the operator's console over the admin API (docs/protocol.md, section 7).
// The key is entered once and kept for this tab only (adminKey.js); live connections
// refresh while the tab is on screen, each with kick / revoke / disable behind a
// confirmation; forms publish as the server, grant and remove members, enable accounts;
// and the event log is followed live (adminEvents.js).

import { adminApi } from './api.js';
import { adminKey } from './adminKey.js';
import { AdminEvents } from './adminEvents.js';
import { byId, h } from './dom.js';

const POLL_MS = 2000;
const seg = encodeURIComponent;

/** What each user action does, for the confirmation and the result line. */
const ACTIONS = Object.freeze({
  disconnect: { verb: 'Kick', warn: 'closes every connection of {u} (close 4005). The token stays valid: they may reconnect.' },
  revoke: { verb: 'Revoke', warn: "revokes {u}'s token: their connections close (4001) and they must log in again." },
  disable: { verb: 'Disable', warn: 'disables {u}: the token is revoked, connections close (4006) and logins are refused until enabled.' },
  enable: { verb: 'Enable', warn: 'lets {u} log in again.' },
});

/** @typedef {keyof typeof ACTIONS} UserAction */

export class AdminTab {
  #visible = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;

  /** @param {{ log: import('./log.js').MessageLog }} deps */
  constructor(deps) {
    this.log = deps.log;
    const el = byId;
    this.els = {
      keyInput: /** @type {HTMLInputElement} */ (el('admin-key')),
      keyResult: el('admin-key-result'),
      live: el('admin-live'),
      notice: el('admin-conn-notice'),
      table: el('admin-conn-table'),
      body: el('admin-conn-body'),
      user: /** @type {HTMLInputElement} */ (el('admin-user')),
      userResult: el('admin-user-result'),
      dialog: /** @type {HTMLDialogElement} */ (el('admin-confirm')),
      dialogTitle: el('admin-confirm-title'),
      dialogText: el('admin-confirm-text'),
    };
    this.events = new AdminEvents({
      list: /** @type {HTMLOListElement} */ (el('admin-events')),
      type: /** @type {HTMLSelectElement} */ (el('admin-events-type')),
      user: /** @type {HTMLInputElement} */ (el('admin-events-user')),
    });

    el('admin-key-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const key = this.els.keyInput.value.trim();
      this.els.keyInput.value = '';
      adminKey.set(key);
    });
    el('admin-key-forget').addEventListener('click', () => adminKey.clear());
    adminKey.addEventListener('change', () => {
      this.events.reset();
      this.#showKeyState();
      this.#schedule(0);
    });
    for (const action of /** @type {UserAction[]} */ (Object.keys(ACTIONS))) {
      el(`admin-user-${action}`).addEventListener('click', () => {
        const username = this.els.user.value.trim();
        if (!username) return this.#result(this.els.userResult, 'error', 'Enter a username first.');
        void this.userAction(action, username);
      });
    }
    el('admin-user-form').addEventListener('submit', (e) => e.preventDefault());
    el('admin-publish-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#publish();
    });
    el('admin-member-form').addEventListener('submit', (e) => e.preventDefault());
    el('admin-member-grant').addEventListener('click', () => void this.#membership('PUT'));
    el('admin-member-remove').addEventListener('click', () => void this.#membership('DELETE'));
    this.#showKeyState();
  }

  /** @param {boolean} visible */
  setVisible(visible) {
    this.#visible = visible;
    this.#schedule(0);
  }

  #showKeyState() {
    const set = adminKey.value !== '';
    this.#result(this.els.keyResult, set ? 'ok' : 'info', set ? 'A key is set for this tab.' : 'No key yet: the live views below need one.');
  }

  /** @param {number} delay */
  #schedule(delay) {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const active = this.#visible && document.visibilityState === 'visible' && adminKey.value !== '';
    this.els.live.hidden = !active;
    if (active) this.#timer = setTimeout(() => void this.#poll(), delay);
  }

  async #poll() {
    const key = adminKey.value;
    try {
      const [connections, events] = await Promise.all([adminApi(key, 'GET', '/admin/connections'), this.events.poll(key)]);
      if (connections.ok) {
        this.#notice('');
        this.#renderConnections(connections.body.connections ?? []);
      } else {
        this.els.table.hidden = true;
        this.#notice(this.#why(connections));
      }
      if (!events.ok && connections.ok) this.#notice(this.#why(events));
    } finally {
      this.#schedule(POLL_MS);
    }
  }

  /** @param {import('./api.js').ApiResult} res */
  #why(res) {
    if (res.status === 401) return 'The server refused this key (invalid_api_key): enter the right one.';
    // unknown_user / unknown_channel are 404s too: only a bare not_found means "no such route here".
    if (res.status === 404 && res.body?.error === 'not_found') return 'Not available on this server: the admin API needs ADMIN_API_KEY (or ADMIN_API_KEY_FILE, or npm run dev).';
    return `${res.status} ${res.body?.error ?? ''}: ${res.body?.message ?? ''}`;
  }

  /** @param {string} text */
  #notice(text) {
    this.els.notice.hidden = text === '';
    this.els.notice.dataset['level'] = 'warn';
    this.els.notice.textContent = text;
  }

  /** @param {Array<{ sid: string, username: string | null, node: string, transport: string, remote_address: string, channels: string[], state: string }>} rows */
  #renderConnections(rows) {
    this.els.table.hidden = false;
    if (rows.length === 0) {
      this.els.body.replaceChildren(h('tr', {}, [h('td', { text: 'No live connections.', attrs: { colspan: '7' } })]));
      return;
    }
    this.els.body.replaceChildren(
      ...rows.map((c) => {
        const buttons = c.username === null ? [h('span', { className: 'muted', text: 'not logged in' })] : (['disconnect', 'revoke', 'disable'].map((a) => this.#rowButton(/** @type {UserAction} */ (a), /** @type {string} */ (c.username))));
        return h('tr', { attrs: { 'data-sid': c.sid, 'data-username': c.username ?? '' } }, [
          h('td', { text: c.username ?? '—' }),
          h('td', { text: c.node }),
          h('td', { text: c.transport }),
          h('td', { text: c.remote_address }),
          h('td', { text: c.channels.length ? c.channels.join(', ') : '—' }),
          h('td', {}, [h('span', { className: 'state-chip', text: c.state, attrs: { 'data-state': c.state } })]),
          h('td', { className: 'admin-row-actions' }, buttons),
        ]);
      }),
    );
  }

  /** @param {UserAction} action @param {string} username */
  #rowButton(action, username) {
    const b = h('button', { className: `btn btn--small${action === 'disable' ? ' btn--danger' : ''}`, text: ACTIONS[action].verb, attrs: { type: 'button', 'aria-label': `${ACTIONS[action].verb} ${username}` } });
    b.addEventListener('click', () => void this.userAction(action, username));
    return b;
  }

  /** Asks first, then acts. @param {UserAction} action @param {string} username */
  async userAction(action, username) {
    const { verb, warn } = ACTIONS[action];
    if (!(await this.#confirm(`${verb} ${username}?`, `This ${warn.replace('{u}', username)}`, verb))) {
      return this.#result(this.els.userResult, 'info', `${verb} ${username}: cancelled.`);
    }
    const res = await this.#call('POST', `/admin/users/${seg(username)}/${action}`, {});
    const said = action === 'disconnect' ? `closed ${res.body?.closed ?? 0} connection(s)` : action === 'revoke' ? `revoked ${res.body?.revoked ?? 0} token(s)` : action === 'disable' ? 'account disabled' : 'account enabled';
    this.#result(this.els.userResult, res.ok ? 'ok' : 'error', res.ok ? `${verb} ${username}: ${said}.` : `${verb} ${username}: ${this.#why(res)}`);
    this.#schedule(0);
  }

  async #publish() {
    const channel = /** @type {HTMLInputElement} */ (byId('admin-publish-channel')).value.trim();
    const text = /** @type {HTMLTextAreaElement} */ (byId('admin-publish-data')).value;
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
    const res = await this.#call('POST', '/admin/publish', { channel, data });
    this.#result(byId('admin-publish-result'), res.ok ? 'ok' : 'error', res.ok ? `Published to ${res.body.channel} at offset ${res.body.offset}.` : this.#why(res));
  }

  /** @param {'PUT' | 'DELETE'} method */
  async #membership(method) {
    const channel = /** @type {HTMLInputElement} */ (byId('admin-member-channel')).value.trim();
    const username = /** @type {HTMLInputElement} */ (byId('admin-member-user')).value.trim();
    const out = byId('admin-member-result');
    if (!channel || !username) return this.#result(out, 'error', 'Enter a channel and a username.');
    if (method === 'DELETE' && !(await this.#confirm(`Remove ${username} from ${channel}?`, `Their subscriptions to ${channel} end at once.`, 'Remove'))) return;
    const res = await this.#call(method, `/admin/channels/${seg(channel)}/members/${seg(username)}`);
    this.#result(out, res.ok ? 'ok' : 'error', res.ok ? `${username} is ${res.body.member ? 'now a member of' : 'no longer a member of'} ${channel}.` : this.#why(res));
  }

  /** One admin call, logged (the route and answer, never the key). @param {string} method @param {string} path @param {unknown} [body] */
  async #call(method, path, body) {
    const key = adminKey.value;
    if (!key) return { ok: false, status: 0, body: { error: 'no_key', message: 'Enter the admin key first.' } };
    const res = await adminApi(key, method, path, body);
    this.log.add({ dir: 'http', title: `${method} ${path} → ${res.status}`, body: res.body });
    return res;
  }

  /** A modal confirmation; resolves true when confirmed. @param {string} title @param {string} text @param {string} verb */
  #confirm(title, text, verb) {
    const { dialog } = this.els;
    this.els.dialogTitle.textContent = title;
    this.els.dialogText.textContent = text;
    byId('admin-confirm-ok').textContent = verb;
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
      dialog.returnValue = '';
      dialog.showModal();
    });
  }

  /** @param {HTMLElement} el @param {'ok' | 'error' | 'info'} kind @param {string} text */
  #result(el, kind, text) {
    el.dataset['kind'] = kind;
    el.textContent = text;
  }
}
