// Failure codes and close codes of docs/protocol.md §3: bad tokens, revocation and replaced
// sessions, expiry, the auth timeout, oversized and invalid frames, flooding, origins.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { call, manualClock, registerAndLogin, startTestBeacon, type TestBeacon } from '../support/beacon.js';
import { TestClient, within, wsUrl, type Closed } from '../support/wsClient.js';

let t: TestBeacon;
before(async () => {
  t = await startTestBeacon();
});
after(async () => {
  await t.stop();
});

/** The failure sequence: response {ok:false, code, message}, disconnect {code, reason}, close. */
async function expectFailure(c: TestClient, code: string, message: string, closeCode: number): Promise<void> {
  const response = await within(c.next('response', (d) => d.ok === false && d.code === code), 2000, `${code} response`);
  assert.equal(response.data.message, message);
  const disconnect = await within(c.next('disconnect'), 2000, 'disconnect frame');
  assert.equal(disconnect.data.code, closeCode);
  const closed: Closed = await within(c.closed, 2000, 'close');
  assert.equal(closed.code, closeCode);
}

describe('register_user failures close the connection', () => {
  test('invalid token: 4003', async () => {
    const c = await TestClient.open(wsUrl(t.http));
    c.send('register_user', { token: 'abc.def.ghi', username: 'nobody' }, 1);
    await expectFailure(c, 'invalid_token', 'Invalid token!', 4003);
  });

  test('token signed with another key: 4003', async () => {
    const forged = await new SignJWT({ username: 'x', user_id: 1 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('1')
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti('forged-jti-0001')
      .sign(new TextEncoder().encode('another-key-of-sufficient-length-0123456789'));
    const c = await TestClient.open(wsUrl(t.http));
    c.send('register_user', { token: forged, username: 'x' });
    await expectFailure(c, 'invalid_token', 'Invalid token!', 4003);
  });

  test('username mismatch: 4003', async () => {
    const { token } = await registerAndLogin(t.http, 'fail_mis');
    const c = await TestClient.open(wsUrl(t.http));
    c.send('register_user', { token, username: 'someone_else' });
    await expectFailure(c, 'username_mismatch', 'Token username mismatch!', 4003);
  });

  test('revoked token: 4001', async () => {
    const { token } = await registerAndLogin(t.http, 'fail_rev');
    await call('POST', `${t.http}/logout`, { token });
    const c = await TestClient.open(wsUrl(t.http));
    c.send('register_user', { token, username: 'fail_rev' });
    await expectFailure(c, 'token_revoked', 'Token has been revoked!', 4001);
  });

  test('a bad token at upgrade is refused with HTTP 401 before the upgrade', async () => {
    const { token } = await registerAndLogin(t.http, 'fail_upg');
    await call('POST', `${t.http}/logout`, { token });
    for (const [bad, code] of [
      ['garbage', 'invalid_token'],
      [token, 'token_revoked'],
    ] as const) {
      await assert.rejects(TestClient.open(wsUrl(t.http, bad)), (err: { status?: number; body?: string }) => {
        assert.equal(err.status, 401);
        assert.equal(JSON.parse(err.body ?? '{}').error, code);
        return true;
      });
    }
  });
});

describe('revocation reaches live sockets', () => {
  test('logout closes every socket of the token with 4001 within one second', async () => {
    const { token } = await registerAndLogin(t.http, 'kick_out');
    const a = await TestClient.open(wsUrl(t.http, token));
    const b = await TestClient.open(wsUrl(t.http));
    await b.register(token, 'kick_out');
    const started = Date.now();
    assert.equal((await call('POST', `${t.http}/logout`, { token })).status, 200);
    await Promise.all([a, b].map((c) => expectFailure(c, 'token_revoked', 'Token has been revoked!', 4001)));
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  test('a new login elsewhere closes the old sessions with 4004', async () => {
    const { token } = await registerAndLogin(t.http, 'kick_new');
    const old = await TestClient.open(wsUrl(t.http, token));
    await old.request('ping_manual');
    const relog = await call('POST', `${t.http}/login-token`, { body: { username: 'kick_new', password: 'correct horse battery' } });
    assert.equal(relog.status, 200);
    await expectFailure(old, 'session_replaced', 'Logged in from another session', 4004);
    const fresh = await TestClient.open(wsUrl(t.http, relog.json.token));
    assert.equal((await fresh.request('debug_connection')).data.state, 'authenticated');
    await fresh.close();
  });
});

describe('frames', () => {
  test('invalid frames answer invalid_message and leave the connection open', async () => {
    const c = await TestClient.open(wsUrl(t.http));
    const bad: Array<string | Buffer> = [
      'not json',
      '[1,2,3]',
      '"just a string"',
      '{"data": 1}',
      '{"event": "no_such_event"}',
      '{"event": "ping_manual", "data": {"t": 1, "extra": true}}',
      '{"event": "register_user", "data": {"token": 5}}',
      '{"event": "message", "data": 1, "id": -1}',
      '{"event": "message", "data": 1, "__proto__": {"polluted": true}}',
    ];
    for (const frame of bad) {
      c.sendRaw(frame);
      const reply = await within(c.next('response', (d) => d.code === 'invalid_message'), 2000, `answer to ${frame}`);
      assert.equal(reply.data.ok, false);
      assert.equal(typeof reply.data.message, 'string');
    }
    c.sendRaw(Buffer.from([1, 2, 3]), true);
    await within(c.next('response', (d) => d.code === 'invalid_message'), 2000, 'binary');
    const withId = await c.request('no_such_event');
    assert.equal(withId.data.code, 'invalid_message', 'the id of a readable envelope is echoed');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal((await c.request('ping_manual')).event, 'pong_manual');
    await c.close();
  });

  test('a frame over 64 KiB closes the connection with 1009', async () => {
    const c = await TestClient.open(wsUrl(t.http));
    c.send('message', 'x'.repeat(65 * 1024));
    const closed = await within(c.closed, 2000, 'close');
    assert.equal(closed.code, 1009);
  });

  test('a flooding client is throttled (rate_limited) and then closed with 4008; others are unaffected', async () => {
    const flooder = await TestClient.open(wsUrl(t.http));
    const bystander = await TestClient.open(wsUrl(t.http));
    for (let i = 0; i < 1000; i++) flooder.send('ping_manual', { t: i });
    await within(flooder.next('response', (d) => d.code === 'rate_limited'), 2000, 'throttle notice');
    const closed = await within(flooder.closed, 3000, 'flood close');
    assert.equal(closed.code, 4008);
    assert.equal((await within(bystander.request('ping_manual'), 1000, 'bystander')).event, 'pong_manual');
    await bystander.close();
  });
});

describe('timers', () => {
  test('an unauthenticated connection is closed with 4000 after AUTH_TIMEOUT_SECONDS', async () => {
    const s = await startTestBeacon({ env: { AUTH_TIMEOUT_SECONDS: '1' } });
    try {
      const c = await TestClient.open(wsUrl(s.http));
      const started = Date.now();
      const disconnect = await within(c.next('disconnect'), 3000, 'disconnect');
      assert.equal(disconnect.data.code, 4000);
      assert.equal((await c.closed).code, 4000);
      assert.ok(Date.now() - started >= 900);
    } finally {
      await s.stop();
    }
  });

  test('a token that expires while connected is closed with 4002 at exp, without the client speaking', async () => {
    const clock = manualClock();
    const s = await startTestBeacon({ clock, env: { TOKEN_TTL_SECONDS: '60' } });
    try {
      const { token } = await registerAndLogin(s.http, 'exp_live');
      clock.advance(59_000); // one real second of validity left
      const c = await TestClient.open(wsUrl(s.http, token));
      assert.equal((await c.request('debug_connection')).data.state, 'authenticated');
      clock.advance(1_000);
      await expectFailure(c, 'token_expired', 'Token has expired!', 4002);
    } finally {
      await s.stop();
    }
  });
});

describe('origins', () => {
  test('with ALLOWED_ORIGINS set, other origins are refused with 403 before the upgrade', async () => {
    const s = await startTestBeacon({ env: { ALLOWED_ORIGINS: 'https://app.example, https://console.example' } });
    try {
      await assert.rejects(TestClient.open(wsUrl(s.http), { origin: 'https://evil.example' }), (err: { status?: number; body?: string }) => {
        assert.equal(err.status, 403);
        assert.equal(JSON.parse(err.body ?? '{}').error, 'forbidden_origin');
        return true;
      });
      const ok = await TestClient.open(wsUrl(s.http), { origin: 'https://console.example' });
      await ok.close();
    } finally {
      await s.stop();
    }
  });
});

