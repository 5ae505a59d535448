// `npm run events` shows the admin audit events readably: who (admin and the key's
// fingerprint), the target and the client address, on one line.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRow } from '../../src/cli/events.js';
import { serialize } from '../../src/events/serde.js';
import type { BeaconEvent } from '../../src/events/types.js';
import { ev } from '../support/given.js';

const row = (event: BeaconEvent, position = 9) => {
  const s = serialize(event);
  return { position, stream: 'user-1', stream_position: 2, type: s.type, schema_version: s.version, data: s.data, recorded_at: 0 };
};

test('audit events name the admin by fingerprint, the target and the address', () => {
  assert.equal(
    formatRow(row(ev.disabled(1, 'alice', 'ab12cd34ef56'))),
    '#9  1970-01-01T00:00:00.000Z  user-1#2  UserDisabled  userId=1 username=alice by=admin:ab12cd34ef56 address=192.0.2.7',
  );
  assert.match(formatRow(row(ev.kicked(1, 'alice', 'maintenance window'))), /UserKicked  userId=1 username=alice reason="maintenance window" by=admin:ab12cd34ef56 address=192\.0\.2\.7$/);
  const revoked: BeaconEvent = { type: 'TokenRevoked', data: { userId: 1, jti: 'j1', exp: 0, reason: 'admin', by: { actor: 'admin', fingerprint: 'f00d' }, address: '::1' } };
  assert.match(formatRow(row(revoked)), /reason=admin by=admin:f00d address=::1$/);
});
