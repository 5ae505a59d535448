// Frame admission, given/when/then: given the frames a connection already sent (at times on
// an injected clock), when one more arrives, then its verdict (pass, throttled, dropped,
// flood, too_big), and what admitFrame does to the connection for each verdict.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionHandle } from '../../src/actors/hub.js';
import { admitFrame, judgeFrame, newRateWindow, RATE_WINDOW_MS, type AdmittedConnection, type FrameVerdict } from '../../src/transports/admission.js';
import { MAX_WS_FRAME_BYTES, WS_FLOOD_CLOSE_PER_SECOND, WS_MESSAGES_PER_SECOND } from '../../src/constants.js';

const T0 = 1_700_000_000_000;
const SMALL = 40;

/** `n` frames at the same instant. */
const burst = (n: number, at = T0): number[] => Array.from({ length: n }, () => at);

function given(arrivals: ReadonlyArray<number | { at: number; bytes: number }>) {
  const window = newRateWindow();
  for (const a of arrivals) {
    if (typeof a === 'number') judgeFrame(window, a, SMALL);
    else judgeFrame(window, a.at, a.bytes);
  }
  return {
    when: (at: number, bytes = SMALL) => ({
      then: (expected: FrameVerdict) => assert.equal(judgeFrame(window, at, bytes), expected),
    }),
  };
}

describe('frame rate, one-second window', () => {
  test(`the first ${WS_MESSAGES_PER_SECOND} frames of a window pass`, () => {
    given([]).when(T0).then('pass');
    given(burst(WS_MESSAGES_PER_SECOND - 1)).when(T0 + RATE_WINDOW_MS - 1).then('pass');
  });

  test('the first frame over the rate is throttled (the client is told once)', () => {
    given(burst(WS_MESSAGES_PER_SECOND)).when(T0 + RATE_WINDOW_MS - 1).then('throttled');
  });

  test('further frames over the rate are dropped silently, up to the flood threshold', () => {
    given(burst(WS_MESSAGES_PER_SECOND + 1)).when(T0).then('dropped');
    given(burst(WS_FLOOD_CLOSE_PER_SECOND - 2)).when(T0 + 500).then('dropped');
  });

  test(`the ${WS_FLOOD_CLOSE_PER_SECOND}th frame in one window is a flood`, () => {
    given(burst(WS_FLOOD_CLOSE_PER_SECOND - 1)).when(T0 + RATE_WINDOW_MS - 1).then('flood');
  });

  test('a new window starts a second after the previous one began, with a fresh count', () => {
    given(burst(WS_MESSAGES_PER_SECOND)).when(T0 + RATE_WINDOW_MS).then('pass');
    given([...burst(WS_FLOOD_CLOSE_PER_SECOND - 1), ...burst(WS_MESSAGES_PER_SECOND, T0 + RATE_WINDOW_MS)])
      .when(T0 + RATE_WINDOW_MS)
      .then('throttled');
  });

  test('windows are fixed, not sliding: frames late in one window do not count in the next', () => {
    given([T0, ...burst(WS_MESSAGES_PER_SECOND - 1, T0 + 900)]).when(T0 + RATE_WINDOW_MS).then('pass');
  });

  test('a steady rate at the limit always passes', () => {
    const step = RATE_WINDOW_MS / WS_MESSAGES_PER_SECOND;
    const window = newRateWindow();
    for (let i = 0; i < 10 * WS_MESSAGES_PER_SECOND; i++) assert.equal(judgeFrame(window, T0 + i * step, SMALL), 'pass', `frame ${i}`);
  });
});

describe('frame size', () => {
  test(`a frame over ${MAX_WS_FRAME_BYTES} bytes is too big; one of exactly that size passes`, () => {
    given([]).when(T0, MAX_WS_FRAME_BYTES + 1).then('too_big');
    given([]).when(T0, MAX_WS_FRAME_BYTES).then('pass');
  });

  test('an oversized frame is refused before it is counted', () => {
    const oversized = burst(WS_FLOOD_CLOSE_PER_SECOND).map((at) => ({ at, bytes: MAX_WS_FRAME_BYTES + 1 }));
    given(oversized).when(T0).then('pass');
  });

  test('size is judged before the rate: an oversized frame in a flood is still too big', () => {
    given(burst(WS_FLOOD_CLOSE_PER_SECOND)).when(T0, MAX_WS_FRAME_BYTES + 1).then('too_big');
  });
});

describe('admitFrame acts on the verdict', () => {
  function connection() {
    const calls: string[] = [];
    const warnings: string[] = [];
    const handle: ConnectionHandle = {
      sid: 'sid-1',
      state: 'connected',
      receive: () => void calls.push('receive'),
      invalid: () => void calls.push('invalid'),
      throttled: () => void calls.push('throttled'),
      flood: () => void calls.push('flood'),
      socketClosed: () => void calls.push('socketClosed'),
    };
    const conn: AdmittedConnection = { sid: 'sid-1', address: '192.0.2.1', rate: newRateWindow(), handle, closeTooBig: () => void calls.push('closeTooBig') };
    const logger = { warn: (_o: object, msg: string) => void warnings.push(msg) };
    return { conn, calls, warnings, admit: (at: number, bytes = SMALL) => admitFrame(conn, at, bytes, logger) };
  }

  test('pass: the frame is to be read, nothing else happens', () => {
    const c = connection();
    assert.equal(c.admit(T0), true);
    assert.deepEqual(c.calls, []);
  });

  test('throttled once, then dropped without a word, then the flood closes', () => {
    const c = connection();
    for (let i = 0; i < WS_MESSAGES_PER_SECOND; i++) assert.equal(c.admit(T0), true);
    assert.equal(c.admit(T0), false);
    assert.deepEqual(c.calls, ['throttled']);
    for (let i = WS_MESSAGES_PER_SECOND + 2; i < WS_FLOOD_CLOSE_PER_SECOND; i++) assert.equal(c.admit(T0), false);
    assert.deepEqual(c.calls, ['throttled'], 'dropped frames tell nobody');
    assert.equal(c.admit(T0), false);
    assert.deepEqual(c.calls, ['throttled', 'flood']);
    assert.deepEqual(c.warnings, ['closing flooding connection']);
  });

  test('too big: the transport closes (1009) and the actor is not told', () => {
    const c = connection();
    assert.equal(c.admit(T0, MAX_WS_FRAME_BYTES + 1), false);
    assert.deepEqual(c.calls, ['closeTooBig']);
    assert.deepEqual(c.warnings, ['closing: frame too big']);
  });
});
