// Given/when/then tests for the pure folds: users, blacklist and active tokens. Each test
// folds a history from initial(), applies one event and checks the resulting state.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { activeTokensProjection } from '../../src/events/projections/activeTokens.js';
import { blacklistProjection } from '../../src/events/projections/blacklist.js';
import { usersProjection, type UserRecord, type UsersState } from '../../src/events/projections/users.js';
import { ev, specFor } from '../support/given.js';

const users = specFor(usersProjection);
const blacklist = specFor(blacklistProjection);
const active = specFor(activeTokensProjection);

const userState = (records: readonly UserRecord[], maxId: number): UsersState => ({
  byId: new Map(records.map((r) => [r.userId, r])),
  byName: new Map(records.map((r) => [r.username, r])),
  maxId,
});

const alice: UserRecord = { userId: 1, username: 'alice', passwordHash: '$argon2id$hash-1', registeredAt: 1_000 };
const bob: UserRecord = { userId: 2, username: 'bob', passwordHash: '$argon2id$hash-2', registeredAt: 1_000 };

describe('users projection', () => {
  test('initial state is empty with maxId 0', () => {
    assert.deepEqual(usersProjection.initial(), userState([], 0));
  });

  test('given nothing, when a user registers, then it is found by id and name', () => {
    users([]).when(ev.registered(1, 'alice')).then(userState([alice], 1));
  });

  test('given alice, when bob registers, then both are known and maxId is 2', () => {
    users([ev.registered(1, 'alice')]).when(ev.registered(2, 'bob')).then(userState([alice, bob], 2));
  });

  test('maxId is the highest id seen, not the last one (imported users out of order)', () => {
    users([ev.registered(7, 'seven')])
      .when(ev.registered(3, 'three'))
      .then((s) => {
        assert.equal(s.maxId, 7);
        assert.equal(s.byId.size, 2);
      });
  });

  test('given alice, when her password is rehashed, then both indexes hold the new hash', () => {
    users([ev.registered(1, 'alice'), ev.registered(2, 'bob')])
      .when(ev.rehashed(1, '$argon2id$new'))
      .then(userState([{ ...alice, passwordHash: '$argon2id$new' }, bob], 2));
  });

  test('a rehash for an unknown user changes nothing', () => {
    users([ev.registered(1, 'alice')]).when(ev.rehashed(9, '$argon2id$x')).then(userState([alice], 1));
  });

  test('events that are not about users leave the state as it was', () => {
    users([ev.registered(1, 'alice')])
      .when([
        ev.login(1, 'alice', 'jti-00000001', 5_000),
        ev.loginFailed('alice', 1),
        ev.loginFailed('nobody', null),
        ev.loggedOut(1, 'jti-00000001'),
        ev.revoked(1, 'jti-00000001', 5_000),
        ev.connAuth('s1', 1, 'alice', 'jti-00000001'),
        ev.connClosed('s1', 1),
        ev.started(),
      ])
      .then(userState([alice], 1));
  });
});

