// Active-token projection: the one token each user may hold. A login replaces it; a
// revocation of that token (logout, admin, cleanup after expiry) clears it.

import type { BeaconEvent } from '../types.js';

export interface ActiveToken {
  readonly jti: string;
  readonly exp: number;
}

export interface ActiveTokensState {
  /** userId → the user's current token. */
  readonly byUser: Map<number, ActiveToken>;
}

export const activeTokensProjection = {
  initial(): ActiveTokensState {
    return { byUser: new Map() };
  },
  /** Updates the map in place (see users.ts for why); deterministic, no I/O. */
  evolve(state: ActiveTokensState, event: BeaconEvent): ActiveTokensState {
    switch (event.type) {
      case 'LoginSucceeded':
        state.byUser.set(event.data.userId, { jti: event.data.jti, exp: event.data.exp });
        return state;
      case 'TokenRevoked':
        if (state.byUser.get(event.data.userId)?.jti === event.data.jti) state.byUser.delete(event.data.userId);
        return state;
      case 'ChannelMemberAdded':
      case 'ChannelMemberRemoved':
      case 'UserRegistered':
      case 'PasswordRehashed':
      case 'LoginFailed':
      case 'LoggedOut':
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
  /** Tokens that expired by `nowSeconds` while still active: candidates for expired-cleanup. */
  expired(state: ActiveTokensState, nowSeconds: number): Array<{ userId: number } & ActiveToken> {
    const out: Array<{ userId: number } & ActiveToken> = [];
    for (const [userId, token] of state.byUser) if (token.exp <= nowSeconds) out.push({ userId, ...token });
    return out;
  },
};
