// The auth decisions as a pure function (a decider, after Emmett): given the folds of the
// events so far, a command (register, login ok / failed, refresh, rehash, logout, sweep) decides
// the events to append or refuses. No I/O, no clock: the service supplies both.

import { BeaconError } from '../errors.js';
import { activeTokensProjection, blacklistProjection, evolveProjections, initialProjections } from '../events/index.js';
import type { BeaconEvent, EventOf, ProjectionState } from '../events/index.js';
import { AuthFailure, type Session } from './session.js';

export type AuthCommand =
  | { type: 'Register'; data: EventOf<'UserRegistered'>['data'] }
  | { type: 'CompleteLogin'; data: EventOf<'LoginSucceeded'>['data'] }
  | { type: 'FailLogin'; data: EventOf<'LoginFailed'>['data'] }
  | { type: 'Rehash'; data: EventOf<'PasswordRehashed'>['data'] }
  | { type: 'Logout'; data: { session: Session } }
  /** Exchange the verified `session`'s token for `next` (same user); `nowSeconds` from the service's clock. */
  | { type: 'Refresh'; data: { session: Session; next: { jti: string; iat: number; exp: number; address: string }; nowSeconds: number } }
  | { type: 'Sweep'; data: { nowSeconds: number } };

/** Refuses a revoked token, and any token but the user's one active token. */
export function assertActive(state: ProjectionState, userId: number, jti: string): void {
  if (blacklistProjection.isRevoked(state.blacklist, jti)) throw new AuthFailure('token_revoked');
  if (state.activeTokens.byUser.get(userId)?.jti !== jti) throw new AuthFailure('token_revoked');
}

/** The events `command` leads to in `state`; throws BeaconError / AuthFailure to refuse. */
export function decide(command: AuthCommand, state: ProjectionState): BeaconEvent[] {
  switch (command.type) {
    case 'Register': {
      const { userId, username } = command.data;
      if (state.users.byName.has(username)) throw new BeaconError('username_taken');
      if (state.users.byId.has(userId)) throw new BeaconError('internal_error', { message: `user id ${userId} is taken` });
      return [{ type: 'UserRegistered', data: command.data }];
    }
    case 'CompleteLogin': {
      // One active token per user: a new login supersedes the previous one.
      const { userId } = command.data;
      // Decided only after the password was checked, so the answer tells a guesser nothing.
      if (state.users.byId.get(userId)?.disabled === true) throw new BeaconError('account_disabled');
      const previous = state.activeTokens.byUser.get(userId);
      const events: BeaconEvent[] = [];
      if (previous !== undefined) events.push({ type: 'TokenRevoked', data: { userId, jti: previous.jti, exp: previous.exp, reason: 'superseded' } });
      events.push({ type: 'LoginSucceeded', data: command.data });
      return events;
    }
    case 'FailLogin':
      return [{ type: 'LoginFailed', data: command.data }];
    case 'Rehash':
      return state.users.byId.has(command.data.userId) ? [{ type: 'PasswordRehashed', data: command.data }] : [];
    case 'Logout': {
      const { userId, jti, exp } = command.data.session;
      assertActive(state, userId, jti);
      return [
        { type: 'LoggedOut', data: { userId, jti } },
        { type: 'TokenRevoked', data: { userId, jti, exp, reason: 'logout' } },
      ];
    }
    case 'Refresh': {
      // Decided after the per-user queue: a login or logout may have got there first.
      const { session, next, nowSeconds } = command.data;
      const { userId, username, jti, exp } = session;
      assertActive(state, userId, jti);
      if (exp <= nowSeconds) throw new AuthFailure('token_expired');
      if (state.users.byId.get(userId)?.disabled === true) throw new BeaconError('account_disabled');
      // One append: the old token is refused from the same commit that makes the new one active.
      return [
        { type: 'TokenRevoked', data: { userId, jti, exp, reason: 'refreshed' } },
        { type: 'LoginSucceeded', data: { userId, username, ...next, refreshedFrom: jti } },
      ];
    }
    case 'Sweep':
      return activeTokensProjection
        .expired(state.activeTokens, command.data.nowSeconds)
        .map(({ userId, jti, exp }): BeaconEvent => ({ type: 'TokenRevoked', data: { userId, jti, exp, reason: 'expired-cleanup' } }));
    default: {
      const unreachable: never = command;
      throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The decider triple: the folds' initial state, their evolve, and decide. */
export const authDecider = { initialState: initialProjections, evolve: evolveProjections, decide };
