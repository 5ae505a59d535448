// The token field of the Connection tab: what the token says (user, expiry, jti), whether
// this tab keeps it (sessionStorage, tokenStore.js), and the Forget token button.

import { peekClaims } from './api.js';
import { byId, clock, duration, h, showResult } from './dom.js';
import { forgetToken, keepToken, keptToken } from './tokenStore.js';

export class TokenField {
  area = /** @type {HTMLTextAreaElement} */ (byId('token'));
  username = /** @type {HTMLInputElement} */ (byId('ws-username'));
  /** Drops the kept token and clears the field (the token itself stays valid until logout or expiry). */
  forgetButton = h('button', { className: 'btn btn--small', text: 'Forget token', attrs: { type: 'button', id: 'forget-token' } });

  /** @param {() => void} changed called whenever the token in the field changes */
  constructor(changed) {
    this.changed = changed;
    byId('token-meta').after(this.forgetButton);
    this.forgetButton.addEventListener('click', () => {
      forgetToken();
      this.area.value = '';
      this.#update();
      showResult('session-result', 'info', 'Token forgotten by this tab. It still works until it expires or you log out: log out first to end it.');
    });
    this.area.addEventListener('input', () => {
      // An edited token is not the one kept: the tab stops keeping it.
      if (keptToken()?.token !== this.value) forgetToken();
      this.#update();
    });
    const kept = keptToken();
    if (kept !== undefined) {
      this.area.value = kept.token;
      this.username.value = kept.username;
      showResult('session-result', 'info', `Token of ${kept.username} restored for this tab (sessionStorage): Connect & Register to use it, or Forget token.`);
    }
    this.show();
  }

  get value() {
    return this.area.value.trim();
  }

  /** A login's token: shown, and kept for this tab. @param {string} token @param {string} username */
  set(token, username) {
    this.area.value = token;
    this.username.value = username;
    keepToken({ token, username });
    this.#update();
  }

  /** The token is dead (logged out): the tab stops keeping it. */
  dropKept() {
    forgetToken();
    this.forgetButton.hidden = true;
  }

  #update() {
    this.show();
    this.changed();
  }

  show() {
    const t = this.value;
    const meta = byId('token-meta');
    this.forgetButton.hidden = keptToken() === undefined;
    if (!t) return void (meta.textContent = 'No token yet.');
    const claims = peekClaims(t);
    if (!claims) return void (meta.textContent = 'This does not look like a JWT; the server will decide.');
    const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : undefined;
    const left = exp === undefined ? '' : exp < Date.now() ? ' · expired' : ` · expires ${clock(exp).slice(0, 5)} (in ${duration(exp - Date.now())})`;
    const kept = keptToken()?.token === t ? ' · kept for this tab (sessionStorage) until it is closed or you forget it' : '';
    meta.textContent = `${claims['username'] ?? '?'} · user ${claims['user_id'] ?? '?'}${left} · jti ${String(claims['jti'] ?? '?').slice(0, 8)}…${kept}`;
    const pill = byId('user-pill');
    pill.textContent = `Token: ${claims['username'] ?? '?'}`;
    pill.hidden = false;
    if (!this.username.value && typeof claims['username'] === 'string') this.username.value = claims['username'];
  }
}
