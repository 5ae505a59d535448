// Unit tests of a node's copy of the cluster's presence (src/bus/redis/clusterView.ts),
// given snapshots and published changes in the orders Redis may hand them over: a change
// older than the snapshot is not applied twice, one newer is applied once, own changes are
// left to the node, and a node missing after Redis lost its data keeps its connections
// for the grace time only.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createClusterView, type ClusterView } from '../../src/bus/redis/clusterView.js';
import type { Snapshot } from '../../src/bus/redis/presenceWire.js';
import type { PresenceChange } from '../../src/ports/index.js';
import { up } from '../support/redisNodes.js';

const published = (seq: number, node: string, ...changes: PresenceChange[]): string => JSON.stringify({ s: seq, n: node, c: changes.map((e) => [0, e]) });
const closed = (sid: string, userId: number): PresenceChange => ({ type: 'ConnectionClosed', data: { sid, userId, code: 1000, reason: '' } });
const snapshot = (seq: number, nodes: Record<string, Array<[string, number]>>): Snapshot => ({
  seq,
  nodes: new Map(Object.entries(nodes).map(([node, sids]) => [node, sids.map(([sid, uid]) => up(sid, uid, `u${uid}`))])),
});

function view(graceMs = 3_000): { v: ClusterView; heard: string[]; clock: { t: number }; bad: unknown[]; gaps: number[] } {
  const heard: string[] = [];
  const gaps: number[] = [];
  const bad: unknown[] = [];
  const clock = { t: 1_000 };
  const v = createClusterView({
    nodeId: 'me',
    clock: { now: () => clock.t },
    graceMs,
    emit: (c) => heard.push(`${c.type === 'ConnectionAuthenticated' ? '+' : '-'}${c.data.sid}`),
    onBad: (raw) => bad.push(raw),
    onGap: () => void gaps.push(1),
  });
  return { v, heard, clock, bad, gaps };
}

describe('cluster view', () => {
  test('changes heard before the snapshot wait for it; those it already holds are not applied again', () => {
    const { v, heard } = view();
    // Subscribed, snapshot not back yet: seq 5 (in the snapshot) and 6 (after it) arrive first.
    v.message(published(5, 'b', up('s1', 1, 'u1')));
    v.message(published(6, 'b', closed('s1', 1)));
    assert.deepEqual(heard, []);
    assert.equal(v.synced, false);
    v.rebase(snapshot(5, { b: [['s1', 1]] }));
    assert.deepEqual(heard, ['+s1', '-s1'], 'the close after the snapshot is applied, once');
    assert.equal(v.size, 0);
  });

  test('a close that Redis ordered before the snapshot does not resurrect or repeat', () => {
    const { v, heard } = view();
    v.message(published(3, 'b', closed('s1', 1)));
    v.rebase(snapshot(3, { b: [] }));
    v.message(published(3, 'b', closed('s1', 1)));
    assert.deepEqual(heard, []);
  });

  test('an up and a down each told once, repeats ignored; own changes left to the node', () => {
    const { v, heard } = view();
    v.rebase(snapshot(0, { me: [], b: [] }));
    v.message(published(1, 'b', up('s1', 1, 'u1')));
    v.message(published(2, 'me', up('mine', 2, 'u2')));
    v.message(published(3, 'b', up('s1', 1, 'u1')));
    v.message(published(4, 'b', closed('s1', 1)));
    v.message(published(5, 'b', closed('s1', 1)));
    assert.deepEqual(heard, ['+s1', '-s1']);
    assert.deepEqual([...v.current()], []);
  });

  test('a rebase tells what moved: new sids up first (a user never dips to 0 in between), then gone sids down', () => {
    const { v, heard } = view();
    v.rebase(snapshot(10, { b: [['s1', 1], ['s2', 2]] }));
    v.invalidate();
    v.rebase(snapshot(20, { b: [['s2', 2], ['s3', 3]] }));
    assert.deepEqual(heard, ['+s1', '+s2', '+s3', '-s1']);
  });

  test('a node missing from the snapshot (Redis lost it) keeps its connections for the grace time only', () => {
    const { v, heard, clock } = view(3_000);
    v.rebase(snapshot(10, { b: [['s1', 1]], c: [['s2', 2]] }));
    v.invalidate();
    v.rebase(snapshot(0, {})); // a new, empty Redis
    assert.deepEqual(heard, ['+s1', '+s2'], 'no flap while the nodes register again');
    assert.equal(v.orphansDueAt(), 4_000);
    v.message(published(1, 'b', up('s1', 1, 'u1'))); // b registered again
    clock.t = 4_000;
    v.rebase(snapshot(1, { b: [['s1', 1]] }));
    assert.deepEqual(heard, ['+s1', '+s2', '-s2'], 'c never came back: its connection is gone, once');
    assert.equal(v.orphansDueAt(), undefined);
  });

  test('a skipped seq (the subscriber lost messages) stops the view until a rebase', () => {
    const { v, heard, gaps } = view();
    v.rebase(snapshot(0, {}));
    v.message(published(1, 'b', up('s1', 1, 'u1')));
    v.message(published(3, 'b', up('s3', 3, 'u3'))); // 2 never arrived
    assert.equal(gaps.length, 1);
    assert.equal(v.synced, false);
    v.message(published(4, 'b', up('s4', 4, 'u4')));
    assert.deepEqual(heard, ['+s1'], 'nothing applied past the gap');
    v.rebase(snapshot(3, { b: [['s1', 1], ['s2', 2], ['s3', 3]] }));
    assert.deepEqual(heard, ['+s1', '+s2', '+s3', '+s4']);
    assert.equal(v.synced, true);
  });

  test('one message may carry several changes of a node, applied in order', () => {
    const { v, heard } = view();
    v.rebase(snapshot(0, {}));
    v.message(published(1, 'b', up('s1', 1, 'u1'), up('s2', 2, 'u2'), closed('s1', 1)));
    assert.deepEqual(heard, ['+s1', '+s2', '-s1']);
    assert.equal(v.size, 1);
  });

  test('malformed messages are reported and change nothing', () => {
    const { v, heard, bad } = view();
    v.rebase(snapshot(0, {}));
    v.message('not json');
    v.message(JSON.stringify({ s: 1, n: 'b', c: [[0, { type: 'Other', data: {} }]] }));
    assert.equal(bad.length, 2);
    assert.deepEqual(heard, []);
  });
});
