// The Channels tab: subscribe, publish, presence, history and unsubscribe on named channels,
// and recovery made visible: every subscription remembers the last {offset, epoch} it saw,
// and when the socket authenticates again it resubscribes with `since` and says what came back.

import { ChannelView, membersOf } from './channelView.js';
import { byId, h } from './dom.js';
import { continuity, endedText, lostText, plural, recoveredText } from './recovery.js';

/** Client events whose failures this tab answers (main.js leaves those responses to it). */
export const CHANNEL_REQUESTS = Object.freeze(new Set(['subscribe', 'unsubscribe', 'publish', 'channel_presence', 'history']));
/** How much history to read back when recovery fails (the contract's largest `limit`). */
const RELOAD_LIMIT = 100;
/** Built-in namespaces, offered as examples in the channel fields. */
const EXAMPLES = ['room:demo', 'room:lobby', 'private:team'];

/**
 * @typedef {import('./channelView.js').Publication} Publication
 * @typedef {{ offset: number, epoch: string }} Position
 * @typedef {{ view: ChannelView, state: import('./channelView.js').SubState, position?: Position, since?: Position, fresh: boolean, members: import('./channelView.js').Members | null }} Sub
 * @typedef {{ event: string, channel: string, reload?: boolean }} Request
 */

export class ChannelsTab {
  /** @type {Map<string, Sub>} */
  subs = new Map();
  /** @type {Map<number, Request>} */
  pending = new Map();
  authenticated = false;

