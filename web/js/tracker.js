// Follows this console's own connection through the server's connection machine
// (connected → registering → authenticated → revoked → closed) from the frames alone, and
// keeps the transitions it went through, named with the machine's own event names so the
// inspector can light up the matching arrows.

import { REVOKING_CODES } from './closeCodes.js';

/**
 * @typedef {{ at: number, from: string | null, to: string, event: string, note?: string }} Transition
 */

export class ConnectionTracker extends EventTarget {
  /** @type {string | null} */
  state = null;
  /** @type {Transition[]} */
  history = [];

  /** A new socket is being opened: a new actor, a new life. */
  reset() {
    this.state = null;
    this.history = [];
    this.#changed();
  }

  /** @param {import('./socket.js').Frame | undefined} frame */
  sent(frame) {
    if (!frame) return;
    if (frame.event === 'register_user' && this.state === 'connected') this.#go('registering', 'register_user');
    else if (frame.event === 'disconnect' && this.#live()) this.#go('closed', 'disconnect');
  }

  /** @param {import('./socket.js').Frame | undefined} frame */
  received(frame) {
    if (!frame) return;
    const data = frame.data ?? {};
    switch (frame.event) {
      case 'connect':
        if (this.state === null) this.#go('connected', 'connect', `sid ${data.sid ?? '?'}`);
        break;
      case 'response':
        this.#response(frame, data);
        break;
      case 'disconnect':
        this.#serverDisconnect(Number(data.code));
        break;
      case 'debug_connection':
        // The server's own word wins: reconcile if the frames misled us.
        if (typeof data.state === 'string' && data.state !== this.state && this.state !== 'closed') {
          this.#go(data.state, 'debug_connection', 'observed');
        }
        break;
      default:
        break;
    }
  }

  /** @param {number} code */
  closed(code) {
    if (this.state !== null && this.state !== 'closed') this.#go('closed', 'SOCKET_CLOSED', `close ${code}`);
  }

  /** @param {import('./socket.js').Frame} frame @param {any} data */
  #response(frame, data) {
    if (data.ok === true) {
      if (data.code === 'registered' && this.state === 'registering') this.#go('authenticated', 'xstate.done.actor.verify');
      else if (data.code === 'token_refreshed' && this.state === 'authenticated') this.#go('authenticated', 'xstate.done.actor.refresh');
      return;
    }
    const code = String(data.code);
    if (code === 'rate_limited' && this.#live()) return this.#go('closed', 'FLOOD');
    if (!REVOKING_CODES.has(code)) return;
    if (this.state === 'registering') {
      this.#go('revoked', code === 'username_mismatch' ? 'xstate.done.actor.verify' : 'xstate.error.actor.verify', code);
    } else if (this.state === 'authenticated') {
      const event = frame.id !== undefined ? 'xstate.error.actor.refresh' : code === 'token_expired' ? 'after tokenExpiry' : 'REVOKE';
      this.#go('revoked', event, code);
    }
  }

  /** @param {number} code */
  #serverDisconnect(code) {
    if (!this.#live()) return;
    if (code === 4000) this.#go('closed', 'after authTimeout');
    else if (code === 1001) this.#go('closed', 'SHUTDOWN');
    else if (code === 4008) this.#go('closed', 'FLOOD');
    else if (code >= 4001 && code <= 4004 && this.state === 'authenticated') this.#go('revoked', 'REVOKE', `close ${code}`);
  }

  #live() {
    return this.state === 'connected' || this.state === 'registering' || this.state === 'authenticated';
  }

  /** @param {string} to @param {string} event @param {string} [note] */
  #go(to, event, note) {
    /** @type {Transition} */
    const t = { at: Date.now(), from: this.state, to, event };
    if (note !== undefined) t.note = note;
    this.history.push(t);
    this.state = to;
    this.#changed();
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('change', { detail: { state: this.state, history: this.history } }));
  }
}
