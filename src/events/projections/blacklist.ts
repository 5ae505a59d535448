// Blacklist projection: revoked token ids (`jti`) with their expiry. An entry is kept
// until its token would have expired anyway, then pruned, so the set stays bounded.

import type { BeaconEvent } from '../types.js';

export interface BlacklistState {
  /** jti → exp (epoch seconds). */
  readonly revoked: Map<string, number>;
}

export const blacklistProjection = {
  initial(): BlacklistState {
    return { revoked: new Map() };
  },
  /** Updates the map in place (see users.ts for why); deterministic, no I/O. */
  evolve(state: BlacklistState, event: BeaconEvent): BlacklistState {
    switch (event.type) {
      case 'TokenRevoked':
        state.revoked.set(event.data.jti, event.data.exp);
        return state;
      case 'ChannelMemberAdded':
      case 'ChannelMemberRemoved':
      case 'UserRegistered':
      case 'PasswordRehashed':
      case 'LoginSucceeded':
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
  /** Drops entries whose token has expired by `nowSeconds`; returns the pruned jtis. */
  prune(state: BlacklistState, nowSeconds: number): string[] {
    const pruned: string[] = [];
    for (const [jti, exp] of state.revoked) {
      if (exp <= nowSeconds) {
        state.revoked.delete(jti);
        pruned.push(jti);
      }
    }
    return pruned;
  },
  isRevoked(state: BlacklistState, jti: string): boolean {
    return state.revoked.has(jti);
  },
};