  /** @param {import('./socket.js').BeaconSocket} socket @param {import('./log.js').MessageLog} log */
  constructor(socket, log) {
    this.socket = socket;
    this.log = log;
    this.list = byId('channel-list');
    this.hint = byId('channels-hint');
    this.subscribeInput = /** @type {HTMLInputElement} */ (byId('subscribe-channel'));
    this.resume = /** @type {HTMLInputElement} */ (byId('subscribe-resume'));
    this.publishInput = /** @type {HTMLInputElement} */ (byId('publish-channel'));
    this.publishData = /** @type {HTMLTextAreaElement} */ (byId('publish-data'));
    this.suggestions = /** @type {HTMLDataListElement} */ (byId('channel-suggestions'));
    byId('subscribe-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.subscribe(this.subscribeInput.value.trim(), this.resume.checked);
    });
    byId('publish-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.publish();
    });
    socket.addEventListener('frame', (e) => {
      const { frame } = /** @type {CustomEvent<import('./socket.js').FrameDetail>} */ (e).detail;
      if (frame) this.#frame(frame);
    });
    socket.addEventListener('close', () => this.#closed());
    // Connecting again while connected replaces the socket without a close event: its
    // subscriptions are gone all the same and must resubscribe on the new one.
    socket.addEventListener('open', () => this.#closed());
    this.#render();
  }

  /** @param {string} channel @param {boolean} resume send `since` when this channel was seen before */
  subscribe(channel, resume) {
    if (!channel) return this.#result('subscribe-result', 'error', 'Name a channel: <namespace>:<rest>, e.g. room:demo.');
    const known = this.subs.get(channel);
    if (known && (known.state === 'subscribed' || known.state === 'subscribing')) return this.#result('subscribe-result', 'info', `Already ${known.state} to ${channel}.`);
    const sub = known ?? { view: this.#card(channel), state: 'subscribing', fresh: true, members: null };
    this.subs.set(channel, sub);
    if (!this.#send(sub, channel, resume)) {
      if (!known) this.#forget(channel);
      return this.#result('subscribe-result', 'error', 'Not connected: Connect & Register first (Connection tab).');
    }
    this.#result('subscribe-result', 'info', `Subscribing to ${channel}${sub.since ? ` from #${sub.since.offset}` : ''}…`);
    if (!this.publishInput.value) this.publishInput.value = channel;
    this.#render();
  }

  publish() {
    const channel = this.publishInput.value.trim();
    if (!channel) return this.#result('publish-result', 'error', 'Name the channel to publish to.');
    const text = this.publishData.value;
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
    const id = this.socket.send('publish', { channel, data });
    if (id === undefined) return this.#result('publish-result', 'error', 'Not connected: Connect & Register first (Connection tab).');
    this.pending.set(id, { event: 'publish', channel });
    this.#result('publish-result', 'info', `Publishing to ${channel}…`);
  }

  /** Sends `subscribe`, with `since` when asked and known. @param {Sub} sub @param {string} channel @param {boolean} resume */
  #send(sub, channel, resume) {
    const since = resume ? sub.position : undefined;
    const id = this.socket.send('subscribe', since ? { channel, since } : { channel });
    if (id === undefined) return false;
    this.pending.set(id, { event: 'subscribe', channel });
    sub.since = since;
    this.#setState(channel, sub, 'subscribing');
    return true;
  }

  /** @param {string} event @param {string} channel @param {Record<string, unknown>} [extra] @param {boolean} [reload] */
  #request(event, channel, extra = {}, reload = false) {
    const id = this.socket.send(event, { channel, ...extra });
    if (id === undefined) return this.subs.get(channel)?.view.say('error', 'Not connected.');
    this.pending.set(id, reload ? { event, channel, reload } : { event, channel });
  }

  /** @param {string} channel */
  #card(channel) {
    const view = new ChannelView(channel, {
      presence: () => this.#request('channel_presence', channel),
      history: (limit) => this.#request('history', channel, { limit }),
      unsubscribe: () => this.#request('unsubscribe', channel),
      resubscribe: () => this.subscribe(channel, true),
      forget: () => this.#forget(channel),
    });
    this.list.prepend(view.root);
    return view;
  }

  /** @param {import('./socket.js').Frame} frame */
  #frame(frame) {
    const d = frame.data ?? {};
    const request = frame.id === undefined ? undefined : this.pending.get(frame.id);
    if (request) this.pending.delete(/** @type {number} */ (frame.id));
    if (frame.event === 'response') return this.#response(d, request);
    const sub = typeof d.channel === 'string' ? this.subs.get(d.channel) : undefined;
    if (frame.event === 'published') return this.#result('publish-result', 'ok', `Published to ${d.channel} at offset #${d.offset}.`);
    if (!sub) return;
    switch (frame.event) {
      case 'subscribed':
        return this.#subscribed(d.channel, sub, d);
      case 'publication':
        return this.#accept(sub, d, 'live');
      case 'join':
      case 'leave':
        return this.#presenceChange(sub, frame.event, d);
      case 'channel_presence':
        sub.members = membersOf(d);
        return sub.view.showMembers(sub.members);
      case 'history':
        return request?.reload ? this.#reloaded(sub, d) : sub.view.showHistory(d);
      case 'unsubscribed':
        return this.#unsubscribed(d.channel, sub, String(d.reason ?? 'unknown'));
      default:
        return undefined;
    }
  }

  /** @param {any} d @param {Request | undefined} request */
  #response(d, request) {
    if (d.ok === true && d.code === 'registered') return this.#authenticated();
    if (d.ok !== false || !request) return;
    const why = `${d.code}: ${d.message ?? ''}`;
    const sub = this.subs.get(request.channel);
    if (request.event === 'publish') return this.#result('publish-result', 'error', `Not published to ${request.channel}: ${why}`);
    if (request.event !== 'subscribe') return sub?.view.say('error', `${request.event} refused: ${why}`);
    this.#result('subscribe-result', 'error', `Not subscribed to ${request.channel}: ${why}`);
    if (!sub) return;
    // A name never subscribed leaves no card behind; a lost resubscription stays, to say why.
    if (sub.fresh) return this.#forget(request.channel);
    sub.view.say('error', `Resubscribing failed: ${why}`);
    this.#setState(request.channel, sub, 'failed');
  }

  /** @param {string} channel @param {Sub} sub @param {any} d */
  #subscribed(channel, sub, d) {
    const asked = sub.since;
    sub.since = undefined;
    sub.fresh = false;
    sub.members = membersOf(d.presence);
    sub.view.showMembers(sub.members);
    this.#setState(channel, sub, 'subscribed');
    /** @type {Publication[]} */
    const pubs = Array.isArray(d.publications) ? d.publications : [];
    if (!asked) {
      sub.position = { offset: d.offset, epoch: d.epoch };
      sub.view.say('ok', `Subscribed at offset #${d.offset} (epoch ${d.epoch}).`);
      this.#result('subscribe-result', 'ok', `Subscribed to ${channel}.`);
    } else if (d.recovered === true) {
      const text = recoveredText(asked, pubs);
      sub.view.addNote('recovery', text);
      for (const pub of pubs) this.#accept(sub, { epoch: d.epoch, ...pub }, 'recovered');
      sub.view.say('ok', text);
      this.log.add({ dir: 'sys', title: `${channel}: ${text}` });
      this.#result('subscribe-result', 'ok', `Resubscribed to ${channel}.`);
    } else {
      const text = lostText(asked, d);
      sub.view.say('error', text);
      sub.view.addNote('recovery-failed', text);
      this.log.add({ dir: 'sys', title: `${channel}: recovery failed`, note: text });
      sub.position = { offset: d.offset, epoch: d.epoch };
      this.#request('history', channel, { limit: RELOAD_LIMIT }, true);
    }
    if (sub.position) sub.position = { offset: Math.max(sub.position.offset, d.offset), epoch: d.epoch };
    sub.view.setPosition(sub.position);
  }

  /** Shows one publication and moves the position. @param {Sub} sub @param {Publication} pub @param {import('./channelView.js').PubKind} kind */
  #accept(sub, pub, kind) {
    const at = sub.position;
    const verdict = continuity(at, pub, kind === 'live');
    if (verdict.note) sub.view.addNote(verdict.note.kind, verdict.note.text);
    if (!verdict.show) return;
    sub.view.addPublication(pub, kind);
    sub.position = { offset: pub.offset, epoch: pub.epoch ?? at?.epoch ?? '' };
    sub.view.setPosition(sub.position);
  }

  /** @param {Sub} sub @param {any} d */
  #reloaded(sub, d) {
    /** @type {Publication[]} */
    const pubs = Array.isArray(d.publications) ? d.publications : [];
    sub.view.addNote('reload', `History reloaded: ${plural(pubs.length, 'publication')} (epoch ${d.epoch}).`);
    for (const pub of pubs) sub.view.addPublication({ epoch: d.epoch, ...pub }, 'history');
    sub.view.showHistory(d);
  }

  /** @param {Sub} sub @param {'join' | 'leave'} kind @param {any} d */
  #presenceChange(sub, kind, d) {
    sub.members ??= new Map();
    if (kind === 'join') sub.members.set(d.username, sub.members.get(d.username) ?? { user_id: d.user_id ?? null, connections: null });
    else sub.members.delete(d.username);
    sub.view.showMembers(sub.members);
    sub.view.addNote(kind, `${d.username} ${kind === 'join' ? 'joined' : 'left'}.`);
  }

  /** @param {string} channel @param {Sub} sub @param {string} reason */
  #unsubscribed(channel, sub, reason) {
    sub.members = null;
    sub.view.showMembers(null, 'Not subscribed.');
    if (reason === 'client') {
      this.#setState(channel, sub, 'unsubscribed');
      return sub.view.say('info', `Unsubscribed. Subscribe again resumes from #${sub.position?.offset ?? 0}.`);
    }
    const text = endedText(reason);
    this.#setState(channel, sub, 'ended');
    sub.view.say('error', text);
    sub.view.addNote('unsubscribed', text);
  }

  /** The socket authenticated (again): every subscription that was live resubscribes from where it was. */
  #authenticated() {
    this.authenticated = true;
    for (const [channel, sub] of this.subs) if (sub.state === 'offline') this.#send(sub, channel, true);
    this.#render();
  }

  #closed() {
    this.authenticated = false;
    this.pending.clear();
    for (const [channel, sub] of this.subs) {
      if (sub.state !== 'subscribed' && sub.state !== 'subscribing') continue;
      if (sub.fresh) {
        this.#forget(channel);
        continue;
      }
      this.#setState(channel, sub, 'offline');
      sub.members = null;
      sub.view.showMembers(null, 'Offline: presence shows again after resubscribing.');
      const text = `Disconnected at #${sub.position?.offset ?? 0}: Connect & Register resubscribes from there and shows what was recovered.`;
      sub.view.say('info', text);
      sub.view.addNote('offline', text);
    }
    this.#render();
  }

  /** @param {string} channel @param {Sub} sub @param {import('./channelView.js').SubState} state */
  #setState(channel, sub, state) {
    sub.state = state;
    sub.view.setState(state);
    if (this.subs.get(channel) === sub) this.#render();
  }

  /** @param {string} channel */
  #forget(channel) {
    this.subs.get(channel)?.view.root.remove();
    this.subs.delete(channel);
    this.#render();
  }

  /** @param {string} id @param {'ok' | 'error' | 'info'} kind @param {string} text */
  #result(id, kind, text) {
    const el = byId(id);
    el.dataset['kind'] = kind;
    el.textContent = text;
  }

  #render() {
    this.hint.hidden = this.authenticated;
    byId('channels-empty').hidden = this.subs.size > 0;
    const me = /** @type {HTMLInputElement | null} */ (document.getElementById('ws-username'))?.value.trim();
    const names = new Set([...this.subs.keys(), ...EXAMPLES, ...(me ? [`user:${me}`] : [])]);
    this.suggestions.replaceChildren(...[...names].map((value) => h('option', { attrs: { value } })));
  }
}
