// Given/when/then tests for the auth decider: given the events so far, when a command,
// then the events to append, or the refusal's code. Pure: no store, no clock, no hashing.

import { describe, test } from 'node:test';
import { authDecider } from '../../src/auth/decider.js';
import type { Session } from '../../src/auth/session.js';
import { deciderSpec } from '../support/decider.js';
import { ev } from '../support/given.js';

const given = deciderSpec(authDecider);
const alice = [ev.registered(1, 'alice')];
const session = (jti: string, exp = 5_000): Session => ({ userId: 1, username: 'alice', jti, exp });
const login = (jti: string, exp = 5_000) => ({ userId: 1, username: 'alice', jti, iat: exp - 3_600, exp, address: '127.0.0.1' });

describe('auth decider: register', () => {
  test('given nothing, when alice registers, then UserRegistered', () => {
    const data = { userId: 1, username: 'alice', passwordHash: '$argon2id$h', registeredAt: 1_000 };
    given([]).when({ type: 'Register', data }).then([{ type: 'UserRegistered', data }]);
  });

  test('given alice, when alice registers again, then username_taken', () => {
    given(alice).when({ type: 'Register', data: { userId: 2, username: 'alice', passwordHash: '$argon2id$h', registeredAt: 1 } }).thenThrows('username_taken');
  });

  test('given user 1, when another name asks for id 1, then refused (never two users on one id)', () => {
    given(alice).when({ type: 'Register', data: { userId: 1, username: 'bob', passwordHash: '$argon2id$h', registeredAt: 1 } }).thenThrows('internal_error');
  });
});

describe('auth decider: login', () => {
  test('given no active token, when a login succeeds, then LoginSucceeded alone', () => {
    given(alice).when({ type: 'CompleteLogin', data: login('jti-1') }).then([ev.login(1, 'alice', 'jti-1', 5_000)]);
  });

  test('given an active token, when a second login succeeds, then the first is revoked as superseded', () => {
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000)])
      .when({ type: 'CompleteLogin', data: login('jti-2', 6_000) })
      .then([ev.revoked(1, 'jti-1', 5_000, 'superseded'), ev.login(1, 'alice', 'jti-2', 6_000)]);
  });

  test('given a logged-out token, when a login succeeds, then nothing is superseded', () => {
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000), ev.loggedOut(1, 'jti-1'), ev.revoked(1, 'jti-1', 5_000, 'logout')])
      .when({ type: 'CompleteLogin', data: login('jti-2', 6_000) })
      .then([ev.login(1, 'alice', 'jti-2', 6_000)]);
  });

  test('when a login fails, then LoginFailed with its reason', () => {
    given(alice).when({ type: 'FailLogin', data: { username: 'alice', userId: 1, address: '127.0.0.1', reason: 'bad_password' } }).then([ev.loginFailed('alice', 1)]);
    given([]).when({ type: 'FailLogin', data: { username: 'nobody', userId: null, address: '127.0.0.1', reason: 'unknown_user' } }).then([ev.loginFailed('nobody', null)]);
  });

  test('a rehash is recorded for a known user only', () => {
    given(alice).when({ type: 'Rehash', data: { userId: 1, passwordHash: '$argon2id$new' } }).then([ev.rehashed(1, '$argon2id$new')]);
    given([]).when({ type: 'Rehash', data: { userId: 1, passwordHash: '$argon2id$new' } }).then([]);
  });
});

