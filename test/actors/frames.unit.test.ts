// Client frame parsing: the envelope, each event's data, and hostile input (prototype
// keys, oversized text, wrong types) all answered without throwing.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TEXT_LENGTH, parseClientFrame, parseClientText } from '../../src/actors/frames.js';
import { MAX_TOKEN_LENGTH } from '../../src/constants.js';

function ok(value: unknown) {
  const r = parseClientFrame(value);
  assert.equal(r.ok, true, r.ok ? '' : r.message);
  if (!r.ok) throw new Error('unreachable');
  return r.frame;
}

function bad(value: unknown) {
  const r = parseClientFrame(value);
  assert.equal(r.ok, false, `expected rejection of ${JSON.stringify(value)}`);
  if (r.ok) throw new Error('unreachable');
  assert.ok(r.message.length > 0 && r.message.length < 300);
  return r;
}

describe('valid frames', () => {
  test('register_user keeps token, username and id', () => {
    assert.deepEqual(ok({ event: 'register_user', data: { token: 'abc', username: 'alice' }, id: 7 }), {
      type: 'register_user',
      data: { token: 'abc', username: 'alice' },
      id: 7,
    });
  });

  test('message carries any JSON, or nothing', () => {
    assert.deepEqual(ok({ event: 'message', data: [1, 'two', { three: null }] }).data, [1, 'two', { three: null }]);
    assert.equal(ok({ event: 'message', data: 'hi' }).data, 'hi');
    const f = ok({ event: 'message' });
    assert.equal(f.data, undefined);
    assert.equal(f.id, undefined);
  });

  test('authenticated_message with text, data and to', () => {
    const f = ok({ event: 'authenticated_message', data: { text: 'yo', data: { a: 1 }, to: 'bob' } });
    assert.deepEqual(f.data, { text: 'yo', data: { a: 1 }, to: 'bob' });
    ok({ event: 'authenticated_message', data: {} });
  });

  test('ping_manual with number, string or no t', () => {
    assert.deepEqual(ok({ event: 'ping_manual', data: { t: 12.5 } }).data, { t: 12.5 });
    assert.deepEqual(ok({ event: 'ping_manual', data: { t: 'x' } }).data, { t: 'x' });
    assert.equal(ok({ event: 'ping_manual' }).data, undefined);
    assert.equal(ok({ event: 'ping_manual', data: null }).data, null);
  });

  test('events without data accept absent, null or {}', () => {
    for (const event of ['debug_connection', 'get_online_users', 'check_connections']) {
      ok({ event });
      ok({ event, data: null });
      ok({ event, data: {}, id: 0 });
    }
  });

  test('disconnect with or without a reason', () => {
    assert.deepEqual(ok({ event: 'disconnect', data: { reason: 'bye' } }).data, { reason: 'bye' });
    ok({ event: 'disconnect' });
  });

  test('parseClientText decodes then validates', () => {
    const r = parseClientText('{"event":"ping_manual","data":{"t":1},"id":3}');
    assert.ok(r.ok);
    assert.equal(r.frame.id, 3);
  });
});

describe('invalid frames', () => {
  test('not an envelope', () => {
    for (const v of [null, 42, 'message', [], { data: 1 }, { event: 5 }, { event: '' }]) bad(v);
  });

  test('unknown keys in the envelope are refused', () => {
    bad({ event: 'message', data: 1, extra: true });
  });

  test('unknown event answers with its readable id', () => {
    const r = bad({ event: 'nope', id: 4 });
    assert.equal(r.id, 4);
    assert.match(r.message, /Unknown event/);
  });

  test('ids must be safe non-negative integers; a bad id is not echoed', () => {
    for (const id of [-1, 1.5, '3', Number.MAX_SAFE_INTEGER + 2]) {
      const r = bad({ event: 'message', id });
      assert.equal(r.id, undefined);
    }
  });

  test('wrong data shapes are refused and keep the id', () => {
    assert.equal(bad({ event: 'register_user', data: { token: 'x' }, id: 9 }).id, 9);
    bad({ event: 'register_user', data: { token: 1, username: 'a' } });
    bad({ event: 'register_user', data: 'token' });
    bad({ event: 'authenticated_message', data: 'hello' });
    bad({ event: 'authenticated_message', data: { text: 5 } });
    bad({ event: 'ping_manual', data: { t: true } });
    bad({ event: 'get_online_users', data: { all: true } });
    bad({ event: 'disconnect', data: { reason: 3 } });
  });

  test('oversized text and token are refused', () => {
    bad({ event: 'authenticated_message', data: { text: 'x'.repeat(MAX_TEXT_LENGTH + 1) } });
    ok({ event: 'authenticated_message', data: { text: 'x'.repeat(MAX_TEXT_LENGTH) } });
    bad({ event: 'register_user', data: { token: 'x'.repeat(MAX_TOKEN_LENGTH + 1), username: 'a' } });
  });

  test('__proto__ keys never reach a prototype', () => {
    const envelope = JSON.parse('{"event":"message","data":{"a":1},"__proto__":{"polluted":true}}');
    bad(envelope);
    const inData = JSON.parse('{"event":"register_user","data":{"token":"t","username":"u","__proto__":{"polluted":true}}}');
    bad(inData);
    const nested = JSON.parse('{"event":"authenticated_message","data":{"__proto__":{"text":"x"}}}');
    bad(nested);
    // Free-form data is passed through as data, never merged into anything.
    const free = ok(JSON.parse('{"event":"message","data":{"__proto__":{"polluted":true}}}'));
    assert.equal(Object.getPrototypeOf(free.data), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('event names like constructor or toString are unknown, not inherited', () => {
    bad({ event: 'constructor' });
    bad({ event: 'toString' });
    bad({ event: '__proto__' });
  });

  test('malformed JSON', () => {
    const r = parseClientText('{"event":');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.message, 'Malformed JSON');
  });
});
