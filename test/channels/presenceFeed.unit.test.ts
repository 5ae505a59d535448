// Channel presence, given/when/then: counted per user (two connections of one user are one
// member), join / leave only on net changes within a window, O(N) announcements for a storm
// of N subscribers, nothing for namespaces without presence. Windows run on a SimulatedClock.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimulatedClock } from 'xstate';
import { PRESENCE_WINDOW_MS } from '../../src/actors/presenceFeed.js';
import { CHANNEL_PRESENCE_STORM_CHANGES } from '../../src/constants.js';
import { createChannelPresenceFeed } from '../../src/channels/presenceFeed.js';
import { channelsOfSid, listChannels, presenceView } from '../../src/channels/presence.js';
import type { SubscriptionChange } from '../../src/ports/bus.js';

const up = (sid: string, userId: number, channel = 'room:a'): SubscriptionChange => ({ kind: 'up', channel, sid, userId, username: `u${userId}` });
const down = (sid: string, userId: number, channel = 'room:a'): SubscriptionChange => ({ ...up(sid, userId, channel), kind: 'down' });

function given(changes: SubscriptionChange[]) {
  const clock = new SimulatedClock();
  const said: Array<{ channel: string; event: string; username: string }> = [];
  const snapshots: Array<{ channel: string; count: number; users: number }> = [];
  const feed = createChannelPresenceFeed({
    announce: (channel, event, data) => void said.push({ channel, event, username: data.username }),
    announcePresence: (channel, view) => void snapshots.push({ channel, count: view.count, users: view.users.length }),
    hasPresence: (channel) => channel.startsWith('room:'),
    timers: clock,
  });
  for (const c of changes) feed.apply(c);
  clock.increment(PRESENCE_WINDOW_MS);
  said.length = 0;
  return {
    feed,
    said,
    snapshots,
    /** What the window after these changes announced. */
    when(more: SubscriptionChange[]) {
      said.length = 0;
      for (const c of more) feed.apply(c);
      clock.increment(PRESENCE_WINDOW_MS);
      return said;
    },
  };
}

describe('channel presence', () => {
  test('two connections of one user: one member with 2 connections, one join, one leave when the last goes', () => {
    const g = given([]);
    assert.deepEqual([...g.when([up('s1', 1), up('s2', 1)])], [{ channel: 'room:a', event: 'join', username: 'u1' }]);
    assert.deepEqual(presenceView(g.feed.state, 'room:a'), { channel: 'room:a', users: [{ username: 'u1', user_id: 1, connections: 2 }], count: 1 });
    assert.deepEqual(g.when([down('s1', 1)]), []);
    assert.deepEqual(g.when([down('s2', 1)]), [{ channel: 'room:a', event: 'leave', username: 'u1' }]);
    assert.deepEqual(listChannels(g.feed.state), []);
  });

  test('a join and a leave inside one window announce nothing; repeats count once', () => {
    const g = given([up('s0', 9)]);
    assert.deepEqual(g.when([up('s1', 1), down('s1', 1)]), []);
    assert.deepEqual(g.when([up('s0', 9), down('s7', 7)]), [], 'a repeated up, a down never up');
    assert.equal(presenceView(g.feed.state, 'room:a').users[0]?.connections, 1);
  });

  test(`up to ${CHANNEL_PRESENCE_STORM_CHANGES} net changes in a window: one join each`, () => {
    const g = given([]);
    const said = g.when(Array.from({ length: CHANNEL_PRESENCE_STORM_CHANGES }, (_, i) => up(`s${i}`, i)));
    assert.equal(said.length, CHANNEL_PRESENCE_STORM_CHANGES);
    assert.equal(new Set(said.map((s) => s.username)).size, CHANNEL_PRESENCE_STORM_CHANGES);
    assert.deepEqual(g.snapshots, []);
  });

  test('a storm of N subscribers in one window: one channel_presence of all N, no join each (O(N) frames, not N squared)', () => {
    const g = given([up('s-old', 9_999)]);
    const said = g.when(Array.from({ length: 500 }, (_, i) => up(`s${i}`, i)));
    assert.deepEqual(said, []);
    assert.deepEqual(g.snapshots, [{ channel: 'room:a', count: 501, users: 501 }]);
    assert.deepEqual(g.when([down('s0', 0)]), [{ channel: 'room:a', event: 'leave', username: 'u0' }], 'calm again: one leave');
  });

  test('a storm in one channel does not turn a quiet channel of the same window into a snapshot', () => {
    const g = given([]);
    const said = g.when([...Array.from({ length: 100 }, (_, i) => up(`s${i}`, i)), up('q1', 1, 'room:quiet')]);
    assert.deepEqual(said, [{ channel: 'room:quiet', event: 'join', username: 'u1' }]);
    assert.deepEqual(g.snapshots, [{ channel: 'room:a', count: 100, users: 100 }]);
  });

  test('namespaces without presence are folded (for lists and metrics) but never announced', () => {
    const g = given([]);
    assert.deepEqual(g.when([up('s1', 1, 'user:u1')]), []);
    assert.deepEqual(channelsOfSid(g.feed.state, 's1'), ['user:u1']);
    assert.deepEqual(listChannels(g.feed.state), [{ channel: 'user:u1', subscribers: 1, users: 1 }]);
  });
});
