// Given/when/then tests for the memberships fold: grants and removals of channel
// membership, both indexes (by channel, by user), and the queries the hub asks.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { membershipsProjection as m, type MembershipsState } from '../../src/events/projections/memberships.js';
import { DURABLE_EVENT_TYPES, streamOf } from '../../src/events/types.js';
import { openEventStore } from '../../src/store/eventStore.js';
import { ev, specFor } from '../support/given.js';

const memberships = specFor(m);

const state = (entries: ReadonlyArray<[string, ReadonlyArray<{ userId: number; username?: string }>]>): MembershipsState => {
  const byChannel = new Map(entries.map(([channel, members]) => [channel, new Map(members.map((r) => [r.userId, r]))]));
  const byUser = new Map<number, Set<string>>();
  for (const [channel, members] of entries) {
    for (const { userId } of members) byUser.set(userId, (byUser.get(userId) ?? new Set()).add(channel));
  }
  return { byChannel, byUser };
};

const admin = { actor: 'admin' as const, fingerprint: 'sha256:0f1e' };

describe('memberships projection', () => {
  test('initial state has no member anywhere', () => {
    const s = m.initial();
    assert.deepEqual(s, state([]));
    assert.equal(m.isMember(s, 'private:team', 1), false);
    assert.deepEqual(m.members(s, 'private:team'), []);
    assert.deepEqual(m.channelsOf(s, 1), []);
  });

  test('given nothing, when alice is added to private:team, then she is a member of it and of nothing else', () => {
    memberships([])
      .when(ev.memberAdded('private:team', 1, 'alice', admin))
      .then((s) => {
        assert.deepEqual(s, state([['private:team', [{ userId: 1, username: 'alice' }]]]));
        assert.equal(m.isMember(s, 'private:team', 1), true);
        assert.equal(m.isMember(s, 'private:other', 1), false);
        assert.equal(m.isMember(s, 'private:team', 2), false);
      });
  });

  test('given alice in team, when bob joins team and alice joins ops, then both indexes hold every pair', () => {
    memberships([ev.memberAdded('private:team', 1, 'alice')])
      .when([ev.memberAdded('private:team', 2, 'bob'), ev.memberAdded('private:ops', 1, 'alice')])
      .then((s) => {
        assert.deepEqual(
          s,
          state([
            ['private:team', [{ userId: 1, username: 'alice' }, { userId: 2, username: 'bob' }]],
            ['private:ops', [{ userId: 1, username: 'alice' }]],
          ]),
        );
        assert.deepEqual(m.members(s, 'private:team'), [{ userId: 1, username: 'alice' }, { userId: 2, username: 'bob' }]);
        assert.deepEqual(m.channelsOf(s, 1), ['private:ops', 'private:team']);
        assert.deepEqual(m.channelsOf(s, 2), ['private:team']);
      });
  });

  test('a repeated grant keeps one membership, and a grant without a username keeps the known one', () => {
    memberships([ev.memberAdded('private:team', 1, 'alice')])
      .when([ev.memberAdded('private:team', 1), ev.memberAdded('private:team', 1)])
      .then(state([['private:team', [{ userId: 1, username: 'alice' }]]]));
  });

  test('given alice and bob in team, when alice is removed, then only bob is left and alice is in nothing', () => {
    memberships([ev.memberAdded('private:team', 1, 'alice'), ev.memberAdded('private:team', 2, 'bob')])
      .when(ev.memberRemoved('private:team', 1, admin))
      .then((s) => {
        assert.deepEqual(s, state([['private:team', [{ userId: 2, username: 'bob' }]]]));
        assert.equal(m.isMember(s, 'private:team', 1), false);
        assert.deepEqual(m.channelsOf(s, 1), []);
      });
  });

  test('removing the last member forgets the channel; removing from one channel keeps the others', () => {
    memberships([ev.memberAdded('private:team', 1, 'alice'), ev.memberAdded('private:ops', 1, 'alice')])
      .when(ev.memberRemoved('private:team', 1))
      .then(state([['private:ops', [{ userId: 1, username: 'alice' }]]]));
  });

  test('removing a non-member changes nothing', () => {
    memberships([ev.memberAdded('private:team', 1, 'alice')])
      .when([ev.memberRemoved('private:team', 2), ev.memberRemoved('private:ops', 1)])
      .then(state([['private:team', [{ userId: 1, username: 'alice' }]]]));
  });

  test('a removal then a new grant makes the user a member again (the last event wins)', () => {
    memberships([ev.memberAdded('private:team', 1, 'alice'), ev.memberRemoved('private:team', 1)])
      .when(ev.memberAdded('private:team', 1, 'alice'))
      .then((s) => assert.equal(m.isMember(s, 'private:team', 1), true));
  });

  test('channel names are exact: another namespace or case is another channel', () => {
    memberships([])
      .when(ev.memberAdded('private:team', 1, 'alice'))
      .then((s) => {
        assert.equal(m.isMember(s, 'private:Team', 1), false);
        assert.equal(m.isMember(s, 'room:team', 1), false);
      });
  });

  test('events that are not about memberships leave the state as it was', () => {
    memberships([ev.memberAdded('private:team', 1, 'alice')])
      .when([
        ev.registered(2, 'bob'),
        ev.rehashed(1, '$argon2id$new'),
        ev.login(1, 'alice', 'jti-1', 5_000),
        ev.loginFailed('alice', 1),
        ev.loggedOut(1, 'jti-1'),
        ev.revoked(1, 'jti-1', 5_000),
        ev.connAuth('s1', 1, 'alice', 'jti-1'),
        ev.connClosed('s1', 1),
        ev.started(),
      ])
      .then(state([['private:team', [{ userId: 1, username: 'alice' }]]]));
  });
});

describe('membership events', () => {
  test('are durable: a grant or removal answered to the admin survives a crash', () => {
    assert.equal(DURABLE_EVENT_TYPES.has('ChannelMemberAdded'), true);
    assert.equal(DURABLE_EVENT_TYPES.has('ChannelMemberRemoved'), true);
  });

  test('belong to the stream of their channel', () => {
    assert.equal(streamOf(ev.memberAdded('private:team', 1, 'alice')), 'channel-private:team');
    assert.equal(streamOf(ev.memberRemoved('private:team', 1)), 'channel-private:team');
  });
});

test('grants and removals go through the SQLite event log and fold the same after a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-members-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'beacon.db');
  const clock = { now: () => 1_700_000_000_000 };
  let store = openEventStore({ path, clock });
  const recorded = await store.append([
    ev.memberAdded('private:team', 1, 'alice', admin),
    ev.memberAdded('private:team', 2, 'bob', admin),
    ev.memberRemoved('private:team', 1, admin),
  ]);
  assert.deepEqual(recorded.map((e) => [e.stream, e.streamPosition]), [['channel-private:team', 1], ['channel-private:team', 2], ['channel-private:team', 3]]);
  await store.close();
  store = openEventStore({ path, clock });
  const folded = (await store.read(0, 100)).reduce(m.evolve, m.initial());
  await store.close();
  assert.deepEqual(folded, state([['private:team', [{ userId: 2, username: 'bob' }]]]));
  assert.deepEqual(recorded[0]?.data, { channel: 'private:team', userId: 1, username: 'alice', by: admin });
});
