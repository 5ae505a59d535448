// The admin API over HTTP against a real server (docs/protocol.md section 7): the key
// (401 / 404), every user route and its effect on live /ws and Socket.IO connections,
// strict bodies and queries, unknown users, and the audit trail (fingerprint, address,
// never the key, never a hash).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fingerprintOf } from '../../src/admin/key.js';
import { call, readLogs, registerAndLogin, startTestBeacon, tempDir, type TestBeacon } from '../support/beacon.js';
import { TestClient, within, wsUrl } from '../support/wsClient.js';
import { ADMIN_KEY, admin, sioUser, startAdminBeacon, wsUser } from './support.js';

const WAIT = 10_000;
let t: TestBeacon;
before(async () => {
  t = await startAdminBeacon();
});
after(async () => {
  await t.stop();
});

const events = async (after = 0) => (await admin('GET', `${t.http}/admin/events?after=${after}&limit=1000`)).json.events as Array<{ position: number; type: string; data: any; recorded_at: number }>;

describe('the key', () => {
  test('a missing or wrong key is 401 invalid_api_key on every route', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/admin/connections'],
      ['POST', '/admin/users/nobody/disconnect'],
      ['POST', '/admin/users/nobody/revoke'],
      ['POST', '/admin/users/nobody/disable'],
      ['POST', '/admin/users/nobody/enable'],
      ['PUT', '/admin/channels/private:x/members/nobody'],
      ['DELETE', '/admin/channels/private:x/members/nobody'],
      ['GET', '/admin/events'],
    ];
    for (const [method, path] of routes) {
      for (const key of [null, '', 'wrong', `${ADMIN_KEY}x`, ADMIN_KEY.slice(0, -1)]) {
        const res = await admin(method, `${t.http}${path}`, { key });
        assert.equal(res.status, 401, `${method} ${path} key=${String(key)}`);
        assert.equal(res.json.error, 'invalid_api_key');
        assert.equal(typeof res.json.message, 'string');
      }
    }
  });

  test('without ADMIN_API_KEY every /admin/* route is 404, even with a key', async () => {
    const off = await startTestBeacon();
    try {
      for (const path of ['/admin/connections', '/admin/events', '/admin/users/x/revoke']) {
        const res = await admin('GET', `${off.http}${path}`);
        assert.equal(res.status, 404, path);
        assert.equal(res.json.error, 'not_found');
      }
    } finally {
      await off.stop();
    }
  });

  test('a wrong method is 405 with Allow; an unknown admin path is 404', async () => {
    const res = await admin('GET', `${t.http}/admin/users/x/disable`);
    assert.equal(res.status, 405);
    assert.equal(res.headers['allow'], 'POST');
    assert.equal((await admin('GET', `${t.http}/admin/nothing`)).status, 404);
  });
});

