// Unit tests for the operator CLI's pure parts: argument parsing (every command, usage
// errors with exit code 2), the request each command makes, where the key comes from, and
// the human-readable rendering.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_URL, parseAdminArgs, render, requestOf, resolveCliKey } from '../../src/cli/admin.js';
import { CliError } from '../../src/cli/common.js';

const KEY = 'admin-key-for-tests-0123456789-abcdefghijkl';
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function usageError(argv: string[]): CliError {
  try {
    parseAdminArgs(argv);
  } catch (err) {
    assert.ok(err instanceof CliError, String(err));
    assert.equal(err.exitCode, 2);
    return err;
  }
  assert.fail(`expected a usage error for ${argv.join(' ')}`);
}

describe('parseAdminArgs', () => {
  test('defaults: the local server, tables, certificate checked', () => {
    const inv = parseAdminArgs(['connections']);
    assert.equal(inv.url, DEFAULT_URL);
    assert.equal(inv.json, false);
    assert.equal(inv.insecure, false);
    assert.equal(parseAdminArgs(['channels'], { BEACON_URL: 'http://b:1' }).url, 'http://b:1');
  });

  test('options and positionals of each command', () => {
    assert.deepEqual(parseAdminArgs(['disconnect', 'alice', '--reason', 'maintenance', '--json']).reason, 'maintenance');
    assert.deepEqual(parseAdminArgs(['grant', 'private:team', 'bob']).args, ['private:team', 'bob']);
    const events = parseAdminArgs(['events', '--after', '10', '--limit', '5', '--newest']);
    assert.equal(events.after, 10);
    assert.equal(events.limit, 5);
    assert.equal(events.newest, true);
    assert.equal(parseAdminArgs(['connections', '--user', 'alice']).user, 'alice');
  });

  test('usage errors: missing or unknown command, wrong arity, misplaced or bad options', () => {
    usageError([]);
    usageError(['frobnicate']);
    usageError(['disconnect']);
    usageError(['grant', 'private:team']);
    usageError(['channels', 'extra']);
    usageError(['revoke', 'alice', '--reason', 'x']);
    usageError(['events', '--limit', 'ten']);
    usageError(['connections', '--bogus']);
    assert.match(usageError(['frobnicate']).message, /usage: npm run admin/);
  });

  test('--help needs no command', () => {
    assert.equal(parseAdminArgs(['--help']).help, true);
  });
});

describe('requestOf', () => {
  const req = (argv: string[]) => requestOf(parseAdminArgs(argv));
  test('each command maps to its route, names percent-encoded', () => {
    assert.deepEqual(req(['connections', '--user', 'al.ice']), { method: 'GET', path: 'admin/connections?user=al.ice' });
    assert.deepEqual(req(['disconnect', 'alice']), { method: 'POST', path: 'admin/users/alice/disconnect', body: {} });
    assert.deepEqual(req(['disconnect', 'alice', '--reason', 'bye now']).body, { reason: 'bye now' });
    assert.equal(req(['revoke', 'alice']).path, 'admin/users/alice/revoke');
    assert.equal(req(['disable', 'alice']).path, 'admin/users/alice/disable');
    assert.equal(req(['enable', 'alice']).path, 'admin/users/alice/enable');
    assert.deepEqual(req(['publish', 'room:lobby', '{"notice":"hi"}']).body, { channel: 'room:lobby', data: { notice: 'hi' } });
    assert.deepEqual(req(['publish', 'room:lobby', 'plain words']).body, { channel: 'room:lobby', data: 'plain words' });
    assert.equal(req(['presence', 'room:lobby']).path, 'admin/channels/room%3Alobby/presence');
    assert.equal(req(['history', 'room:lobby', '--limit', '3']).path, 'admin/channels/room%3Alobby/history?limit=3');
    assert.deepEqual(req(['grant', 'private:a@b', 'bob']), { method: 'PUT', path: 'admin/channels/private%3Aa%40b/members/bob' });
    assert.equal(req(['remove', 'private:team', 'bob']).method, 'DELETE');
    assert.equal(req(['events', '--newest', '--limit', '50']).path, 'admin/events?limit=50&newest=1');
  });
});

describe('resolveCliKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-cli-'));
  dirs.push(dir);
  const file = join(dir, 'key');
  writeFileSync(file, `${KEY}\n`, { mode: 0o600 });

  test('--key-file wins, then ADMIN_API_KEY, then ADMIN_API_KEY_FILE, then DATA_DIR/admin-api.key', () => {
    assert.equal(resolveCliKey({ keyFile: file }, { ADMIN_API_KEY: 'other-key-other-key-other-key-other' }), KEY);
    assert.equal(resolveCliKey({ keyFile: undefined }, { ADMIN_API_KEY: KEY }), KEY);
    assert.equal(resolveCliKey({ keyFile: undefined }, { ADMIN_API_KEY_FILE: file }), KEY);
    writeFileSync(join(dir, 'admin-api.key'), `${KEY}\n`, { mode: 0o600 });
    assert.equal(resolveCliKey({ keyFile: undefined }, { DATA_DIR: dir }), KEY);
  });

  test('no key anywhere, or an unreadable file: one clear line', () => {
    assert.throws(() => resolveCliKey({ keyFile: undefined }, { DATA_DIR: join(dir, 'none') }), /no admin key/);
    assert.throws(() => resolveCliKey({ keyFile: join(dir, 'missing') }, {}), (err: unknown) => err instanceof CliError && /--key-file: cannot read/.test(err.message));
  });
});

describe('render', () => {
  test('connections as a table with a header, an empty list in words', () => {
    const out = render('connections', {
      connections: [{ sid: 's1', username: 'alice', node: 'n1', transport: 'websocket', remote_address: '127.0.0.1', state: 'authenticated', channels: ['room:a'], connected_at: 0 }],
    });
    assert.match(out.split('\n')[0] ?? '', /^SID\s+USERNAME\s+NODE/);
    assert.match(out, /alice\s+n1\s+websocket\s+127\.0\.0\.1\s+authenticated\s+room:a\s+1970-01-01T00:00:00\.000Z/);
    assert.equal(render('connections', { connections: [] }), 'no live connections');
  });

  test('events one per line with who did it; single answers as fields', () => {
    const out = render('events', {
      events: [{ position: 7, type: 'UserKicked', recorded_at: 0, data: { userId: 1, username: 'alice', by: { actor: 'admin', fingerprint: 'ab12' }, address: '::1' } }],
      last_position: 7,
    });
    assert.match(out, /^#7  1970-01-01T00:00:00\.000Z  UserKicked  userId=1 username=alice by=admin:ab12 address=::1$/m);
    assert.match(out, /last position: 7$/);
    assert.equal(render('disconnect', { closed: 2 }), 'closed: 2');
  });
});
