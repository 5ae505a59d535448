// Operations around the WebSocket side: graceful shutdown (disconnect 1001), the
// websocket log (no tokens), and the inspection endpoints (the machine public, live actors behind INSPECT and the admin key).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { call, readLogs, registerAndLogin, startTestBeacon } from '../support/beacon.js';
import { freePort, ready, spawnBeacon } from '../support/process.js';
import { tempDir, testEnv } from '../support/beacon.js';
import { TestClient, within, wsUrl } from '../support/wsClient.js';

describe('shutdown', () => {
  test('SIGTERM: every connection gets disconnect 1001 and is closed; the process exits 0 within 10 s', async () => {
    const dir = tempDir();
    const env = testEnv(dir, { HTTP_PORT: String(await freePort()), HTTPS_PORT: '0', LOG_STDOUT: '1' });
    const p = spawnBeacon(env);
    await ready(p);
    const base = `http://127.0.0.1:${env['HTTP_PORT']}`;
    const { token } = await registerAndLogin(base, 'shut_amy');
    const clients = await Promise.all([
      TestClient.open(wsUrl(base, token)),
      TestClient.open(wsUrl(base, token)),
      TestClient.open(wsUrl(base)),
    ]);
    await Promise.all(clients.map((c) => c.request('ping_manual')));
    const started = Date.now();
    p.child.kill('SIGTERM');
    for (const c of clients) {
      const d = await within(c.next('disconnect'), 5000, 'disconnect');
      assert.equal(d.data.code, 1001);
      assert.equal((await within(c.closed, 5000, 'close')).code, 1001);
    }
    assert.equal(await within(p.exited, 10_000, 'exit'), 0);
    assert.ok(Date.now() - started < 10_000);
    const log = readLogs(dir).websocket;
    assert.match(log, /"msg":"connection closed"/);
  });
});

describe('websocket.log', () => {
  test('records connects, authentications, revocations and closes with codes, never a token', async () => {
    const t = await startTestBeacon();
    const { token } = await registerAndLogin(t.http, 'wslog_bo');
    const c = await TestClient.open(wsUrl(t.http));
    await c.register(token, 'wslog_bo');
    await call('POST', `${t.http}/logout`, { token });
    await within(c.closed, 2000, 'close');
    const bad = await TestClient.open(wsUrl(t.http));
    bad.send('register_user', { token: `${token}x`, username: 'wslog_bo' });
    await within(bad.closed, 2000, 'close');
    await t.stop();
    const log = readLogs(t.dir).websocket;
    const lines = log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const msgs = lines.map((l) => l['msg']);
    for (const m of ['connection opened', 'connection authenticated', 'connection closed on auth failure']) assert.ok(msgs.includes(m), m);
    const closes = lines.filter((l) => String(l['msg']).startsWith('connection closed'));
    assert.ok(closes.some((l) => l['code'] === 4001), 'revocation close with its code');
    assert.ok(closes.some((l) => l['code'] === 4003), 'failed registration close with its code');
    assert.ok(!log.includes(token), 'no token');
    assert.ok(!log.includes(token.split('.')[2] ?? '??'), 'no signature');
  });
});

describe('inspection', () => {
  test('the machine is public and static; the live view is off by default: 404 with a hint', async () => {
    const t = await startTestBeacon();
    try {
      const machine = await call('GET', `${t.http}/inspect/machine`);
      assert.equal(machine.status, 200);
      assert.equal(machine.json.initial, 'connected');
      const { token } = await registerAndLogin(t.http, 'insp_off');
      const res = await call('GET', `${t.http}/inspect/actors`, { token });
      assert.equal(res.status, 404);
      assert.match(res.json.message, /INSPECT=1/);
      assert.match(res.json.message, /ADMIN_API_KEY/);
    } finally {
      await t.stop();
    }
  });

  test('INSPECT=1 with an admin key: live actors need the admin key, not a user token; one connection shows its transitions', async () => {
    const key = 'inspect-admin-key-0123456789-abcdefghijklmnop';
    const t = await startTestBeacon({ env: { INSPECT: '1', ADMIN_API_KEY: key } });
    try {
      const { token } = await registerAndLogin(t.http, 'insp_on');
      const machine = await call('GET', `${t.http}/inspect/machine`);
      assert.equal(machine.status, 200);
      const states = Object.keys(machine.json.states);
      for (const s of ['connected', 'registering', 'authenticated', 'revoked', 'closed']) assert.ok(states.includes(s), s);
      const c = await TestClient.open(wsUrl(t.http));
      await c.register(token, 'insp_on');
      const asUser = await call('GET', `${t.http}/inspect/actors`, { token });
      assert.equal(asUser.status, 401);
      assert.equal(asUser.json.error, 'invalid_api_key');
      const actors = await call('GET', `${t.http}/inspect/actors`, { headers: { 'x-api-key': key } });
      assert.equal(actors.status, 200);
      const mine = actors.json.actors.find((a: { username: string | null }) => a.username === 'insp_on');
      assert.equal(mine.state, 'authenticated');
      assert.equal(typeof mine.ageMs, 'number');
      const one = await call('GET', `${t.http}/inspect/actors?sid=${encodeURIComponent(mine.sid)}`, { headers: { 'x-api-key': key } });
      assert.deepEqual(one.json.transitions.map((tr: { to: string }) => tr.to), ['connected', 'registering', 'authenticated']);
      assert.equal(one.json.transitions[1].event, 'register_user');
      assert.equal(one.json.transitions[0].from, null);
      await c.close();
    } finally {
      await t.stop();
    }
  });
});
