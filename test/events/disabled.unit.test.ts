// Given/when/then for the admin events in the users projection: UserDisabled marks the
// account in both indexes, UserEnabled clears it, and neither touches anyone else.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { usersProjection } from '../../src/events/projections/users.js';
import { activeTokensProjection } from '../../src/events/projections/activeTokens.js';
import { ev, specFor } from '../support/given.js';

const users = specFor(usersProjection);

describe('users projection: disabled accounts', () => {
  test('given alice, when she is disabled, then both indexes say so and bob is untouched', () => {
    users([ev.registered(1, 'alice'), ev.registered(2, 'bob')])
      .when(ev.disabled(1, 'alice'))
      .then((s) => {
        assert.equal(s.byId.get(1)?.disabled, true);
        assert.equal(s.byName.get('alice')?.disabled, true);
        assert.equal(s.byId.get(2)?.disabled, undefined);
        assert.equal(s.byName.get('alice')?.passwordHash, '$argon2id$hash-1');
      });
  });

  test('given a disabled alice, when she is enabled, then the flag is gone', () => {
    users([ev.registered(1, 'alice'), ev.disabled(1, 'alice')])
      .when(ev.enabled(1, 'alice'))
      .then((s) => {
        assert.equal(s.byId.get(1)?.disabled, undefined);
        assert.ok(!('disabled' in (s.byName.get('alice') ?? {})));
      });
  });

  test('a password rehash keeps a disabled account disabled', () => {
    users([ev.registered(1, 'alice'), ev.disabled(1, 'alice')])
      .when(ev.rehashed(1, '$argon2id$new'))
      .then((s) => assert.equal(s.byName.get('alice')?.disabled, true));
  });

  test('disabling an unknown user changes nothing', () => {
    users([ev.registered(1, 'alice')])
      .when(ev.disabled(9, 'ghost'))
      .then((s) => assert.deepEqual([...s.byId.keys()], [1]));
  });

  test('kicks and admin publishes leave users and tokens as they were', () => {
    users([ev.registered(1, 'alice')])
      .when([ev.kicked(1, 'alice'), ev.adminPublished('room:lobby', 1, 'hi')])
      .then((s) => assert.equal(s.byId.get(1)?.disabled, undefined));
    specFor(activeTokensProjection)([ev.login(1, 'alice', 'j1', 5_000)])
      .when([ev.kicked(1, 'alice'), ev.disabled(1, 'alice')])
      .then((s) => assert.equal(s.byUser.get(1)?.jti, 'j1'));
  });
});
