// One subscription's card on the Channels tab: its state and position (offset, epoch), the
// channel's presence, a feed of publications, joins and leaves, and a history reader. DOM
// only: what the frames mean is decided in channels.js.

import { clock, h, pretty } from './dom.js';

/** The feed keeps this many entries, so a busy channel cannot grow the page forever. */
const MAX_FEED = 200;
/** What `history` asks for unless the person says otherwise (the contract allows 1..100). */
const DEFAULT_HISTORY_LIMIT = 20;

/**
 * @typedef {{ username: string, user_id: number }} From
 * @typedef {{ offset: number, epoch?: string, from?: From | null, data?: unknown, ts?: number }} Publication
 * @typedef {'live' | 'recovered' | 'history'} PubKind
 * @typedef {'subscribing' | 'subscribed' | 'offline' | 'unsubscribed' | 'ended' | 'failed'} SubState
 * @typedef {Map<string, { user_id: number | null, connections: number | null }>} Members
 * @typedef {{ presence: () => void, history: (limit: number) => void, unsubscribe: () => void, resubscribe: () => void, forget: () => void }} CardActions
 */

/** @type {Record<SubState, string>} */
const STATE_TEXT = {
  subscribing: 'subscribing…',
  subscribed: 'subscribed',
  offline: 'offline · will resubscribe',
  unsubscribed: 'unsubscribed',
  ended: 'ended by the server',
  failed: 'failed',
};

/** @param {number | undefined} ts */
const timeOf = (ts) => clock(typeof ts === 'number' ? ts : Date.now());

/** Epochs are opaque strings, often long: the start is enough to tell two apart. @param {string} epoch */
const shortEpoch = (epoch) => (epoch.length > 10 ? `${epoch.slice(0, 8)}…` : epoch);

/** @param {string} text @param {string} label @param {string} [className] */
const button = (text, label, className = 'btn btn--small needs-socket') => h('button', { className, text, attrs: { type: 'button', 'aria-label': label } });

/** Channel presence arrives as `{users: [...]}` or as the list itself. @param {unknown} value */
export function membersOf(value) {
  const users = Array.isArray(value) ? value : value && typeof value === 'object' && Array.isArray(/** @type {any} */ (value).users) ? /** @type {any} */ (value).users : null;
  if (!users) return null;
  /** @type {Members} */
  const members = new Map();
  for (const u of users) if (u && typeof u.username === 'string') members.set(u.username, { user_id: u.user_id ?? null, connections: u.connections ?? null });
  return members;
}