describe('validation and unknown users', () => {
  test('unknown users are 404 unknown_user on every user route and the connections filter', async () => {
    for (const action of ['disconnect', 'revoke', 'disable', 'enable']) {
      const res = await admin('POST', `${t.http}/admin/users/ghost_user/${action}`);
      assert.equal(res.status, 404, action);
      assert.equal(res.json.error, 'unknown_user');
    }
    assert.equal((await admin('GET', `${t.http}/admin/connections?user=ghost_user`)).json.error, 'unknown_user');
    assert.equal((await admin('PUT', `${t.http}/admin/channels/private:team/members/ghost_user`)).json.error, 'unknown_user');
  });

  test('unknown fields and parameters are 400 invalid_request naming them', async () => {
    await registerAndLogin(t.http, 'val_user');
    const body = await admin('POST', `${t.http}/admin/users/val_user/disconnect`, { body: { reason: 'x', extra: 1 } });
    assert.equal(body.status, 400);
    assert.match(body.json.message, /extra/);
    const query = await admin('GET', `${t.http}/admin/connections?usr=val_user`);
    assert.equal(query.status, 400);
    assert.match(query.json.message, /usr/);
    for (const q of ['limit=0', 'limit=1001', 'limit=x', 'after=-1']) {
      const res = await admin('GET', `${t.http}/admin/events?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.json.error, 'invalid_request');
    }
    assert.equal((await admin('POST', `${t.http}/admin/users/val_user/disconnect`, { raw: '{oops', headers: { 'content-type': 'application/json' } })).status, 400);
    assert.equal((await admin('POST', `${t.http}/admin/users/val_user/disconnect`, { raw: 'x', headers: { 'content-type': 'text/plain' } })).status, 415);
  });

  test('unknown channels are 404 unknown_channel; a channel without members is 400', async () => {
    await registerAndLogin(t.http, 'chan_user');
    for (const channel of ['nons:x', 'nocolon', 'private:', 'private:bad%20name']) {
      const res = await admin('PUT', `${t.http}/admin/channels/${channel}/members/chan_user`);
      assert.equal(res.status, 404, channel);
      assert.equal(res.json.error, 'unknown_channel');
    }
    assert.equal((await admin('PUT', `${t.http}/admin/channels/room:lobby/members/chan_user`)).status, 400);
  });
});

describe('connections and disconnect', () => {
  test('connections lists live /ws and Socket.IO connections with their address; disconnect closes them with 4005, the token stays valid', async () => {
    const ws = await wsUser(t.http, 'kick_me');
    const sio = await sioUser(t.http, 'kick_me', ws.token);
    const other = await wsUser(t.http, 'kick_other');

    const all = await admin('GET', `${t.http}/admin/connections`);
    assert.equal(all.status, 200);
    const mine = (await admin('GET', `${t.http}/admin/connections?user=kick_me`)).json.connections;
    assert.equal(mine.length, 2);
    for (const c of mine) {
      assert.equal(c.username, 'kick_me');
      assert.equal(c.user_id, ws.userId);
      assert.equal(c.state, 'authenticated');
      assert.equal(c.remote_address, '127.0.0.1');
      assert.equal(typeof c.sid, 'string');
      assert.equal(typeof c.node, 'string');
      assert.equal(typeof c.connected_at, 'number');
      assert.deepEqual(c.channels, []);
    }
    assert.deepEqual(mine.map((c: { transport: string }) => c.transport).sort(), ['socket.io', 'websocket']);

    const res = await admin('POST', `${t.http}/admin/users/kick_me/disconnect`, { body: { reason: 'maintenance' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { closed: 2 });
    const response = await within(ws.client.next('response', (d) => d.ok === false), WAIT, 'kick response');
    assert.deepEqual(response.data, { ok: false, code: 'kicked', message: 'Disconnected by an administrator' });
    const farewell = await within(ws.client.next('disconnect'), WAIT, 'kick farewell');
    assert.deepEqual(farewell.data, { code: 4005, reason: 'Disconnected by an administrator' });
    assert.equal((await within(ws.client.closed, WAIT, 'kick close')).code, 4005);
    const sioResponse = await within(sio.next('response', (d) => d.ok === false), WAIT, 'sio kick response');
    assert.equal(sioResponse.data.code, 'kicked');
    assert.equal(await within(sio.disconnected, WAIT, 'sio disconnected'), 'io server disconnect');

    // The token stays valid: the client may come back at once. The bystander was untouched.
    assert.equal((await call('GET', `${t.http}/protected`, { token: ws.token })).status, 200);
    const again = await TestClient.open(wsUrl(t.http, ws.token));
    assert.equal((await again.request('debug_connection')).data.state, 'authenticated');
    assert.equal((await other.client.request('debug_connection')).data.state, 'authenticated');

    const kick = (await events()).filter((e) => e.type === 'UserKicked').at(-1);
    assert.deepEqual(kick?.data, { userId: ws.userId, username: 'kick_me', reason: 'maintenance', by: { actor: 'admin', fingerprint: fingerprintOf(ADMIN_KEY) }, address: '127.0.0.1' });
    await again.close();
    await other.client.close();
  });

  test('disconnect of a user with no connection closes nothing but is recorded', async () => {
    await registerAndLogin(t.http, 'kick_none');
    const res = await admin('POST', `${t.http}/admin/users/kick_none/disconnect`);
    assert.deepEqual(res.json, { closed: 0 });
    assert.ok((await events()).some((e) => e.type === 'UserKicked' && e.data.username === 'kick_none'));
  });
});

describe('revoke', () => {
  test('revokes the active token (sockets close with 4001, the token is refused), recorded with reason admin', async () => {
    const ws = await wsUser(t.http, 'rev_me');
    const sio = await sioUser(t.http, 'rev_me', ws.token);
    const res = await admin('POST', `${t.http}/admin/users/rev_me/revoke`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { revoked: 1 });
    assert.equal((await within(ws.client.closed, WAIT, 'revoked close')).code, 4001);
    assert.equal((await within(sio.next('response', (d) => d.ok === false), WAIT, 'sio revoked')).data.code, 'token_revoked');
    const refused = await call('GET', `${t.http}/protected`, { token: ws.token });
    assert.equal(refused.status, 401);
    assert.equal(refused.json.error, 'token_revoked');
    const revoked = (await events()).filter((e) => e.type === 'TokenRevoked' && e.data.userId === ws.userId).at(-1);
    assert.equal(revoked?.data.reason, 'admin');
    assert.deepEqual(revoked?.data.by, { actor: 'admin', fingerprint: fingerprintOf(ADMIN_KEY) });
    assert.equal(revoked?.data.address, '127.0.0.1');
    // Nothing left to revoke.
    assert.deepEqual((await admin('POST', `${t.http}/admin/users/rev_me/revoke`)).json, { revoked: 0 });
  });
});

describe('disable and enable', () => {
  test('disable: connections close with 4006, the token is revoked, logins are 403 after the password check, the name stays taken; enable undoes it', async () => {
    const password = 'correct horse battery';
    const ws = await wsUser(t.http, 'dis_me');
    const sio = await sioUser(t.http, 'dis_me', ws.token);
    const res = await admin('POST', `${t.http}/admin/users/dis_me/disable`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { username: 'dis_me', disabled: true, revoked: 1 });

    const response = await within(ws.client.next('response', (d) => d.ok === false), WAIT, 'disabled response');
    assert.deepEqual(response.data, { ok: false, code: 'account_disabled', message: 'Account disabled' });
    assert.deepEqual((await within(ws.client.next('disconnect'), WAIT, 'farewell')).data, { code: 4006, reason: 'Account disabled' });
    assert.equal((await within(ws.client.closed, WAIT, 'disabled close')).code, 4006);
    assert.equal((await within(sio.next('response', (d) => d.ok === false), WAIT, 'sio disabled')).data.code, 'account_disabled');
    assert.equal(await within(sio.disconnected, WAIT, 'sio disconnected'), 'io server disconnect');

    assert.equal((await call('GET', `${t.http}/protected`, { token: ws.token })).json.error, 'token_revoked');
    const login = await call('POST', `${t.http}/login-token`, { body: { username: 'dis_me', password } });
    assert.equal(login.status, 403);
    assert.deepEqual(login.json, { error: 'account_disabled', message: 'Account disabled' });
    // A wrong password still gets the ordinary answer: the disable tells a guesser nothing.
    const wrong = await call('POST', `${t.http}/login-token`, { body: { username: 'dis_me', password: 'not the password' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error, 'invalid_credentials');
    assert.equal((await call('POST', `${t.http}/register`, { body: { username: 'dis_me', password } })).status, 409);

    const seen = (await events()).filter((e) => e.data.userId === ws.userId && (e.type === 'UserDisabled' || e.type === 'TokenRevoked'));
    assert.deepEqual(seen.slice(-2).map((e) => e.type), ['UserDisabled', 'TokenRevoked']);
    assert.deepEqual(seen.at(-2)?.data, { userId: ws.userId, username: 'dis_me', by: { actor: 'admin', fingerprint: fingerprintOf(ADMIN_KEY) }, address: '127.0.0.1' });

    const enabled = await admin('POST', `${t.http}/admin/users/dis_me/enable`);
    assert.deepEqual(enabled.json, { username: 'dis_me', disabled: false });
    const back = await call('POST', `${t.http}/login-token`, { body: { username: 'dis_me', password } });
    assert.equal(back.status, 200);
    assert.ok((await events()).some((e) => e.type === 'UserEnabled' && e.data.userId === ws.userId));
  });

  test('a disable survives a restart', async () => {
    const dir = tempDir();
    const a = await startTestBeacon({ dir, env: { ADMIN_API_KEY: ADMIN_KEY } });
    await registerAndLogin(a.http, 'dis_restart');
    await admin('POST', `${a.http}/admin/users/dis_restart/disable`);
    await a.stop();
    const b = await startTestBeacon({ dir, env: { ADMIN_API_KEY: ADMIN_KEY } });
    try {
      const login = await call('POST', `${b.http}/login-token`, { body: { username: 'dis_restart', password: 'correct horse battery' } });
      assert.equal(login.status, 403);
    } finally {
      await b.stop();
    }
  });
});

describe('memberships', () => {
  test('PUT grants and DELETE removes membership of a members channel, each recorded with who and from where', async () => {
    const { userId } = await registerAndLogin(t.http, 'mem_user');
    const granted = await admin('PUT', `${t.http}/admin/channels/${encodeURIComponent('private:team@x')}/members/mem_user`);
    assert.equal(granted.status, 200);
    assert.deepEqual(granted.json, { channel: 'private:team@x', username: 'mem_user', user_id: userId, member: true });
    const removed = await admin('DELETE', `${t.http}/admin/channels/private:team@x/members/mem_user`);
    assert.deepEqual(removed.json, { channel: 'private:team@x', username: 'mem_user', user_id: userId, member: false });
    const trail = (await events()).filter((e) => e.type.startsWith('ChannelMember') && e.data.userId === userId);
    assert.deepEqual(trail.map((e) => e.type), ['ChannelMemberAdded', 'ChannelMemberRemoved']);
    for (const e of trail) {
      assert.deepEqual(e.data, { channel: 'private:team@x', userId, username: 'mem_user', by: { actor: 'admin', fingerprint: fingerprintOf(ADMIN_KEY) }, address: '127.0.0.1' });
    }
  });
});

describe('events', () => {
  test('pages the log oldest first, never a password hash nor the key', async () => {
    await registerAndLogin(t.http, 'ev_user');
    const page1 = await admin('GET', `${t.http}/admin/events?after=0&limit=2`);
    assert.equal(page1.status, 200);
    assert.equal(page1.json.events.length, 2);
    assert.deepEqual(page1.json.events.map((e: { position: number }) => e.position), [1, 2]);
    assert.equal(page1.json.last_position, 2);
    for (const e of page1.json.events) {
      assert.deepEqual(Object.keys(e).sort(), ['data', 'position', 'recorded_at', 'type']);
    }
    const page2 = await admin('GET', `${t.http}/admin/events?after=2&limit=2`);
    assert.deepEqual(page2.json.events.map((e: { position: number }) => e.position), [3, 4]);
    const all = await admin('GET', `${t.http}/admin/events?limit=1000`);
    const registered = all.json.events.find((e: { type: string; data: { username?: string } }) => e.type === 'UserRegistered' && e.data.username === 'ev_user');
    assert.ok(registered);
    assert.equal(registered.data.passwordHash, undefined);
    assert.ok(!all.text.includes('$argon2'), 'no hash');
    assert.ok(!all.text.includes('passwordHash'));
    assert.ok(!all.text.includes(ADMIN_KEY), 'never the key');
    const newest = await admin('GET', `${t.http}/admin/events?newest=1&limit=3`);
    assert.equal(newest.json.events.length, 3);
    assert.equal(newest.json.events.at(-1).position, all.json.events.at(-1).position);
    const beyond = await admin('GET', `${t.http}/admin/events?after=999999`);
    assert.deepEqual(beyond.json, { events: [], last_position: 999999 });
  });
});

describe('metrics and logs', () => {
  test('admin actions are counted by kind; the key is never logged', async () => {
    const metrics = await call('GET', `${t.http}/metrics`);
    assert.match(metrics.text, /beacon_admin_actions_total\{action="disconnect"\} \d+/);
    assert.match(metrics.text, /beacon_http_requests_total\{route="\/admin\/users\/:username\/disconnect"/);
    const logs = readLogs(t.dir);
    assert.ok(!Object.values(logs).some((text) => text.includes(ADMIN_KEY)));
  });
});
