// The Channels tab: subscribe, publish, presence, history and unsubscribe on named channels,
// through the client library's subscriptions (@beacon/client): it remembers each channel's
// last {offset, epoch}, resubscribes `since` it after every reconnect and delivers each
// publication once; this tab shows what came back, and says when recovery failed.

import { ChannelView, membersOf } from './channelView.js';
import { byId, h, showResult } from './dom.js';
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
 * @typedef {{ view: ChannelView, state: import('./channelView.js').SubState, position?: Position, fresh: boolean, members: import('./channelView.js').Members | null }} Sub
 */

/** @param {unknown} error */
const why = (error) => {
  const e = /** @type {{ code?: string, message?: string }} */ (error);
  return `${e.code ?? 'error'}: ${e.message ?? ''}`;
};

export class ChannelsTab {
  /** @type {Map<string, Sub>} */
  subs = new Map();
  authenticated = false;

  /** @param {import('./socket.js').BeaconSocket} socket @param {import('./log.js').MessageLog} log */
  constructor(socket, log) {
    this.client = socket.client;
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
    const c = this.client;
    c.on('subscribed', (d) => this.#subscribed(d));
    c.on('publication', (pub) => {
      const sub = this.subs.get(pub.channel);
      if (sub) this.#accept(sub, pub, pub.recovered ? 'recovered' : 'live');
    });
    c.on('join', (d) => this.#presenceChange('join', d));
    c.on('leave', (d) => this.#presenceChange('leave', d));
    // Under a join/leave storm the server sends the member list instead of one frame per user.
    c.on('channel_presence', (d) => this.#withSub(d.channel, (sub) => sub.view.showMembers((sub.members = membersOf(d)))));
    c.on('unsubscribed', (d) => {
      const sub = this.subs.get(d.channel);
      if (sub) this.#unsubscribed(d.channel, sub, d.reason);
    });
    c.on('authenticated', () => this.#authenticated());
    c.on('disconnected', () => this.#closed());
    this.#render();
  }

  /** @param {string} channel @param {boolean} resume recover from the last position seen, when there is one */
  subscribe(channel, resume) {
    if (!channel) return showResult('subscribe-result', 'error', 'Name a channel: <namespace>:<rest>, e.g. room:demo.');
    const known = this.subs.get(channel);
    if (known && (known.state === 'subscribed' || known.state === 'subscribing')) return showResult('subscribe-result', 'info', `Already ${known.state} to ${channel}.`);
    if (!this.authenticated) return showResult('subscribe-result', 'error', 'Not connected: Connect & Register first (Connection tab).');
    const sub = known ?? { view: this.#card(channel), state: 'subscribing', fresh: true, members: null };
    this.subs.set(channel, sub);
    const since = resume ? sub.position ?? null : null;
    showResult('subscribe-result', 'info', `Subscribing to ${channel}${since ? ` from #${since.offset}` : ''}…`);
    if (!this.publishInput.value) this.publishInput.value = channel;
    this.#setState(channel, sub, 'subscribing');
    this.client.subscribe(channel, { since }).catch((/** @type {unknown} */ error) => {
      showResult('subscribe-result', 'error', `Not subscribed to ${channel}: ${why(error)}`);
      // A name never subscribed leaves no card behind; a lost resubscription stays, to say why.
      if (sub.fresh) return this.#forget(channel);
      sub.view.say('error', `Subscribing failed: ${why(error)}`);
      this.#setState(channel, sub, 'failed');
    });
  }

  publish() {
    const channel = this.publishInput.value.trim();
    if (!channel) return showResult('publish-result', 'error', 'Name the channel to publish to.');
    const text = this.publishData.value;
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
    if (!this.client.active) return showResult('publish-result', 'error', 'Not connected: Connect & Register first (Connection tab).');
    showResult('publish-result', 'info', `Publishing to ${channel}…`);
    this.client.publish(channel, data).then(
      (d) => showResult('publish-result', 'ok', `Published to ${d.channel} at offset #${d.offset}.`),
      (error) => showResult('publish-result', 'error', `Not published to ${channel}: ${why(error)}`),
    );
  }

  /** @param {string} channel */
  #card(channel) {
    const view = new ChannelView(channel, {
      presence: () =>
        this.client.channelPresence(channel).then(
          (d) => this.#withSub(channel, (sub) => sub.view.showMembers((sub.members = membersOf(d)))),
          (error) => this.subs.get(channel)?.view.say('error', `channel_presence refused: ${why(error)}`),
        ),
      history: (limit) =>
        this.client.history(channel, { limit }).then(
          (d) => this.#withSub(channel, (sub) => sub.view.showHistory(d)),
          (error) => this.subs.get(channel)?.view.say('error', `history refused: ${why(error)}`),
        ),
      unsubscribe: () =>
        this.client.unsubscribe(channel).then(
          () => this.#withSub(channel, (sub) => this.#unsubscribed(channel, sub, 'client')),
          (error) => this.subs.get(channel)?.view.say('error', `unsubscribe refused: ${why(error)}`),
        ),
      resubscribe: () => this.subscribe(channel, true),
      forget: () => {
        if (this.subs.get(channel)?.state === 'subscribed') void this.client.unsubscribe(channel).catch(() => {});
        this.#forget(channel);
      },
    });
    this.list.prepend(view.root);
    return view;
  }

  /** @param {string} channel @param {(sub: Sub) => void} fn */
  #withSub(channel, fn) {
    const sub = this.subs.get(channel);
    if (sub) fn(sub);
  }

  /** The library's `subscribed`: a first subscribe, or a resubscription `since` a position. @param {import('../lib/beacon-client.js').SubscribedEvent} d */
  #subscribed(d) {
    const sub = this.subs.get(d.channel);
    if (!sub) return;
    const channel = d.channel;
    sub.fresh = false;
    sub.members = membersOf(d.presence);
    sub.view.showMembers(sub.members);
    this.#setState(channel, sub, 'subscribed');
    if (!d.since) {
      sub.position = { offset: d.offset, epoch: d.epoch };
      sub.view.say('ok', `Subscribed at offset #${d.offset} (epoch ${d.epoch}).`);
      showResult('subscribe-result', 'ok', `Subscribed to ${channel}.`);
    } else if (d.recovered) {
      // The recovered publications follow as `publication` events (recovered: true) and move
      // the position themselves; with none, it moves to the head below.
      const text = recoveredText(d.since, d.publications);
      sub.view.addNote('recovery', text);
      sub.view.say('ok', text);
      this.log.add({ dir: 'sys', title: `${channel}: ${text}` });
      showResult('subscribe-result', 'ok', `Resubscribed to ${channel}.`);
    } else {
      const text = lostText(d.since, d);
      sub.view.say('error', text);
      sub.view.addNote('recovery-failed', text);
      this.log.add({ dir: 'sys', title: `${channel}: recovery failed`, note: text });
      sub.position = { offset: d.offset, epoch: d.epoch };
      this.client.history(channel, { limit: RELOAD_LIMIT }).then(
        (page) => this.#reloaded(sub, page),
        (error) => sub.view.say('error', `history refused: ${why(error)}`),
      );
    }
    if (sub.position && !(d.recovered && d.publications.length > 0)) sub.position = { offset: Math.max(sub.position.offset, d.offset), epoch: d.epoch };
    sub.view.setPosition(sub.position);
  }

  /** Shows one publication and moves the position. @param {Sub} sub @param {Publication} pub @param {import('./channelView.js').PubKind} kind */
  #accept(sub, pub, kind) {
    const at = sub.position;
    // The library delivers each publication once and in order; a note here would mean it did not.
    const verdict = continuity(at, pub, kind === 'live');
    if (verdict.note) sub.view.addNote(verdict.note.kind, verdict.note.text);
    if (!verdict.show) return;
    sub.view.addPublication(pub, kind);
    sub.position = { offset: pub.offset, epoch: pub.epoch ?? at?.epoch ?? '' };
    sub.view.setPosition(sub.position);
  }

  /** @param {Sub} sub @param {{ epoch: string, publications: Publication[] }} d */
  #reloaded(sub, d) {
    const pubs = Array.isArray(d.publications) ? d.publications : [];
    sub.view.addNote('reload', `History reloaded: ${plural(pubs.length, 'publication')} (epoch ${d.epoch}).`);
    for (const pub of pubs) sub.view.addPublication({ epoch: d.epoch, ...pub }, 'history');
    sub.view.showHistory(d);
  }

  /** @param {'join' | 'leave'} kind @param {{ channel: string, username: string, user_id: number }} d */
  #presenceChange(kind, d) {
    const sub = this.subs.get(d.channel);
    if (!sub) return;
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

  /** Authenticated (again): the library resubscribes every live subscription from where it was. */
  #authenticated() {
    this.authenticated = true;
    for (const [channel, sub] of this.subs) if (sub.state === 'offline') this.#setState(channel, sub, 'subscribing');
    this.#render();
  }

  #closed() {
    this.authenticated = false;
    for (const [channel, sub] of this.subs) {
      if (sub.state !== 'subscribed' && sub.state !== 'subscribing') continue;
      if (sub.fresh) continue;
      this.#setState(channel, sub, 'offline');
      sub.members = null;
      sub.view.showMembers(null, 'Offline: presence shows again after resubscribing.');
      const text = `Disconnected at #${sub.position?.offset ?? 0}: on the next connection the client resubscribes from there, and this card shows what was recovered.`;
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

  #render() {
    this.hint.hidden = this.authenticated;
    byId('channels-empty').hidden = this.subs.size > 0;
    const me = /** @type {HTMLInputElement | null} */ (document.getElementById('ws-username'))?.value.trim();
    const names = new Set([...this.subs.keys(), ...EXAMPLES, ...(me ? [`user:${me}`] : [])]);
    this.suggestions.replaceChildren(...[...names].map((value) => h('option', { attrs: { value } })));
  }
}
