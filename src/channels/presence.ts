// Channel presence as a fold over subscription changes (what the bus carries): who is
// subscribed to which channel, counted per user (several connections of one user are one
// member), and which channels each connection holds. Mutated in place, like the presence fold.

import type { SubscriptionChange } from '../ports/bus.js';

export interface ChannelMember {
  readonly userId: number;
  readonly username: string;
  /** Subscribed connections of this user on the channel. */
  connections: number;
}

export interface ChannelPresenceState {
  /** channel → userId → member; a channel with no subscriber left is removed. */
  readonly channels: Map<string, Map<number, ChannelMember>>;
  /** sid → channel → userId: each counted subscription once. */
  readonly sids: Map<string, Map<string, number>>;
}

export interface ChannelPresenceView {
  channel: string;
  users: Array<{ username: string; user_id: number; connections: number }>;
  count: number;
}

export function initialChannelPresence(): ChannelPresenceState {
  return { channels: new Map(), sids: new Map() };
}

/** What a change did to the channel's membership: a user's first connection, their last, or neither. */
export type PresenceEffect = 'joined' | 'left' | 'none';

export function evolveChannelPresence(state: ChannelPresenceState, change: SubscriptionChange): PresenceEffect {
  const { channel, sid, userId, username } = change;
  if (change.kind === 'up') {
    let held = state.sids.get(sid);
    // A subscription counts once: a repeated `up` of the same sid and channel changes nothing.
    if (held?.has(channel) === true) return 'none';
    if (held === undefined) state.sids.set(sid, (held = new Map()));
    held.set(channel, userId);
    let members = state.channels.get(channel);
    if (members === undefined) state.channels.set(channel, (members = new Map()));
    const member = members.get(userId);
    if (member !== undefined) {
      member.connections += 1;
      return 'none';
    }
    members.set(userId, { userId, username, connections: 1 });
    return 'joined';
  }
  const held = state.sids.get(sid);
  const heldBy = held?.get(channel);
  if (held === undefined || heldBy === undefined) return 'none';
  held.delete(channel);
  if (held.size === 0) state.sids.delete(sid);
  const members = state.channels.get(channel);
  const member = members?.get(heldBy);
  if (members === undefined || member === undefined) return 'none';
  member.connections -= 1;
  if (member.connections > 0) return 'none';
  members.delete(heldBy);
  if (members.size === 0) state.channels.delete(channel);
  return 'left';
}

/** The `channel_presence` answer, users sorted by username so answers are deterministic. */
export function presenceView(state: ChannelPresenceState, channel: string): ChannelPresenceView {
  const members = state.channels.get(channel);
  const users = members === undefined ? [] : [...members.values()].map((m) => ({ username: m.username, user_id: m.userId, connections: m.connections }));
  users.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  return { channel, users, count: users.length };
}

/** Channels with at least one subscriber: subscribed connections and distinct users, by name. */
export function listChannels(state: ChannelPresenceState): Array<{ channel: string; subscribers: number; users: number }> {
  const list: Array<{ channel: string; subscribers: number; users: number }> = [];
  for (const [channel, members] of state.channels) {
    let subscribers = 0;
    for (const m of members.values()) subscribers += m.connections;
    list.push({ channel, subscribers, users: members.size });
  }
  return list.sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
}

/** The channels one connection is subscribed to, sorted. */
export function channelsOfSid(state: ChannelPresenceState, sid: string): string[] {
  return [...(state.sids.get(sid)?.keys() ?? [])].sort();
}

/** Subscribed connections per namespace (the metrics gauge; never per channel). */
export function subscriptionsByNamespace(state: ChannelPresenceState): Map<string, number> {
  const counts = new Map<string, number>();
  for (const held of state.sids.values()) {
    for (const channel of held.keys()) {
      const ns = channel.slice(0, channel.indexOf(':'));
      counts.set(ns, (counts.get(ns) ?? 0) + 1);
    }
  }
  return counts;
}
