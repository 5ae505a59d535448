// Keeps channel presence current from the bus's subscription changes and turns net
// membership changes into `join` / `leave` announcements for presence namespaces, coalesced
// over the presence feed's window; a user who joins and leaves inside a window costs none.
// A storm (more net changes in one channel's window than CHANNEL_PRESENCE_STORM_CHANGES) is
// announced as ONE `channel_presence` push of the whole member list instead, so N
// subscribers arriving together cost each subscriber one frame per window: O(N) frames in
// all, not N squared.

import { PRESENCE_WINDOW_MS, presenceWindowMs, type Timers } from '../actors/presenceFeed.js';
import { CHANNEL_PRESENCE_STORM_CHANGES } from '../constants.js';
import type { SubscriptionChange } from '../ports/bus.js';
import { evolveChannelPresence, initialChannelPresence, presenceView, type ChannelPresenceState, type ChannelPresenceView } from './presence.js';

export interface ChannelPresenceFeed {
  apply(change: SubscriptionChange): void;
  /** Sends pending announcements now (also what the window timer does). */
  flush(): void;
  /** Drops pending announcements and sends no more (shutting down). */
  stop(): void;
  readonly state: ChannelPresenceState;
}

export interface ChannelPresenceFeedOptions {
  /** To this node's subscribers of `channel` only (every node derives its own). */
  announce(channel: string, event: 'join' | 'leave', data: { channel: string; username: string; user_id: number }): void;
  /** A storm's one announcement: the channel's whole presence, to this node's subscribers. */
  announcePresence(channel: string, view: ChannelPresenceView): void;
  /** Whether the channel's namespace has presence (join/leave); others are folded silently. */
  hasPresence(channel: string): boolean;
  timers: Timers;
  windowMs?: number;
}

export function createChannelPresenceFeed(opts: ChannelPresenceFeedOptions): ChannelPresenceFeed {
  const { timers } = opts;
  const windowMs = opts.windowMs ?? PRESENCE_WINDOW_MS;
  const state = initialChannelPresence();
  /** channel → userId → whether the user was a member when the window opened, and a name. */
  const touched = new Map<string, Map<number, { wasMember: boolean; username: string }>>();
  let timer: unknown = undefined;
  let halted = false;

  function touch(change: SubscriptionChange, wasMember: boolean): void {
    let users = touched.get(change.channel);
    if (users === undefined) touched.set(change.channel, (users = new Map()));
    if (!users.has(change.userId)) users.set(change.userId, { wasMember, username: change.username });
    if (timer === undefined) timer = timers.setTimeout(flush, presenceWindowMs(windowMs, state.sids.size));
  }

  function flush(): void {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
    for (const [channel, users] of touched) {
      const members = state.channels.get(channel);
      const changed: Array<{ userId: number; username: string; joined: boolean }> = [];
      for (const [userId, before] of users) {
        const isMember = members?.has(userId) === true;
        if (isMember !== before.wasMember) changed.push({ userId, username: before.username, joined: isMember });
      }
      if (changed.length > CHANNEL_PRESENCE_STORM_CHANGES) {
        opts.announcePresence(channel, presenceView(state, channel));
        continue;
      }
      for (const c of changed) opts.announce(channel, c.joined ? 'join' : 'leave', { channel, username: c.username, user_id: c.userId });
    }
    touched.clear();
  }

  return {
    apply(change) {
      const wasMember = state.channels.get(change.channel)?.has(change.userId) === true;
      const effect = evolveChannelPresence(state, change);
      if (effect !== 'none' && !halted && opts.hasPresence(change.channel)) touch(change, wasMember);
    },
    flush,
    stop() {
      halted = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      touched.clear();
    },
    get state() {
      return state;
    },
  };
}
