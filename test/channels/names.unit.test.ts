// Unit tests for channel names: `<namespace>:<rest>` against the configured namespaces,
// the rest's length and alphabet at both boundaries, and non-string input.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHANNEL_NAME_MAX, parseChannelName } from '../../src/channels/names.js';
import { BUILT_IN_NAMESPACES, type NamespacePolicy } from '../../src/channels/namespaces.js';
import { CHANNEL_REST_MAX } from '../../src/constants.js';

const accepted = (input: string): { namespace: string; rest: string } => {
  const parsed = parseChannelName(input, BUILT_IN_NAMESPACES);
  assert.ok(parsed.ok, `${input} should be accepted`);
  assert.equal(parsed.channel.name, input);
  assert.equal(parsed.policy, BUILT_IN_NAMESPACES.get(parsed.channel.namespace));
  return { namespace: parsed.channel.namespace, rest: parsed.channel.rest };
};
const refused = (input: unknown, table = BUILT_IN_NAMESPACES): string => {
  const parsed = parseChannelName(input, table);
  assert.ok(!parsed.ok, `${JSON.stringify(input)} should be refused`);
  assert.equal(parsed.code, 'invalid_channel');
  return parsed.message;
};

describe('parseChannelName', () => {
  test('splits at the first colon into namespace and rest', () => {
    assert.deepEqual(accepted('room:lobby'), { namespace: 'room', rest: 'lobby' });
    assert.deepEqual(accepted('user:alice'), { namespace: 'user', rest: 'alice' });
    assert.deepEqual(accepted('private:team-1'), { namespace: 'private', rest: 'team-1' });
  });

  test('rest may use every allowed character: A-Z a-z 0-9 _ . - @ =', () => {
    assert.deepEqual(accepted('room:AZaz09_.-@='), { namespace: 'room', rest: 'AZaz09_.-@=' });
  });

  test(`rest is 1 to ${CHANNEL_REST_MAX} characters`, () => {
    accepted('room:x');
    accepted(`room:${'x'.repeat(CHANNEL_REST_MAX)}`);
    refused('room:');
    refused(`room:${'x'.repeat(CHANNEL_REST_MAX + 1)}`);
  });

  for (const bad of ['room:a b', 'room:a:b', 'room:é', 'room:a/b', 'room:a#b', 'room:a\u0000', 'room:a+b', 'room:*']) {
    test(`a rest with a character outside the alphabet is refused: ${JSON.stringify(bad)}`, () => {
      refused(bad);
    });
  }

  test('an unknown namespace is invalid_channel, and so is a name with no namespace', () => {
    assert.match(refused('lobby:main'), /namespace/i);
    assert.match(refused('Room:main'), /namespace/i);
    refused('lobby');
    refused(':lobby');
    refused('');
  });

  test('only configured namespaces count: a custom table replaces the built-in one', () => {
    const policy: NamespacePolicy = { subscribe: 'any', publish: 'any', presence: false, history_size: 0, history_ttl_seconds: 0 };
    const table = new Map([['chat', policy]]);
    const parsed = parseChannelName('chat:general', table);
    assert.ok(parsed.ok);
    assert.equal(parsed.policy, policy);
    refused('room:lobby', table);
  });

  test('names of object properties are not namespaces', () => {
    for (const name of ['__proto__:x', 'constructor:x', 'toString:x', 'hasOwnProperty:x']) refused(name);
  });

  test('non-strings are refused', () => {
    for (const input of [undefined, null, 42, ['room:a'], { channel: 'room:a' }, true]) refused(input);
  });

  test('an overlong input is refused without scanning it', () => {
    assert.match(refused(`room:${'x'.repeat(CHANNEL_NAME_MAX)}`), /too long/);
    assert.match(refused('x'.repeat(1_000_000)), /too long/);
  });
});
