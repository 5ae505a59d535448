// Given/when/then for pure folds (after Emmett's DeciderSpecification): fold the `given`
// events from initial(), apply the `when` event(s), then compare or inspect the state.

import assert from 'node:assert/strict';
import type { BeaconEvent, MembershipActor } from '../../src/events/types.js';

export interface Fold<S> {
  initial(): S;
  evolve(state: S, event: BeaconEvent): S;
}

export interface Then<S> {
  /** Deep-equals the resulting state (Maps compare by entries), or runs a check on it. */
  then(expected: S | ((state: S) => void)): S;
}

export interface When<S> {
  when(event: BeaconEvent | readonly BeaconEvent[]): Then<S>;
}

export function specFor<S>(fold: Fold<S>): (given: readonly BeaconEvent[]) => When<S> {
  return (given) => ({
    when(event) {
      return {
        then(expected) {
          const whenEvents = Array.isArray(event) ? (event as readonly BeaconEvent[]) : [event as BeaconEvent];
          let state = fold.initial();
          for (const e of [...given, ...whenEvents]) state = fold.evolve(state, e);
          if (typeof expected === 'function') (expected as (state: S) => void)(state);
          else assert.deepEqual(state, expected);
          return state;
        },
      };
    },
  });
}

/** Small event builders so tests state only what matters to them. */
export const ev = {
  registered: (userId: number, username: string, passwordHash = `$argon2id$hash-${userId}`, registeredAt = 1_000): BeaconEvent => ({
    type: 'UserRegistered',
    data: { userId, username, passwordHash, registeredAt },
  }),
  rehashed: (userId: number, passwordHash: string): BeaconEvent => ({ type: 'PasswordRehashed', data: { userId, passwordHash } }),
  login: (userId: number, username: string, jti: string, exp: number, iat = exp - 3600): BeaconEvent => ({
    type: 'LoginSucceeded',
    data: { userId, username, jti, iat, exp, address: '127.0.0.1' },
  }),
  loginFailed: (username: string, userId: number | null): BeaconEvent => ({
    type: 'LoginFailed',
    data: { username, userId, address: '127.0.0.1', reason: userId === null ? 'unknown_user' : 'bad_password' },
  }),
  loggedOut: (userId: number, jti: string): BeaconEvent => ({ type: 'LoggedOut', data: { userId, jti } }),
  revoked: (userId: number, jti: string, exp: number, reason: 'logout' | 'superseded' | 'expired-cleanup' | 'admin' | 'refreshed' = 'logout'): BeaconEvent => ({
    type: 'TokenRevoked',
    data: { userId, jti, exp, reason },
  }),
  connAuth: (sid: string, userId: number, username: string, jti: string): BeaconEvent => ({
    type: 'ConnectionAuthenticated',
    data: { sid, userId, username, jti, transport: 'ws' },
  }),
  connClosed: (sid: string, userId: number | null, code = 1000): BeaconEvent => ({
    type: 'ConnectionClosed',
    data: { sid, userId, code, reason: 'bye' },
  }),
  started: (pid = 1, version = '0.1.0'): BeaconEvent => ({ type: 'ServerStarted', data: { pid, version } }),
  memberAdded: (channel: string, userId: number, username?: string, by: MembershipActor = null): BeaconEvent => ({
    type: 'ChannelMemberAdded',
    data: { channel, userId, ...(username === undefined ? {} : { username }), by },
  }),
  disabled: (userId: number, username: string, fingerprint = 'ab12cd34ef56'): BeaconEvent => ({
    type: 'UserDisabled',
    data: { userId, username, by: { actor: 'admin', fingerprint }, address: '192.0.2.7' },
  }),
  enabled: (userId: number, username: string, fingerprint = 'ab12cd34ef56'): BeaconEvent => ({
    type: 'UserEnabled',
    data: { userId, username, by: { actor: 'admin', fingerprint }, address: '192.0.2.7' },
  }),
  kicked: (userId: number, username: string, reason?: string): BeaconEvent => ({
    type: 'UserKicked',
    data: { userId, username, ...(reason === undefined ? {} : { reason }), by: { actor: 'admin', fingerprint: 'ab12cd34ef56' }, address: '192.0.2.7' },
  }),
  adminPublished: (channel: string, offset: number, data?: unknown): BeaconEvent => ({
    type: 'AdminPublished',
    data: { channel, offset, bytes: JSON.stringify(data ?? null).length, ...(data === undefined ? {} : { data }), by: { actor: 'admin', fingerprint: 'ab12cd34ef56' }, address: '192.0.2.7' },
  }),
  memberRemoved: (channel: string, userId: number, by: MembershipActor = null): BeaconEvent => ({
    type: 'ChannelMemberRemoved',
    data: { channel, userId, by },
  }),
};
