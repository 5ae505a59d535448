// Keeps channel presence current from the bus's subscription changes and turns net
// membership changes into `join` / `leave` announcements for presence namespaces, coalesced
// over the presence feed's window: a storm of N subscribers costs O(N) announcements (one per
// user whose membership changed), and a user who joins and leaves inside a window costs none.

import { PRESENCE_WINDOW_MS, presenceWindowMs, type Timers } from '../actors/presenceFeed.js';
import type { SubscriptionChange } from '../ports/bus.js';
import { evolveChannelPresence, initialChannelPresence, type ChannelPresenceState } from './presence.js';

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
      for (const [userId, before] of users) {
        const isMember = members?.has(userId) === true;
        if (isMember === before.wasMember) continue;
        opts.announce(channel, isMember ? 'join' : 'leave', { channel, username: before.username, user_id: userId });
      }
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
