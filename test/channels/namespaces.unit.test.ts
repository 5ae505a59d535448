// Unit tests for namespaces: the built-in table as the contract fixes it, CHANNELS_FILE
// validation (one line naming the fault), the loader, and the permission decisions.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseChannelName, type ChannelName } from '../../src/channels/names.js';
import {
  BUILT_IN_NAMESPACES,
  canPublish,
  canSubscribe,
  loadNamespaceTable,
  parseNamespaceTable,
  type NamespacePolicy,
} from '../../src/channels/namespaces.js';
import { ConfigError } from '../../src/config/index.js';
import { CHANNEL_HISTORY_SIZE_MAX, MAX_NAMESPACES } from '../../src/constants.js';

const dir = mkdtempSync(join(tmpdir(), 'beacon-ns-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400;
const good: NamespacePolicy = { subscribe: 'any', publish: 'subscribers', presence: true, history_size: 10, history_ttl_seconds: 60 };

const fault = (json: unknown): string => {
  const parsed = parseNamespaceTable(json);
  assert.ok(!parsed.ok, `expected a fault for ${JSON.stringify(json)}`);
  assert.ok(!parsed.fault.includes('\n'), 'one line');
  return parsed.fault;
};

describe('built-in namespaces', () => {
  test('room, user and private exactly as the contract says', () => {
    assert.deepEqual(
      [...BUILT_IN_NAMESPACES],
      [
        ['room', { subscribe: 'any', publish: 'subscribers', presence: true, history_size: 100, history_ttl_seconds: DAY }],
        ['user', { subscribe: 'owner', publish: 'any', presence: false, history_size: 100, history_ttl_seconds: 7 * DAY }],
        ['private', { subscribe: 'members', publish: 'members', presence: true, history_size: 100, history_ttl_seconds: DAY }],
      ],
    );
  });

  test('the built-in table passes its own schema', () => {
    const parsed = parseNamespaceTable(Object.fromEntries(BUILT_IN_NAMESPACES));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.table, BUILT_IN_NAMESPACES);
  });
});

describe('CHANNELS_FILE schema', () => {
  test('a valid file becomes the table, replacing the built-in one whole', () => {
    const parsed = parseNamespaceTable({ chat: good, news: { ...good, publish: 'admin', history_size: 0, history_ttl_seconds: 0 } });
    assert.ok(parsed.ok);
    assert.deepEqual([...parsed.table.keys()], ['chat', 'news']);
    assert.deepEqual(parsed.table.get('chat'), good);
    assert.equal(parsed.table.get('room'), undefined);
  });

  test('limits are named in the fault, with the namespace and field', () => {
    assert.equal(fault({ room: { ...good, history_size: CHANNEL_HISTORY_SIZE_MAX + 1 } }), 'room.history_size: must be at most 1000');
    assert.equal(fault({ room: { ...good, history_size: -1 } }), 'room.history_size: must be at least 0');
    assert.equal(fault({ room: { ...good, history_size: 2.5 } }), 'room.history_size: must be a whole number');
    assert.equal(fault({ room: { ...good, history_ttl_seconds: '60' } }), 'room.history_ttl_seconds: must be a number');
    assert.equal(fault({ room: { ...good, history_ttl_seconds: 0 } }), 'room.history_ttl_seconds: must be at least 1 when history_size is above 0');
  });

  test('rule names, missing fields, unknown fields and non-objects', () => {
    assert.match(fault({ room: { ...good, subscribe: 'everyone' } }), /^room\.subscribe: must be "any", "owner" or "members"$/);
    assert.match(fault({ room: { ...good, publish: 'owner' } }), /^room\.publish: must be /);
    assert.equal(fault({ room: { ...good, presence: 'yes' } }), 'room.presence: must be true or false');
    const { presence: _dropped, ...noPresence } = good;
    assert.equal(fault({ room: noPresence }), 'room.presence: is missing');
    assert.equal(fault({ room: { ...good, histroy_size: 5 } }), 'room: unknown setting "histroy_size"');
    assert.match(fault({ room: 5 }), /^room: must be an object/);
  });

  test('namespace names are validated', () => {
    for (const name of ['Room', 'a:b', '1room', '', '_x', 'x'.repeat(33), 'ro om']) {
      assert.match(fault({ [name]: good }), /invalid namespace name|namespace names/, name);
    }
    assert.equal(fault(JSON.parse(`{"__proto__": ${JSON.stringify(good)}}`)), '__proto__: invalid namespace name');
    assert.ok(parseNamespaceTable({ ['a'.repeat(32)]: good, 'my_ns-2': good }).ok);
  });

  test('the file must be a non-empty object of at most MAX_NAMESPACES namespaces', () => {
    assert.equal(fault([]), 'must be a JSON object of namespaces');
    assert.equal(fault(null), 'must be a JSON object of namespaces');
    assert.equal(fault('room'), 'must be a JSON object of namespaces');
    assert.equal(fault({}), 'defines no namespace');
    const many = Object.fromEntries(Array.from({ length: MAX_NAMESPACES + 1 }, (_, i) => [`ns${i}`, good]));
    assert.match(fault(many), /more than/);
  });
});

describe('loadNamespaceTable', () => {
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const configError = (path: string): string => {
    let caught: unknown;
    try {
      loadNamespaceTable(path);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ConfigError, String(caught));
    assert.equal(caught.setting, 'CHANNELS_FILE');
    assert.ok(!caught.message.includes('\n'), 'one line');
    return caught.message;
  };

  test('reads a valid file', () => {
    const table = loadNamespaceTable(file('ok.json', JSON.stringify({ chat: good })));
    assert.deepEqual([...table], [['chat', good]]);
  });

  test('a bad value is one line naming it', () => {
    const path = file('big.json', JSON.stringify({ room: { ...good, history_size: 5000 } }));
    assert.equal(configError(path), 'CHANNELS_FILE: room.history_size: must be at most 1000');
  });

  test('a missing file and invalid JSON are one line each', () => {
    assert.match(configError(join(dir, 'absent.json')), /^CHANNELS_FILE: cannot read .*absent\.json \(ENOENT\)$/);
    assert.match(configError(file('broken.json', '{"room":\n {')), /^CHANNELS_FILE: .*broken\.json is not valid JSON/);
  });
});

describe('permissions', () => {
  const alice = { userId: 1, username: 'alice' };
  const name = (text: string): ChannelName => {
    const parsed = parseChannelName(text, BUILT_IN_NAMESPACES);
    assert.ok(parsed.ok);
    return parsed.channel;
  };
  const ns = (n: string): NamespacePolicy => BUILT_IN_NAMESPACES.get(n) as NamespacePolicy;
  const ctx = (isMember: boolean, isSubscribed: boolean) => ({ isMember, isSubscribed });

  test('subscribe: any user to a room; only the owner to user:<name>; only members to private', () => {
    assert.equal(canSubscribe(ns('room'), name('room:lobby'), alice, false), true);
    assert.equal(canSubscribe(ns('user'), name('user:alice'), alice, false), true);
    assert.equal(canSubscribe(ns('user'), name('user:bob'), alice, true), false);
    // The owner check is exact: another case is another user.
    assert.equal(canSubscribe(ns('user'), name('user:Alice'), alice, false), false);
    assert.equal(canSubscribe(ns('private'), name('private:team'), alice, true), true);
    assert.equal(canSubscribe(ns('private'), name('private:team'), alice, false), false);
  });

  test("publish to a room needs this connection's subscription (not_subscribed otherwise)", () => {
    assert.deepEqual(canPublish(ns('room'), alice, ctx(false, true)), { ok: true });
    assert.deepEqual(canPublish(ns('room'), alice, ctx(true, false)), { ok: false, code: 'not_subscribed' });
  });

  test('publish to user:<name> is open to any user (an inbox)', () => {
    assert.deepEqual(canPublish(ns('user'), alice, ctx(false, false)), { ok: true });
  });

  test('publish to private needs membership, a subscription alone is not enough', () => {
    assert.deepEqual(canPublish(ns('private'), alice, ctx(true, false)), { ok: true });
    assert.deepEqual(canPublish(ns('private'), alice, ctx(false, true)), { ok: false, code: 'permission_denied' });
  });

  test("publish 'admin' refuses every user; the admin API publishes anywhere", () => {
    const adminOnly: NamespacePolicy = { ...good, publish: 'admin' };
    assert.deepEqual(canPublish(adminOnly, alice, ctx(true, true)), { ok: false, code: 'permission_denied' });
    for (const policy of [adminOnly, ns('room'), ns('private')]) assert.deepEqual(canPublish(policy, 'admin', ctx(false, false)), { ok: true });
  });
});