export class ChannelView {
  /** @param {string} channel @param {CardActions} actions */
  constructor(channel, actions) {
    this.channel = channel;
    const key = channel.replace(/[^A-Za-z0-9_-]/g, '_');
    this.stateChip = h('span', { className: 'state-chip channel-state', attrs: { 'data-state': 'subscribing' }, text: STATE_TEXT.subscribing });
    this.position = h('span', { className: 'channel-position muted', text: 'no position yet' });
    this.status = h('p', { className: 'form-result channel-status', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.memberCount = h('span', { className: 'count', text: '0', attrs: { 'aria-label': `subscribers of ${channel}` } });
    this.members = h('ul', { className: 'online-list channel-members', attrs: { 'aria-label': `Present on ${channel}` } });
    this.feed = h('ol', { className: 'channel-feed', attrs: { 'aria-label': `Publications on ${channel}, newest last` } });
    this.historyList = h('ol', { className: 'channel-feed channel-history', attrs: { 'aria-label': `History of ${channel}, oldest first` } });
    this.historyNote = h('p', { className: 'card-hint channel-history-note', text: 'Not read yet.' });
    this.limit = h('input', { className: 'channel-limit', attrs: { type: 'number', min: '1', max: '100', value: String(DEFAULT_HISTORY_LIMIT), id: `history-limit-${key}`, inputmode: 'numeric' } });

    this.unsubscribeButton = button('Unsubscribe', `Unsubscribe from ${channel}`, 'btn btn--small btn--danger needs-socket');
    this.unsubscribeButton.addEventListener('click', actions.unsubscribe);
    this.againButton = button('Subscribe again', `Subscribe again to ${channel}`);
    this.againButton.addEventListener('click', actions.resubscribe);
    this.forgetButton = button('Forget', `Forget ${channel}`, 'btn btn--small');
    this.forgetButton.addEventListener('click', actions.forget);
    const presenceButton = button('Refresh presence', `Refresh presence of ${channel}`);
    presenceButton.addEventListener('click', actions.presence);
    const historyButton = button('Load history', `Load history of ${channel}`);
    historyButton.addEventListener('click', () => actions.history(Number(this.limit.value) || DEFAULT_HISTORY_LIMIT));

    const titleId = `channel-title-${key}`;
    this.root = h('section', { className: 'card channel', attrs: { 'data-channel': channel, 'aria-labelledby': titleId } }, [
      h('div', { className: 'card-head' }, [
        h('h2', { className: 'card-title', attrs: { id: titleId } }, [h('code', { text: channel })]),
        h('div', { className: 'channel-head-side' }, [this.stateChip, this.position]),
      ]),
      this.status,
      h('div', { className: 'channel-body' }, [
        h('div', { className: 'channel-main' }, [
          h('h3', { className: 'channel-sub', text: 'Publications and joins' }),
          this.feed,
        ]),
        h('div', { className: 'channel-side' }, [
          h('div', { className: 'channel-sub-head' }, [h('h3', { className: 'channel-sub' }, ['Presence ', this.memberCount]), presenceButton]),
          this.members,
          h('h3', { className: 'channel-sub', text: 'History' }),
          h('div', { className: 'channel-history-form' }, [
            h('div', { className: 'field' }, [h('label', { text: 'Limit (1–100)', attrs: { for: this.limit.id } }), this.limit]),
            historyButton,
          ]),
          this.historyNote,
          this.historyList,
        ]),
      ]),
      h('div', { className: 'actions' }, [this.unsubscribeButton, this.againButton, this.forgetButton]),
    ]);
    this.feed.append(h('li', { className: 'empty', text: 'Nothing published since you subscribed.' }));
    this.showMembers(null);
    this.setState('subscribing');
  }

  /** @param {SubState} state */
  setState(state) {
    this.root.dataset['state'] = state;
    this.stateChip.dataset['state'] = state;
    this.stateChip.textContent = STATE_TEXT[state];
    const live = state === 'subscribed' || state === 'subscribing' || state === 'offline';
    this.unsubscribeButton.hidden = !live;
    this.againButton.hidden = live;
    this.forgetButton.hidden = live;
  }

  /** @param {{ offset: number, epoch: string } | undefined} at */
  setPosition(at) {
    if (!at) return void (this.position.textContent = 'no position yet');
    this.position.textContent = `at #${at.offset} · epoch ${shortEpoch(at.epoch)}`;
    this.position.title = `offset ${at.offset}, epoch ${at.epoch}`;
  }

  /** @param {'ok' | 'error' | 'info'} kind @param {string} text */
  say(kind, text) {
    this.status.dataset['kind'] = kind;
    this.status.textContent = text;
  }

  /** @param {Members | null} members null: the namespace keeps no presence, or it is not known now */
  showMembers(members, emptyText = 'No presence (this namespace keeps none, or you are offline).') {
    this.memberCount.textContent = String(members?.size ?? 0);
    if (!members || members.size === 0) {
      this.members.replaceChildren(h('li', { className: 'empty', text: members ? 'Nobody is subscribed.' : emptyText }));
      return;
    }
    const names = [...members.keys()].sort((a, b) => a.localeCompare(b));
    this.members.replaceChildren(
      ...names.map((name) => {
        const info = members.get(name);
        const li = h('li', { className: 'online-user', attrs: { 'data-username': name } }, [
          h('span', { className: 'avatar', text: name.slice(0, 1).toUpperCase(), attrs: { 'aria-hidden': 'true' } }),
          h('span', { className: 'online-name', text: name }),
        ]);
        if (info?.connections) li.append(h('span', { className: 'online-conns', text: `×${info.connections}`, attrs: { title: 'connections' } }));
        return li;
      }),
    );
  }

  /** @param {Publication} pub @param {PubKind} kind @param {HTMLOListElement} [list] */
  addPublication(pub, kind, list = this.feed) {
    const meta = h('div', { className: 'pub-meta' }, [
      h('span', { className: 'pub-offset', text: `#${pub.offset}` }),
      h('span', { className: 'pub-from', text: pub.from ? pub.from.username : 'server' }),
      h('time', { text: timeOf(pub.ts) }),
    ]);
    if (kind !== 'live') meta.append(h('span', { className: `tag tag--${kind}`, text: kind }));
    if (pub.epoch) meta.append(h('span', { className: 'pub-epoch muted', text: `epoch ${shortEpoch(pub.epoch)}`, attrs: { title: `epoch ${pub.epoch}` } }));
    const li = h('li', { className: 'pub', attrs: { 'data-offset': String(pub.offset), 'data-kind': kind } }, [meta, h('pre', { className: 'pub-data', text: pretty(pub.data) })]);
    this.#append(list, li);
  }

  /** A line between publications: a join, a leave, a recovery, a gap. @param {string} kind @param {string} text */
  addNote(kind, text) {
    this.#append(this.feed, h('li', { className: 'feed-note', attrs: { 'data-kind': kind } }, [h('time', { text: timeOf(undefined) }), ` ${text}`]));
  }

  /** @param {{ epoch?: string, offset?: number, publications?: Publication[] }} data */
  showHistory(data) {
    const pubs = data.publications ?? [];
    this.historyList.replaceChildren();
    for (const pub of pubs) this.addPublication({ epoch: data.epoch, ...pub }, 'history', this.historyList);
    this.historyNote.textContent = `${pubs.length} publication${pubs.length === 1 ? '' : 's'}, oldest first · channel at #${data.offset ?? '?'} · epoch ${data.epoch ?? '?'}`;
  }

  /** @param {HTMLOListElement} list @param {HTMLLIElement} li */
  #append(list, li) {
    for (const empty of list.querySelectorAll(':scope > .empty')) empty.remove();
    list.append(li);
    while (list.children.length > MAX_FEED) list.firstElementChild?.remove();
    list.scrollTop = list.scrollHeight;
  }
}