describe('blacklist projection', () => {
  test('given nothing, when a token is revoked, then its jti is held with its exp', () => {
    blacklist([])
      .when(ev.revoked(1, 'jti-a', 2_000))
      .then((s) => {
        assert.deepEqual(s.revoked, new Map([['jti-a', 2_000]]));
        assert.equal(blacklistProjection.isRevoked(s, 'jti-a'), true);
        assert.equal(blacklistProjection.isRevoked(s, 'jti-b'), false);
      });
  });

  test('revocations for every reason land in the blacklist', () => {
    blacklist([ev.revoked(1, 'a', 10, 'logout'), ev.revoked(1, 'b', 10, 'superseded'), ev.revoked(1, 'c', 10, 'admin')])
      .when(ev.revoked(1, 'd', 10, 'expired-cleanup'))
      .then((s) => assert.deepEqual([...s.revoked.keys()].sort(), ['a', 'b', 'c', 'd']));
  });

  test('logins and logouts alone do not revoke anything', () => {
    blacklist([ev.login(1, 'alice', 'jti-a', 2_000)])
      .when(ev.loggedOut(1, 'jti-a'))
      .then({ revoked: new Map() });
  });

  test('prune drops entries whose exp is at or before now, keeps later ones (exp boundary)', () => {
    const state = blacklist([ev.revoked(1, 'early', 999), ev.revoked(1, 'edge', 1_000)])
      .when(ev.revoked(1, 'late', 1_001))
      .then(() => undefined);
    assert.deepEqual(blacklistProjection.prune(state, 999), ['early']);
    assert.deepEqual(blacklistProjection.prune(state, 1_000).sort(), ['edge']);
    assert.equal(blacklistProjection.isRevoked(state, 'edge'), false);
    assert.equal(blacklistProjection.isRevoked(state, 'late'), true);
    assert.deepEqual(blacklistProjection.prune(state, 1_000), []);
    assert.deepEqual(blacklistProjection.prune(state, 1_001), ['late']);
    assert.equal(state.revoked.size, 0);
  });
});

describe('active tokens projection', () => {
  test('given nothing, when alice logs in, then her token is active', () => {
    active([])
      .when(ev.login(1, 'alice', 'jti-1', 5_000))
      .then({ byUser: new Map([[1, { jti: 'jti-1', exp: 5_000 }]]) });
  });

  test('a second login supersedes the first', () => {
    active([ev.login(1, 'alice', 'jti-1', 5_000), ev.login(2, 'bob', 'jti-b', 6_000)])
      .when(ev.login(1, 'alice', 'jti-2', 7_000))
      .then({
        byUser: new Map([
          [1, { jti: 'jti-2', exp: 7_000 }],
          [2, { jti: 'jti-b', exp: 6_000 }],
        ]),
      });
  });

  test('revoking the active jti clears it', () => {
    active([ev.login(1, 'alice', 'jti-1', 5_000)]).when(ev.revoked(1, 'jti-1', 5_000)).then({ byUser: new Map() });
  });

  test('revoking a superseded jti leaves the newer token active', () => {
    active([ev.login(1, 'alice', 'jti-1', 5_000), ev.login(1, 'alice', 'jti-2', 7_000)])
      .when(ev.revoked(1, 'jti-1', 5_000, 'superseded'))
      .then({ byUser: new Map([[1, { jti: 'jti-2', exp: 7_000 }]]) });
  });

  test("revoking a jti under another user's id does not clear that user's token", () => {
    active([ev.login(1, 'alice', 'jti-1', 5_000)])
      .when(ev.revoked(2, 'jti-1', 5_000))
      .then({ byUser: new Map([[1, { jti: 'jti-1', exp: 5_000 }]]) });
  });

  test('LoggedOut alone does not clear the token (TokenRevoked does)', () => {
    active([ev.login(1, 'alice', 'jti-1', 5_000)])
      .when(ev.loggedOut(1, 'jti-1'))
      .then({ byUser: new Map([[1, { jti: 'jti-1', exp: 5_000 }]]) });
  });

  test('expired() lists tokens with exp at or before now, with their user', () => {
    const state = active([ev.login(1, 'alice', 'jti-1', 1_000), ev.login(2, 'bob', 'jti-2', 1_001)])
      .when(ev.login(3, 'carol', 'jti-3', 999))
      .then(() => undefined);
    assert.deepEqual(
      activeTokensProjection.expired(state, 1_000).sort((a, b) => a.userId - b.userId),
      [
        { userId: 1, jti: 'jti-1', exp: 1_000 },
        { userId: 3, jti: 'jti-3', exp: 999 },
      ],
    );
    assert.deepEqual(activeTokensProjection.expired(state, 998), []);
    // expired() reports; it does not remove (cleanup is a TokenRevoked event).
    assert.equal(state.byUser.size, 3);
  });
});
