// Unit tests for the admin API's path matching (names decoded, bounded labels, nothing
// outside /admin/ matched) and the event view that never shows a password hash.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matchAdminPath } from '../../src/admin/router.js';
import { viewOf } from '../../src/admin/eventsView.js';
import type { BeaconEvent, RecordedEvent } from '../../src/events/types.js';
import { ev } from '../support/given.js';

const recorded = (event: BeaconEvent, position = 1): RecordedEvent => ({ ...event, position, stream: 's', streamPosition: 1, recordedAt: 5 }) as RecordedEvent;

describe('matchAdminPath', () => {
  test('fixed routes and routes with names, percent-decoded', () => {
    assert.equal(matchAdminPath('/admin/connections')?.name, 'connections');
    assert.deepEqual(matchAdminPath('/admin/users/al.ice/disable'), { name: 'user.disable', pattern: '/admin/users/:username/disable', params: { username: 'al.ice' } });
    const member = matchAdminPath('/admin/channels/private%3Ateam%40x/members/bob');
    assert.deepEqual(member?.params, { channel: 'private:team@x', username: 'bob' });
    assert.deepEqual(matchAdminPath('/admin/channels/room:lobby/history')?.params, { channel: 'room:lobby' });
  });

  test('unknown, empty or undecodable segments and other prefixes do not match', () => {
    for (const path of ['/admin', '/admin/', '/admin/users/alice', '/admin/users//revoke', '/admin/users/%E0%A4%A/revoke', '/admin/users/alice/revoke/x', '/users', '/adminx/connections']) {
      assert.equal(matchAdminPath(path), undefined, path);
    }
  });
});

describe('viewOf', () => {
  test('a registration shows the user but no hash; a rehash shows no hash', () => {
    const view = viewOf(recorded(ev.registered(1, 'alice', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'), 3));
    assert.deepEqual(view, { position: 3, type: 'UserRegistered', data: { userId: 1, username: 'alice', registeredAt: 1_000 }, recorded_at: 5 });
    assert.deepEqual(viewOf(recorded(ev.rehashed(1, 'pbkdf2:sha256:600000$salt$hash'))).data, { userId: 1 });
  });

  test('a value that looks like a stored hash is removed whatever its key', () => {
    const view = viewOf(recorded(ev.adminPublished('room:a', 1, { note: '$2b$12$abcdefghijklmnopqrstuv', ok: 'fine' })));
    assert.deepEqual(view.data['data'], { ok: 'fine' });
    assert.ok(!JSON.stringify(view).includes('$2b$'));
  });

  test('audit events keep who did it and from where', () => {
    assert.deepEqual(viewOf(recorded(ev.disabled(1, 'alice', 'f00d'))).data, { userId: 1, username: 'alice', by: { actor: 'admin', fingerprint: 'f00d' }, address: '192.0.2.7' });
  });
});
