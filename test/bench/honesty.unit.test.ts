// Impossible figures: negative or non-finite figures, failures, lost messages and failed
// opens mark their scenario unreliable; honest figures raise nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { impossibleLeaves, peerProblems, repProblems } from '../../bench/lib/honesty.js';
import type { PeerResults } from '../../bench/lib/results.js';

const mem = (rss: number, heap: number, failed = 0): NonNullable<PeerResults['memory']> => ({
  connections: 15_000,
  failed,
  openSeconds: 10,
  baseline: { rss: 1e8, heapUsed: 1e7, heapTotal: 2e7, external: 1e6, arrayBuffers: 1e5 },
  loaded: { rss: 1e8 + rss * 15_000, heapUsed: 1e7 + heap * 15_000, heapTotal: 2e7, external: 1e6, arrayBuffers: 1e5 },
  rssPerConnection: rss,
  heapPerConnection: heap,
  jsPerConnection: heap,
});

const hs = (perSecond: number, failed: number): NonNullable<PeerResults['handshake']> => ({
  count: 100, p50: 5, p99: 20, p999: 30, max: 40, perSecond, ok: Math.round(perSecond * 2), failed, serverCpu: 0.9, serverThreads: {}, clientCpu: 0.3,
  ...(failed > 0 ? { firstError: 'ECONNRESET' } : {}),
});

test('impossibleLeaves finds negative and non-finite numbers by path', () => {
  assert.deepEqual(impossibleLeaves({ a: 1, b: { c: -16.4, d: [2, NaN] }, e: 'text' }), ['b.c = -16.4', 'b.d[1] = NaN']);
  assert.deepEqual(impossibleLeaves({ a: 0, b: [1, 2] }), []);
});

test('negative memory per connection is an impossible figure of the memory scenario', () => {
  const ps = peerProblems(1, 'beacon', { label: 'Beacon', errors: [], memory: mem(-16.4 * 1024, 3_000) }, 0);
  assert.ok(ps.length >= 1);
  assert.ok(ps.every((p) => p.scenario === 'memory' && p.rep === 1));
  assert.match(ps[0]?.message ?? '', /impossible memory/);
  assert.equal(peerProblems(1, 'beacon', { label: 'Beacon', errors: [], memory: mem(5_000, 3_000) }, 0).length, 0);
  assert.equal(peerProblems(1, 'beacon', { label: 'Beacon', errors: [], memory: mem(5_000, 3_000, 12) }, 0)[0]?.message, '12 connections failed to open');
});

test('handshakes with failures, far below the fastest peer, are flagged', () => {
  const ps = peerProblems(1, 'beacon', { label: 'Beacon', errors: [], handshake: hs(4, 510) }, 316);
  assert.ok(ps.some((p) => p.scenario === 'handshake' && /510 handshakes failed/.test(p.message)));
  assert.ok(ps.some((p) => /far below/.test(p.message)));
  assert.equal(peerProblems(1, 'beacon', { label: 'Beacon', errors: [], handshake: hs(300, 0) }, 900).length, 0, 'slower without failures is a figure, not a fault');
});

test('lost deliveries, failed steps and lost echoes at a held rate mark their scenarios', () => {
  const r = {
    peers: {
      socketio: {
        label: 'Socket.IO 4',
        errors: ['channel fan-out to 5000 subscribers of one channel: timeout'],
        fanout: [{ connections: 1000, lastP50: 5, lastMax: 9, deliveriesPerSecond: 1e5, deliveriesPerCpuSecond: 1e5, lost: 3 }],
        echo: {
          heldRate: 1000,
          steps: [
            { rate: 1000, count: 9_000, p50: 1, p99: 3, p999: 4, max: 5, achieved: 990, sent: 10_000, received: 9_990, serviceP99: 2, serverCpu: 0.1, clientCpu: 0.1, sendLagMs: 1, clientBound: false },
            { rate: 80_000, count: 9_000, p50: 400, p99: 900, p999: 990, max: 999, achieved: 50_000, sent: 10_000, received: 6_000, serviceP99: 2, serverCpu: 1, clientCpu: 0.5, sendLagMs: 1, clientBound: false },
          ],
        },
      },
    },
  };
  const ps = repProblems(3, r);
  const by = (s: string): string[] => ps.filter((p) => p.scenario === s).map((p) => p.message);
  assert.deepEqual(by('channels'), ['step failed: channel fan-out to 5000 subscribers of one channel: timeout']);
  assert.deepEqual(by('fanout'), ['3 deliveries lost at N=1000']);
  assert.deepEqual(by('echo'), ['10 messages lost at 1000/s'], 'losses past saturation are what the ladder looks for');
  assert.ok(ps.every((p) => p.rep === 3 && p.who === 'socketio'));
});

test('sockets that failed to open mark the scenarios that ran on them', () => {
  const ps = peerProblems(1, 'beacon', { label: 'Beacon', errors: [], openFailures: [{ scenario: 'fanout', message: '510 of 5000 connections failed to open (ECONNREFUSED)' }] }, 0);
  assert.deepEqual(ps.map((p) => [p.scenario, p.message]), [['fanout', '510 of 5000 connections failed to open (ECONNREFUSED)']]);
});

test('a cluster fan-out failure marks the fan-out, not the revocation; a failed start marks both', () => {
  const fanFail = repProblems(1, { peers: {}, cluster: { beacon3: { label: 'Beacon, 3 nodes', fanout: [], errors: ['cluster fan-out to 3000 subscribers over 3 node(s): the nodes do not share fan-out'] } } });
  assert.deepEqual(fanFail.map((p) => [p.who, p.scenario]), [['cluster:beacon3', 'cluster-fanout']]);
  const startFail = repProblems(1, { peers: {}, cluster: { beacon3: { label: 'Beacon, 3 nodes', fanout: [], errors: ['start: no postgres'] } } });
  assert.deepEqual(startFail.map((p) => p.scenario).sort(), ['cluster-fanout', 'cluster-revocation']);
});

test('a peer that failed to start voids every scenario of that peer', () => {
  const ps = peerProblems(2, 'socketio', { label: 'Socket.IO 4', errors: ['start: exited (1) before BENCH_READY'] }, 0);
  assert.ok(['memory', 'echo', 'saturate', 'fanout', 'channels'].every((s) => ps.some((p) => p.scenario === s)));
});
