// Unit tests for versioned event serialisation: every type round-trips, a version newer
// than this server or an unknown type is refused, and older versions are upcast on read.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CURRENT_VERSION, deserialize, serialize, UnknownEventError, type Upcasters } from '../../src/events/serde.js';
import type { BeaconEvent, BeaconEventType } from '../../src/events/types.js';
import { ev } from '../support/given.js';

/** One example of every event type; the Record type makes a new type fail to compile here. */
const EXAMPLES: Record<BeaconEventType, BeaconEvent> = {
  UserRegistered: { type: 'UserRegistered', data: { userId: 1, username: 'alice', passwordHash: '$argon2id$x', registeredAt: 1, importedFrom: 'flask' } },
  PasswordRehashed: ev.rehashed(1, '$argon2id$y'),
  LoginSucceeded: ev.login(1, 'alice', 'jti-00000001', 5_000),
  LoginFailed: ev.loginFailed('nobody', null),
  LoggedOut: ev.loggedOut(1, 'jti-00000001'),
  TokenRevoked: ev.revoked(1, 'jti-00000001', 5_000, 'superseded'),
  ConnectionAuthenticated: ev.connAuth('sid-1', 1, 'alice', 'jti-00000001'),
  ConnectionClosed: ev.connClosed('sid-1', null, 4003),
  ServerStarted: ev.started(42, '1.2.3'),
  ChannelMemberAdded: {
    type: 'ChannelMemberAdded',
    data: { channel: 'private:team', userId: 1, username: 'alice', by: { actor: 'admin', fingerprint: 'sha256:ab12' }, address: '192.0.2.7' },
  },
  ChannelMemberRemoved: ev.memberRemoved('private:team', 1),
  UserDisabled: ev.disabled(1, 'alice'),
  UserEnabled: ev.enabled(1, 'alice'),
  UserKicked: ev.kicked(1, 'alice', 'maintenance'),
  AdminPublished: ev.adminPublished('room:lobby', 3, { notice: 'hi' }),
};

describe('serialize / deserialize', () => {
  for (const [type, event] of Object.entries(EXAMPLES)) {
    test(`${type} round-trips at its current version`, () => {
      const s = serialize(event);
      assert.equal(s.type, type);
      assert.equal(s.version, CURRENT_VERSION[type as BeaconEventType]);
      assert.equal(typeof s.data, 'string');
      assert.deepEqual(deserialize(s.type, s.version, s.data), event);
    });
  }

  test('the data column holds only the data, not the type', () => {
    const s = serialize(ev.loggedOut(3, 'j'));
    assert.deepEqual(JSON.parse(s.data), { userId: 3, jti: 'j' });
  });

  test('a version newer than this server knows is refused', () => {
    const s = serialize(ev.started());
    assert.throws(() => deserialize(s.type, s.version + 1, s.data), UnknownEventError);
    assert.throws(() => deserialize(s.type, s.version + 1, s.data), /newer than this server/);
  });

  test('an unknown type is refused', () => {
    assert.throws(() => deserialize('UserDeleted', 1, '{}'), UnknownEventError);
    assert.throws(() => deserialize('UserDeleted', 1, '{}'), /unknown event type UserDeleted/);
  });

  test('inherited object keys are not event types', () => {
    assert.throws(() => deserialize('toString', 0, '{}'), UnknownEventError);
    assert.throws(() => deserialize('__proto__', 0, '{}'), UnknownEventError);
  });

  test('an older version with no upcaster is refused, naming the missing step', () => {
    const v = CURRENT_VERSION.UserRegistered;
    assert.throws(() => deserialize('UserRegistered', v - 1, '{}', {}), new RegExp(`no upcaster for UserRegistered v${v - 1}`));
  });
});

describe('upcasting', () => {
  // Every type is at v1 today, so a row stored at v0 exercises the one-step path, and a
  // row at v-1 the chained path: deserialize runs steps from the stored version up to current.
  const current = CURRENT_VERSION.UserRegistered;

  test('a row stored one version back is upcast to the current shape', () => {
    const calls: number[] = [];
    const upcasters: Upcasters = {
      UserRegistered: {
        [current - 1]: (data) => {
          calls.push(current - 1);
          // Pretend the old shape called the hash `hash` and had no registeredAt.
          const { hash, ...rest } = data;
          return { ...rest, passwordHash: hash, registeredAt: 0 };
        },
      },
    };
    const old = JSON.stringify({ userId: 5, username: 'eve', hash: 'pbkdf2:sha256:x' });
    const event = deserialize('UserRegistered', current - 1, old, upcasters);
    assert.deepEqual(event, {
      type: 'UserRegistered',
      data: { userId: 5, username: 'eve', passwordHash: 'pbkdf2:sha256:x', registeredAt: 0 },
    });
    assert.deepEqual(calls, [current - 1]);
  });

  test('steps are chained in order from the stored version', () => {
    const calls: number[] = [];
    const step = (v: number) => (data: Record<string, unknown>) => {
      calls.push(v);
      return { ...data, trail: [...((data.trail as number[] | undefined) ?? []), v] };
    };
    const upcasters: Upcasters = { ServerStarted: { [current - 2]: step(current - 2), [current - 1]: step(current - 1) } };
    const event = deserialize('ServerStarted', current - 2, JSON.stringify({ pid: 1, version: 'x' }), upcasters);
    assert.deepEqual(calls, [current - 2, current - 1]);
    assert.deepEqual(event.data, { pid: 1, version: 'x', trail: [current - 2, current - 1] });
  });

  test('a current-version row is not passed through any upcaster', () => {
    const upcasters: Upcasters = {
      LoggedOut: {
        [current]: () => {
          throw new Error('must not run');
        },
      },
    };
    const s = serialize(ev.loggedOut(1, 'j'));
    assert.deepEqual(deserialize(s.type, s.version, s.data, upcasters), ev.loggedOut(1, 'j'));
  });

  test("one type's upcasters are not used for another type", () => {
    const upcasters: Upcasters = { UserRegistered: { [current - 1]: (d) => d } };
    assert.throws(() => deserialize('LoggedOut', current - 1, '{}', upcasters), /no upcaster for LoggedOut/);
  });
});
