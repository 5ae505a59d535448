// Given/when/then for the auth decider and a disabled account: a login that passed the
// password check is refused with account_disabled; once enabled it succeeds again;
// a registration of the name stays username_taken.

import { describe, test } from 'node:test';
import { authDecider } from '../../src/auth/decider.js';
import { deciderSpec } from '../support/decider.js';
import { ev } from '../support/given.js';

const given = deciderSpec(authDecider);
const login = (jti: string, exp = 5_000) => ({ userId: 1, username: 'alice', jti, iat: exp - 3_600, exp, address: '127.0.0.1' });

describe('auth decider: disabled accounts', () => {
  test('given a disabled alice, when her login completes, then account_disabled', () => {
    given([ev.registered(1, 'alice'), ev.disabled(1, 'alice')]).when({ type: 'CompleteLogin', data: login('jti-1') }).thenThrows('account_disabled');
  });

  test('given a disabled then enabled alice, when her login completes, then LoginSucceeded', () => {
    given([ev.registered(1, 'alice'), ev.disabled(1, 'alice'), ev.enabled(1, 'alice')])
      .when({ type: 'CompleteLogin', data: login('jti-1') })
      .then([ev.login(1, 'alice', 'jti-1', 5_000)]);
  });

  test('given a disabled alice, when the name is registered again, then username_taken', () => {
    given([ev.registered(1, 'alice'), ev.disabled(1, 'alice')])
      .when({ type: 'Register', data: { userId: 2, username: 'alice', passwordHash: '$argon2id$h', registeredAt: 1 } })
      .thenThrows('username_taken');
  });

  test('disabling bob does not refuse alice', () => {
    given([ev.registered(1, 'alice'), ev.registered(2, 'bob'), ev.disabled(2, 'bob')])
      .when({ type: 'CompleteLogin', data: login('jti-1') })
      .then([ev.login(1, 'alice', 'jti-1', 5_000)]);
  });
});
