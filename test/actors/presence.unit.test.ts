// The presence fold, given/when/then: events in, who is online out.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countConnections, countUsers, evolve, initial, isOnline, listOnline } from '../../src/actors/presence.js';
import type { PresenceState } from '../../src/actors/presence.js';
import { presenceWindowMs, PRESENCE_DELIVERIES_PER_SECOND, PRESENCE_WINDOW_MAX_MS } from '../../src/actors/presenceFeed.js';
import type { BeaconEvent } from '../../src/events/types.js';

const authed = (sid: string, userId: number, username: string): BeaconEvent => ({
  type: 'ConnectionAuthenticated',
  data: { sid, userId, username, jti: `j-${sid}`, transport: 'websocket' },
});
const closed = (sid: string, userId: number | null): BeaconEvent => ({ type: 'ConnectionClosed', data: { sid, userId, code: 1000, reason: '' } });
const started: BeaconEvent = { type: 'ServerStarted', data: { pid: 1, version: 'test' } };

function given(...events: BeaconEvent[]) {
  return {
    when(...more: BeaconEvent[]) {
      let state: PresenceState = initial();
      for (const e of [...events, ...more]) state = evolve(state, e);
      return {
        then(expected: { users: Array<[string, number, number]>; count: number; connections: number }) {
          assert.deepEqual(
            listOnline(state).map((u) => [u.username, u.user_id, u.connections]),
            expected.users,
          );
          assert.equal(countUsers(state), expected.count);
          assert.equal(countConnections(state), expected.connections);
          return state;
        },
      };
    },
  };
}

describe('presence fold', () => {
  test('starts empty', () => {
    given().when().then({ users: [], count: 0, connections: 0 });
  });

  test('an authenticated connection puts its user online', () => {
    given().when(authed('s1', 1, 'alice')).then({ users: [['alice', 1, 1]], count: 1, connections: 1 });
  });

  test('several connections of one user count once as a user', () => {
    given(authed('s1', 1, 'alice'))
      .when(authed('s2', 1, 'alice'), authed('s3', 2, 'bob'))
      .then({ users: [['alice', 1, 2], ['bob', 2, 1]], count: 2, connections: 3 });
  });

  test('closing the last connection takes the user offline', () => {
    const s = given(authed('s1', 1, 'alice'), authed('s2', 1, 'alice'))
      .when(closed('s1', 1), closed('s2', 1))
      .then({ users: [], count: 0, connections: 0 });
    assert.equal(isOnline(s, 1), false);
  });

  test('closing one of two connections keeps the user online', () => {
    given(authed('s1', 1, 'alice'), authed('s2', 1, 'alice')).when(closed('s1', 1)).then({ users: [['alice', 1, 1]], count: 1, connections: 1 });
  });

  test('a close for a connection never counted changes nothing', () => {
    given(authed('s1', 1, 'alice'))
      .when(closed('unknown', 1), closed('anon', null))
      .then({ users: [['alice', 1, 1]], count: 1, connections: 1 });
  });

  test('a closed sid is not removed twice', () => {
    given(authed('s1', 1, 'alice'), authed('s2', 1, 'alice')).when(closed('s1', 1), closed('s1', 1)).then({ users: [['alice', 1, 1]], count: 1, connections: 1 });
  });

  test('a repeated authentication of the same sid counts once', () => {
    given(authed('s1', 1, 'alice')).when(authed('s1', 1, 'alice')).then({ users: [['alice', 1, 1]], count: 1, connections: 1 });
  });

  test('ServerStarted empties presence (nobody is online after a restart)', () => {
    given(authed('s1', 1, 'alice'), authed('s2', 2, 'bob')).when(started).then({ users: [], count: 0, connections: 0 });
  });

  test('connections before a restart do not count after it', () => {
    given(authed('s1', 1, 'alice'), started, authed('s9', 2, 'bob'))
      .when(closed('s1', 1))
      .then({ users: [['bob', 2, 1]], count: 1, connections: 1 });
  });

  test('other events leave presence alone', () => {
    const others: BeaconEvent[] = [
      { type: 'UserRegistered', data: { userId: 3, username: 'carol', passwordHash: 'h', registeredAt: 0 } },
      { type: 'LoginSucceeded', data: { userId: 3, username: 'carol', jti: 'j', iat: 0, exp: 1, address: '::1' } },
      { type: 'TokenRevoked', data: { userId: 1, jti: 'j-s1', exp: 1, reason: 'logout' } },
      { type: 'LoggedOut', data: { userId: 1, jti: 'j-s1' } },
    ];
    given(authed('s1', 1, 'alice')).when(...others).then({ users: [['alice', 1, 1]], count: 1, connections: 1 });
  });

  test('is deterministic: the same events give the same presence', () => {
    const events = [authed('a', 1, 'alice'), authed('b', 2, 'bob'), closed('a', 1), authed('c', 3, 'carol')];
    const run = () => listOnline(events.reduce(evolve, initial()));
    assert.deepEqual(run(), run());
  });
});

describe('presence window', () => {
  test('stays at the base window for small audiences, grows with large ones, and is capped', () => {
    assert.equal(presenceWindowMs(25, 0), 25);
    assert.equal(presenceWindowMs(25, 500), 25);
    // 10,000 connections: one window's user_count is 10,000 deliveries, at the budget's rate.
    assert.equal(presenceWindowMs(25, 10_000), (10_000 * 1000) / PRESENCE_DELIVERIES_PER_SECOND);
    assert.equal(presenceWindowMs(25, 10_000), 400);
    assert.equal(presenceWindowMs(25, 10_000_000), PRESENCE_WINDOW_MAX_MS);
  });
});
