// Presence as a pure fold over the event log: who is online and with how many
// connections. `ServerStarted` empties it, so after a restart nobody is online until
// they connect again (docs/protocol.md §4).

import type { BeaconEvent } from '../events/index.js';

export interface OnlineUser {
  readonly userId: number;
  readonly username: string;
  /** Live authenticated connections of this user. */
  connections: number;
}

/**
 * The fold's state. For O(1) updates under connection storms, `evolve` mutates these
 * Maps in place and returns the same object (a new one only for `ServerStarted`); callers
 * treat the state as owned by the fold. The result is still a deterministic function of
 * the events folded, with no I/O.
 */
export interface PresenceState {
  /** userId → the user's presence; present only while connections > 0. */
  readonly users: Map<number, OnlineUser>;
  /** sid → userId, for every counted connection. */
  readonly sids: Map<string, number>;
}

export interface OnlineUserView {
  username: string;
  user_id: number;
  connections: number;
}

export function initial(): PresenceState {
  return { users: new Map(), sids: new Map() };
}

export function evolve(state: PresenceState, event: BeaconEvent): PresenceState {
  switch (event.type) {
    case 'ServerStarted':
    case 'UserDisabled':
    case 'UserEnabled':
    case 'UserKicked':
    case 'AdminPublished':
      return initial();
    case 'ConnectionAuthenticated': {
      const { sid, userId, username } = event.data;
      // A sid counts once: a repeated authentication of the same connection is no new presence.
      if (state.sids.has(sid)) return state;
      state.sids.set(sid, userId);
      const user = state.users.get(userId);
      if (user === undefined) state.users.set(userId, { userId, username, connections: 1 });
      else user.connections += 1;
      return state;
    }
    case 'ConnectionClosed': {
      const userId = state.sids.get(event.data.sid);
      // Connections that never authenticated (or were already removed) were never counted.
      if (userId === undefined) return state;
      state.sids.delete(event.data.sid);
      const user = state.users.get(userId);
      if (user !== undefined) {
        user.connections -= 1;
        if (user.connections <= 0) state.users.delete(userId);
      }
      return state;
    }
    case 'ChannelMemberAdded':
    case 'ChannelMemberRemoved':
    case 'UserRegistered':
    case 'PasswordRehashed':
    case 'LoginSucceeded':
    case 'LoginFailed':
    case 'LoggedOut':
    case 'TokenRevoked':
      return state;
    default: {
      const unreachable: never = event;
      throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Distinct online users. */
export const countUsers = (state: PresenceState): number => state.users.size;
/** Live authenticated connections, all users together. */
export const countConnections = (state: PresenceState): number => state.sids.size;
export const isOnline = (state: PresenceState, userId: number): boolean => state.users.has(userId);

/** The `online_users` list, sorted by username so answers are deterministic. */
export function listOnline(state: PresenceState): OnlineUserView[] {
  const list: OnlineUserView[] = [];
  for (const u of state.users.values()) list.push({ username: u.username, user_id: u.userId, connections: u.connections });
  return list.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
}
