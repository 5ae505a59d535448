// `npm run admin` as an operator runs it: a spawned CLI against a real server. Tables by
// default, --json for scripts, the key from the environment or --key-file, and one line
// on stderr with exit 1 for every failure (unknown user, wrong key, server down).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, registerAndLogin, type TestBeacon } from '../support/beacon.js';
import { freePort, ROOT, spawnCommand } from '../support/process.js';
import { within } from '../support/wsClient.js';
import { ADMIN_KEY, startAdminBeacon, wsUser } from './support.js';

let t: TestBeacon;
before(async () => {
  t = await startAdminBeacon();
});
after(async () => {
  await t.stop();
});

async function cli(args: string[], env: Record<string, string> = { ADMIN_API_KEY: ADMIN_KEY }): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const run = spawnCommand(['node', '--import', 'tsx', 'src/cli/admin.ts', ...args], { cwd: ROOT, env: { DATA_DIR: join(t.dir, 'data'), ...env } });
  const code = await within(run.exited, 30_000, `admin ${args.join(' ')}`);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('npm run admin', () => {
  test('connections as a table, then --json; disconnect closes the user with 4005', async () => {
    const ws = await wsUser(t.http, 'cli_alice');
    const table = await cli(['connections', '--url', t.http]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^SID\s+USERNAME\s+NODE\s+TRANSPORT\s+REMOTE_ADDRESS\s+STATE\s+CHANNELS\s+CONNECTED_AT/m);
    assert.match(table.stdout, /cli_alice\s+\S+\s+websocket\s+127\.0\.0\.1\s+authenticated/);
    const json = await cli(['connections', '--user', 'cli_alice', '--json', '--url', t.http]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.connections.length, 1);
    assert.equal(parsed.connections[0].username, 'cli_alice');

    const kicked = await cli(['disconnect', 'cli_alice', '--reason', 'from the cli', '--url', t.http]);
    assert.equal(kicked.code, 0, kicked.stderr);
    assert.equal(kicked.stdout.trim(), 'closed: 1');
    assert.equal((await within(ws.client.closed, 10_000, 'kicked')).code, 4005);

    const events = await cli(['events', '--newest', '--limit', '5', '--url', t.http]);
    assert.match(events.stdout, /UserKicked  userId=\d+ username=cli_alice reason="from the cli" by=admin:[0-9a-f]{12} address=127\.0\.0\.1/);
  });

  test('the key from --key-file; disable, enable, revoke, grant and remove', async () => {
    await registerAndLogin(t.http, 'cli_bob');
    const keyFile = join(t.dir, 'admin.key');
    writeFileSync(keyFile, `${ADMIN_KEY}\n`, { mode: 0o600 });
    const run = (args: string[]) => cli([...args, '--url', t.http, '--key-file', keyFile], {});
    assert.match((await run(['disable', 'cli_bob'])).stdout, /disabled: true/);
    assert.match((await run(['enable', 'cli_bob'])).stdout, /disabled: false/);
    // The disable revoked the token; a new login gives the revoke something to do.
    assert.match((await run(['revoke', 'cli_bob'])).stdout, /revoked: 0/);
    const login = await call('POST', `${t.http}/login-token`, { body: { username: 'cli_bob', password: 'correct horse battery' } });
    assert.equal(login.status, 200);
    assert.match((await run(['revoke', 'cli_bob'])).stdout, /revoked: 1/);
    assert.match((await run(['grant', 'private:cli', 'cli_bob'])).stdout, /member: true/);
    assert.match((await run(['remove', 'private:cli', 'cli_bob'])).stdout, /member: false/);
  });

  test('publish, channels, presence and history as tables', async () => {
    const ws = await wsUser(t.http, 'cli_carol');
    const sub = await within(ws.client.request('subscribe', { channel: 'room:cli' }), 10_000, 'subscribe');
    assert.equal(sub.event, 'subscribed', JSON.stringify(sub));
    const pub = await cli(['publish', 'room:cli', '{"notice":"hello"}', '--url', t.http]);
    assert.equal(pub.code, 0, pub.stderr);
    assert.match(pub.stdout, /channel: room:cli\noffset: 1/);
    const got = await within(ws.client.next('publication'), 10_000, 'publication');
    assert.equal(got.data.from, null);
    assert.match((await cli(['channels', '--url', t.http])).stdout, /^CHANNEL\s+SUBSCRIBERS\s+USERS\n(.*\n)*room:cli\s+1\s+1$/m);
    assert.match((await cli(['presence', 'room:cli', '--url', t.http])).stdout, /room:cli: 1 user\(s\)\nUSERNAME\s+USER_ID\s+CONNECTIONS\ncli_carol\s+\d+\s+1/);
    assert.match((await cli(['history', 'room:cli', '--limit', '5', '--url', t.http])).stdout, /^1\s+-\s+\{"notice":"hello"\}/m);
    const unknown = await cli(['presence', 'nons:x', '--url', t.http]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^admin: unknown_channel: /);
    await ws.client.close();
  });

  test('every failure is one line on stderr and exit 1; usage errors exit 2', async () => {
    const unknown = await cli(['disable', 'nobody_here', '--url', t.http]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.trim().split('\n').length, 1);
    assert.match(unknown.stderr, /^admin: unknown_user: /);

    const wrongKey = await cli(['connections', '--url', t.http], { ADMIN_API_KEY: 'x'.repeat(40) });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /^admin: the server refused the admin key \(invalid_api_key/);

    const down = await cli(['connections', '--url', `http://127.0.0.1:${await freePort()}`]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^admin: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    assert.equal(down.stderr.trim().split('\n').length, 1);

    const noKey = await cli(['connections', '--url', t.http], {});
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /no admin key/);

    const help = await cli(['--help'], {});
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: npm run admin -- <command>/);

    const usage = await cli(['frobnicate']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: npm run admin/);
  });

  test('https with the generated self-signed certificate: refused without --insecure, answered with it', async () => {
    const refused = await cli(['connections', '--url', t.https, '--json'], { ADMIN_API_KEY: ADMIN_KEY, DATA_DIR: join(t.dir, 'elsewhere') });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--insecure/);
    const insecure = await cli(['connections', '--url', t.https, '--json', '--insecure']);
    assert.equal(insecure.code, 0, insecure.stderr);
    // DATA_DIR's generated certificate is trusted without --insecure (it names 127.0.0.1).
    const trusted = await cli(['connections', '--url', t.https, '--json']);
    assert.equal(trusted.code, 0, trusted.stderr);
  });
});
