// Memberships projection: who is a member of which channel of a `members` namespace, folded
// from ChannelMemberAdded / ChannelMemberRemoved. Indexed both ways: by channel for
// subscribe and publish checks, by user to find the subscriptions a change affects.

import type { BeaconEvent } from '../types.js';

export interface MemberRecord {
  readonly userId: number;
  /** As recorded at the grant; absent when the grant did not say. */
  readonly username?: string;
}

export interface MembershipsState {
  /** channel → userId → member. A channel with no member left is removed. */
  readonly byChannel: Map<string, Map<number, MemberRecord>>;
  /** userId → the channels they are a member of. A user with none left is removed. */
  readonly byUser: Map<number, Set<string>>;
}

export const membershipsProjection = {
  initial(): MembershipsState {
    return { byChannel: new Map(), byUser: new Map() };
  },
  /** Updates the maps in place (see users.ts for why); deterministic, no I/O. */
  evolve(state: MembershipsState, event: BeaconEvent): MembershipsState {
    switch (event.type) {
      case 'ChannelMemberAdded': {
        const { channel, userId, username } = event.data;
        let members = state.byChannel.get(channel);
        if (members === undefined) state.byChannel.set(channel, (members = new Map()));
        // A repeated grant keeps the user a member once; a username it brings is kept.
        const previous = members.get(userId);
        const name = username ?? previous?.username;
        members.set(userId, name === undefined ? { userId } : { userId, username: name });
        let channels = state.byUser.get(userId);
        if (channels === undefined) state.byUser.set(userId, (channels = new Set()));
        channels.add(channel);
        return state;
      }
      case 'ChannelMemberRemoved': {
        const { channel, userId } = event.data;
        const members = state.byChannel.get(channel);
        // Removing someone who is not a member changes nothing (an admin retry, a race).
        if (members === undefined || !members.delete(userId)) return state;
        if (members.size === 0) state.byChannel.delete(channel);
        const channels = state.byUser.get(userId);
        channels?.delete(channel);
        if (channels?.size === 0) state.byUser.delete(userId);
        return state;
      }
      case 'UserRegistered':
      case 'PasswordRehashed':
      case 'LoginSucceeded':
      case 'LoginFailed':
      case 'LoggedOut':
      case 'TokenRevoked':
      case 'ConnectionAuthenticated':
      case 'ConnectionClosed':
      case 'ServerStarted':
      case 'UserDisabled':
      case 'UserEnabled':
      case 'UserKicked':
      case 'AdminPublished':
        return state;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  },
  isMember(state: MembershipsState, channel: string, userId: number): boolean {
    return state.byChannel.get(channel)?.has(userId) ?? false;
  },
  /** The members of `channel`, by ascending user id. */
  members(state: MembershipsState, channel: string): MemberRecord[] {
    const members = state.byChannel.get(channel);
    return members === undefined ? [] : [...members.values()].sort((a, b) => a.userId - b.userId);
  },
  /** The channels `userId` is a member of, sorted. */
  channelsOf(state: MembershipsState, userId: number): string[] {
    return [...(state.byUser.get(userId) ?? [])].sort();
  },
};
