// The bench's statistics over repetitions: median, range, the >20% variation flag, the median
// tree of a run's results, and targets judged on the median of per-repetition ratios.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leafSpreads, median, medianTree, spread } from '../../bench/lib/stats.js';
import { combineTargets } from '../../bench/lib/targets.js';
import type { TargetResult } from '../../bench/lib/results.js';

test('median of odd and even counts; non-finite values are left out, none gives NaN', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5, NaN, 1, Infinity, 3]), 3);
  assert.ok(Number.isNaN(median([])));
  assert.ok(Number.isNaN(median([NaN])));
});

test('spread gives min, max and flags a range over 20% of the median', () => {
  assert.deepEqual(spread([100, 110, 90]), { median: 100, min: 90, max: 110, n: 3, varies: false });
  assert.equal(spread([100, 121, 100]).varies, true, '21% of the median');
  assert.equal(spread([100, 120, 100]).varies, false, 'exactly 20% is not more than 20%');
  assert.equal(spread([0, 0, 0]).varies, false);
  assert.equal(spread([0, 0, 1]).varies, true, 'a range around a zero median varies');
  assert.equal(spread([42]).varies, false, 'one value cannot vary');
  assert.equal(spread([undefined, 5, NaN]).n, 1);
  assert.equal(spread([-10, -12, -11]).varies, false, 'negative medians are measured by their size');
});

test('medianTree takes each number’s median, matches list entries by key, keeps flags raised and unites messages', () => {
  const reps = [
    { a: { x: 1, ok: false }, steps: [{ rate: 1000, p99: 5 }, { rate: 2000, p99: 9 }], errors: ['e1'] },
    { a: { x: 3, ok: true }, steps: [{ rate: 1000, p99: 7 }], errors: [] },
    { a: { x: 2, ok: false }, steps: [{ rate: 1000, p99: 6 }, { rate: 2000, p99: 11 }], errors: ['e1', 'e2'] },
  ];
  assert.deepEqual(medianTree(reps), { a: { x: 2, ok: true }, steps: [{ rate: 1000, p99: 6 }, { rate: 2000, p99: 10 }], errors: ['e1', 'e2'] });
});

test('leafSpreads names every numeric figure by path, list entries by key', () => {
  const reps = [{ echo: { steps: [{ rate: 1000, p99: 5 }] } }, { echo: { steps: [{ rate: 1000, p99: 10 }] } }];
  const s = leafSpreads(reps);
  const p99 = s.find((x) => x.path === 'echo.steps[rate=1000].p99');
  assert.ok(p99 !== undefined, JSON.stringify(s.map((x) => x.path)));
  assert.equal(p99.varies, true);
  assert.equal(p99.median, 7.5);
});

const t = (value: number | undefined, scenario = 'saturate'): TargetResult => ({
  target: 'Echo ≥ 5× Socket.IO',
  scenario,
  figure: value === undefined ? 'not measured' : `${value}×`,
  met: value === undefined ? null : value >= 5,
  ...(value === undefined ? {} : { value, judge: (v: number) => v >= 5, show: (v: number) => `${v.toFixed(2)}×` }),
});

test('targets are judged on the median of the repetitions’ values, with the range shown', () => {
  const [c] = combineTargets([[t(6)], [t(4)], [t(5.5)]], []);
  assert.equal(c?.value, 5.5);
  assert.equal(c?.met, true);
  assert.match(c?.figure ?? '', /median of 3: 5\.50× \[4\.00× – 6\.00×\]/);
  const [d] = combineTargets([[t(6)], [t(4)], [t(4.5)]], []);
  assert.equal(d?.met, false, 'one good repetition does not meet a target');
});

test('a problem in the target’s scenario means not met, whatever the figure', () => {
  const problems = [{ rep: 2, who: 'beacon', scenario: 'saturate', message: 'impossible figure pipelined.perCpuSecond = NaN' }];
  const [c] = combineTargets([[t(9)], [t(9)], [t(9)]], problems);
  assert.equal(c?.met, false);
  assert.match(c?.unreliable ?? '', /rep 2 beacon: impossible figure/);
  const [other] = combineTargets([[t(9)], [t(9)], [t(9)]], [{ ...problems[0]!, scenario: 'memory' }]);
  assert.equal(other?.met, true, 'a problem elsewhere does not touch this target');
  const [tls] = combineTargets([[t(9)]], [{ ...problems[0]!, who: 'beacon-tls' }]);
  assert.equal(tls?.met, true, 'the TLS lines judge no target');
  const [sio] = combineTargets([[t(9)]], [{ ...problems[0]!, who: 'socketio' }]);
  assert.equal(sio?.met, false, 'a ratio against Socket.IO needs Socket.IO’s figure sound too');
  const [uws] = combineTargets([[t(9)]], [{ ...problems[0]!, who: 'uws' }]);
  assert.equal(uws?.met, true, 'raw uWS’s problem does not touch a target against Socket.IO');
  const beaconOnly = { ...t(5_000, 'memory'), target: 'Idle authenticated connection ≤ 6 KB RSS', judge: (v: number) => v <= 6_144 };
  const [rss] = combineTargets([[beaconOnly]], [{ ...problems[0]!, who: 'socketio', scenario: 'memory' }]);
  assert.equal(rss?.met, true, 'Beacon’s own memory target does not depend on Socket.IO’s sockets');
});

test('a repetition that measured nothing keeps the target from being met', () => {
  const [c] = combineTargets([[t(9)], [t(undefined)], [t(9)]], []);
  assert.equal(c?.met, false);
  assert.match(c?.figure ?? '', /1 rep\(s\) not measured/);
});
