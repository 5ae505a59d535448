// Users projection: who is registered, by id and by name, with the stored password hash
// and the next free user id. A pure fold over the log.

import type { BeaconEvent } from '../types.js';

export interface UserRecord {
  readonly userId: number;
  readonly username: string;
  readonly passwordHash: string;
  readonly registeredAt: number;
  /** Set while an operator has disabled the account (UserDisabled until UserEnabled). */
  readonly disabled?: true;
}

export interface UsersState {
  readonly byId: Map<number, UserRecord>;
  readonly byName: Map<string, UserRecord>;
  /** Highest user id seen: new users get the next one. */
  readonly maxId: number;
}

export const usersProjection = {
  initial(): UsersState {
    return { byId: new Map(), byName: new Map(), maxId: 0 };
  },
  /**
   * The maps are updated in place (an immutable copy per event would make a fold over a
   * large log quadratic); the function is otherwise deterministic and free of I/O.
   */
  evolve(state: UsersState, event: BeaconEvent): UsersState {
    switch (event.type) {
      case 'UserRegistered': {
        const { userId, username, passwordHash, registeredAt } = event.data;
        const user: UserRecord = { userId, username, passwordHash, registeredAt };
        state.byId.set(userId, user);
        state.byName.set(username, user);
        return { ...state, maxId: Math.max(state.maxId, userId) };
      }
      case 'PasswordRehashed': {
        const old = state.byId.get(event.data.userId);
        if (old === undefined) return state;
        const user = { ...old, passwordHash: event.data.passwordHash };
        state.byId.set(user.userId, user);
        state.byName.set(user.username, user);
        return state;
      }
      case 'UserDisabled':
      case 'UserEnabled': {
        const old = state.byId.get(event.data.userId);
        if (old === undefined) return state;
        const { disabled: _was, ...rest } = old;
        const user: UserRecord = event.type === 'UserDisabled' ? { ...rest, disabled: true } : rest;
        state.byId.set(user.userId, user);
        state.byName.set(user.username, user);
        return state;
      }
      case 'UserKicked':
      case 'AdminPublished':
      case 'ChannelMemberAdded':
      case 'ChannelMemberRemoved':
      case 'LoginSucceeded':
      case 'LoginFailed':
      case 'LoggedOut':
      case 'TokenRevoked':
      case 'ConnectionAuthenticated':
      case 'ConnectionClosed':
      case 'ServerStarted':
        return state;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  },
};