describe('auth decider: logout', () => {
  test('given the active token, when it logs out, then LoggedOut and its revocation', () => {
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000)])
      .when({ type: 'Logout', data: { session: session('jti-1') } })
      .then([ev.loggedOut(1, 'jti-1'), ev.revoked(1, 'jti-1', 5_000, 'logout')]);
  });

  test('given a superseded token, when it logs out, then token_revoked', () => {
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000), ev.revoked(1, 'jti-1', 5_000, 'superseded'), ev.login(1, 'alice', 'jti-2', 6_000)])
      .when({ type: 'Logout', data: { session: session('jti-1') } })
      .thenThrows('token_revoked');
  });

  test('given a token already logged out, when it logs out again, then token_revoked', () => {
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000), ev.loggedOut(1, 'jti-1'), ev.revoked(1, 'jti-1', 5_000, 'logout')])
      .when({ type: 'Logout', data: { session: session('jti-1') } })
      .thenThrows('token_revoked');
  });

  test('given a newer login whose revocation of this token is not folded yet, logout is still refused', () => {
    // The active token is jti-2; jti-1 is not on the blacklist, yet it is not the one active token.
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000), ev.login(1, 'alice', 'jti-2', 6_000)])
      .when({ type: 'Logout', data: { session: session('jti-1') } })
      .thenThrows('token_revoked');
  });
});

describe('auth decider: refresh', () => {
  const next = { jti: 'jti-2', iat: 2_000, exp: 6_000, address: '127.0.0.1' };
  const refresh = (jti: string, nowSeconds = 2_000, exp = 5_000) => ({ type: 'Refresh' as const, data: { session: session(jti, exp), next, nowSeconds } });

  test('given the active token, when it is refreshed, then it is revoked as refreshed and the new one issued, in one decision', () => {
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000)])
      .when(refresh('jti-1'))
      .then([
        ev.revoked(1, 'jti-1', 5_000, 'refreshed'),
        { type: 'LoginSucceeded', data: { userId: 1, username: 'alice', jti: 'jti-2', iat: 2_000, exp: 6_000, address: '127.0.0.1', refreshedFrom: 'jti-1' } },
      ]);
  });

  test('given a refreshed token, when it is refreshed again, then token_revoked (one exchange per token)', () => {
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000), ev.revoked(1, 'jti-1', 5_000, 'refreshed'), ev.login(1, 'alice', 'jti-2', 6_000)])
      .when(refresh('jti-1'))
      .thenThrows('token_revoked');
  });

  test('given a logged-out token, when it is refreshed, then token_revoked', () => {
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000), ev.loggedOut(1, 'jti-1'), ev.revoked(1, 'jti-1', 5_000, 'logout')])
      .when(refresh('jti-1'))
      .thenThrows('token_revoked');
  });

  test('given a newer login not yet folded as a revocation, when the older token is refreshed, then token_revoked', () => {
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000), ev.login(1, 'alice', 'jti-3', 6_000)])
      .when(refresh('jti-1'))
      .thenThrows('token_revoked');
  });

  test('given the active token, when it is refreshed at or after its expiry, then token_expired', () => {
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000)]).when(refresh('jti-1', 5_000)).thenThrows('token_expired');
  });

  test('given a disabled account, when its token is refreshed, then refused', () => {
    // A disable revokes the token as well; the check stands on its own should the order ever differ.
    given([...alice, ev.login(1, 'alice', 'jti-1', 5_000), ev.disabled(1, 'alice')])
      .when(refresh('jti-1'))
      .thenThrows('account_disabled');
  });
});

describe('auth decider: sweep', () => {
  test('given active tokens, when swept at a time, then the expired ones are revoked as expired-cleanup', () => {
    given([...alice, ev.registered(2, 'bob'), ev.login(1, 'alice', 'jti-a', 1_000), ev.login(2, 'bob', 'jti-b', 2_000)])
      .when({ type: 'Sweep', data: { nowSeconds: 1_000 } })
      .then([ev.revoked(1, 'jti-a', 1_000, 'expired-cleanup')]);
  });

  test('given nothing active, when swept, then nothing', () => {
    given([...alice, ev.login(1, 'alice', 'jti-a', 1_000), ev.revoked(1, 'jti-a', 1_000, 'logout')]).when({ type: 'Sweep', data: { nowSeconds: 9_999 } }).then([]);
  });
});
