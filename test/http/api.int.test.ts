// The HTTP API of docs/protocol.md §2 against a real server on ephemeral ports: every route,
// every status and error code, on the plain and the TLS port.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, registerAndLogin, startTestBeacon, type TestBeacon } from '../support/beacon.js';

let t: TestBeacon;
before(async () => {
  t = await startTestBeacon();
});
after(async () => {
  await t.stop();
});

const creds = (username: string, password = 'correct horse battery') => ({ username, password });

describe('POST /register', () => {
  test('201 with the user, then 409 username_taken for the same name', async () => {
    const first = await call('POST', `${t.http}/register`, { body: creds('reg_alice') });
    assert.equal(first.status, 201);
    assert.equal(typeof first.json.message, 'string');
    assert.deepEqual(Object.keys(first.json.user).sort(), ['user_id', 'username']);
    assert.equal(first.json.user.username, 'reg_alice');
    assert.ok(Number.isInteger(first.json.user.user_id));
    const again = await call('POST', `${t.http}/register`, { body: creds('reg_alice') });
    assert.equal(again.status, 409);
    assert.equal(again.json.error, 'username_taken');
    assert.equal(typeof again.json.message, 'string');
  });

  test('concurrent registrations of one name: exactly one wins', async () => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => call('POST', `${t.http}/register`, { body: creds('reg_race') })),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409, 409, 409, 409]);
  });

  for (const [name, body] of [
    ['short username', creds('ab')],
    ['long username', creds('a'.repeat(33))],
    ['bad characters', creds('bad name!')],
    ['short password', creds('reg_short', 'short')],
    ['long password', creds('reg_long', 'x'.repeat(129))],
    ['unknown field', { ...creds('reg_extra'), admin: true }],
    ['missing password', { username: 'reg_nopass' }],
    ['wrong types', { username: 42, password: ['x'] }],
    ['array body', [1, 2]],
  ] as const) {
    test(`400 invalid_request: ${name}`, async () => {
      const res = await call('POST', `${t.http}/register`, { body });
      assert.equal(res.status, 400);
      assert.equal(res.json.error, 'invalid_request');
      assert.equal(typeof res.json.message, 'string');
    });
  }

  test('400 for malformed JSON and for invalid UTF-8', async () => {
    for (const raw of ['{"username": "x",', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])]) {
      const res = await call('POST', `${t.http}/register`, { raw, headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 400);
      assert.equal(res.json.error, 'invalid_request');
    }
  });

  test('415 for a wrong content type, 413 for an oversized body (declared and chunked)', async () => {
    const wrongType = await call('POST', `${t.http}/register`, { raw: 'username=a', headers: { 'content-type': 'text/plain' } });
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.json.error, 'unsupported_media_type');
    const big = JSON.stringify({ username: 'big', password: 'x'.repeat(20_000) });
    const declared = await call('POST', `${t.http}/register`, { raw: big, headers: { 'content-type': 'application/json' } });
    assert.equal(declared.status, 413);
    assert.equal(declared.json.error, 'payload_too_large');
    const chunked = await call('POST', `${t.http}/register`, {
      raw: big,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'content-length': '' },
    });
    assert.equal(chunked.status, 413);
  });

  test('unicode and 128-character passwords work', async () => {
    const unicode = 'çok gizli şifre 🔐 пароль';
    const reg = await call('POST', `${t.http}/register`, { body: creds('reg_unicode', unicode) });
    assert.equal(reg.status, 201);
    const login = await call('POST', `${t.http}/login-token`, { body: creds('reg_unicode', unicode) });
    assert.equal(login.status, 200);
    const long = '€'.repeat(128);
    assert.equal((await call('POST', `${t.http}/register`, { body: creds('reg_long128', long) })).status, 201);
    assert.equal((await call('POST', `${t.http}/login-token`, { body: creds('reg_long128', long) })).status, 200);
  });
});

describe('POST /login-token', () => {
  test('200 with token, user, expires_in and message', async () => {
    await call('POST', `${t.http}/register`, { body: creds('login_bob') });
    const res = await call('POST', `${t.http}/login-token`, { body: creds('login_bob') });
    assert.equal(res.status, 200);
    assert.equal(res.json.message, 'Login successful');
    assert.equal(res.json.user.username, 'login_bob');
    assert.equal(res.json.expires_in, 86400);
    const [header, payload] = (res.json.token as string).split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    assert.equal(header.alg, 'HS256');
    for (const claim of ['sub', 'username', 'user_id', 'iat', 'exp', 'jti']) assert.ok(claim in payload, claim);
    assert.equal(payload.sub, String(res.json.user.user_id));
    assert.equal(payload.exp - payload.iat, 86400);
  });

  test('unknown user and wrong password get the identical answer', async () => {
    await call('POST', `${t.http}/register`, { body: creds('login_carol') });
    const wrong = await call('POST', `${t.http}/login-token`, { body: creds('login_carol', 'not the password') });
    const unknown = await call('POST', `${t.http}/login-token`, { body: creds('login_nobody', 'not the password') });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error, 'invalid_credentials');
    assert.equal(unknown.status, wrong.status);
    assert.equal(unknown.text, wrong.text);
    const strip = (h: Record<string, unknown>) => Object.keys(h).filter((k) => k !== 'date').sort();
    assert.deepEqual(strip(unknown.headers), strip(wrong.headers));
  });

  test('429 rate_limited with Retry-After after repeated failures; the right password is refused too', async () => {
    await call('POST', `${t.http}/register`, { body: creds('login_dave') });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await call('POST', `${t.http}/login-token`, { body: creds('login_dave', 'wrong password!') })).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    const limited = await call('POST', `${t.http}/login-token`, { body: creds('login_dave') });
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error, 'rate_limited');
    const retry = Number(limited.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  });
});

describe('Bearer routes', () => {
  test('GET /protected: 200 with the user; 401 missing_token, invalid_token', async () => {
    const { token, userId } = await registerAndLogin(t.http, 'prot_erin');
    const ok = await call('GET', `${t.http}/protected`, { token });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json.user, { username: 'prot_erin', user_id: userId });
    const missing = await call('GET', `${t.http}/protected`);
    assert.equal(missing.status, 401);
    assert.equal(missing.json.error, 'missing_token');
    const garbage = await call('GET', `${t.http}/protected`, { token: 'not.a.token' });
    assert.equal(garbage.json.error, 'invalid_token');
    const scheme = await call('GET', `${t.http}/protected`, { headers: { authorization: `Basic ${token}` } });
    assert.equal(scheme.json.error, 'invalid_token');
  });

  test('POST /logout revokes: the token is refused afterwards with token_revoked', async () => {
    const { token } = await registerAndLogin(t.http, 'logout_fay');
    const out = await call('POST', `${t.http}/logout`, { token });
    assert.equal(out.status, 200);
    assert.equal(typeof out.json.message, 'string');
    const after = await call('GET', `${t.http}/protected`, { token });
    assert.equal(after.status, 401);
    assert.equal(after.json.error, 'token_revoked');
    assert.equal(after.json.message, 'Token has been revoked!');
    assert.equal((await call('POST', `${t.http}/logout`, { token })).json.error, 'token_revoked');
    assert.equal((await call('POST', `${t.http}/logout`)).json.error, 'missing_token');
  });

  test('a new login revokes the previous token (one active token per user)', async () => {
    const first = await registerAndLogin(t.http, 'relog_gus');
    const second = await call('POST', `${t.http}/login-token`, { body: creds('relog_gus') });
    assert.equal(second.status, 200);
    assert.equal((await call('GET', `${t.http}/protected`, { token: first.token })).json.error, 'token_revoked');
    assert.equal((await call('GET', `${t.http}/protected`, { token: second.json.token })).status, 200);
  });

  test('GET /users lists users with online flags and never a hash', async () => {
    const { token } = await registerAndLogin(t.http, 'users_hal');
    const res = await call('GET', `${t.http}/users`, { token });
    assert.equal(res.status, 200);
    const hal = res.json.users.find((u: { username: string }) => u.username === 'users_hal');
    assert.deepEqual(Object.keys(hal).sort(), ['online', 'user_id', 'username']);
    assert.doesNotMatch(res.text, /argon2|hash/i);
    assert.equal((await call('GET', `${t.http}/users`)).status, 401);
  });
});

describe('other routes', () => {
  test('GET /healthz 200, GET /metrics in Prometheus format, GET / serves HTML', async () => {
    const health = await call('GET', `${t.http}/healthz`);
    assert.deepEqual([health.status, health.json], [200, { status: 'ok' }]);
    const metrics = await call('GET', `${t.http}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers['content-type'] ?? '', /text\/plain/);
    for (const name of [
      'beacon_http_requests_total',
      'beacon_logins_ok_total',
      'beacon_logins_failed_total',
      'beacon_hash_queue_depth',
      'beacon_event_log_appends_total',
    ]) {
      assert.match(metrics.text, new RegExp(`^${name}`, 'm'), name);
    }
    assert.match(metrics.text, /beacon_http_requests_total\{route="\/healthz",method="GET",status="200"\} \d+/);
    const home = await call('GET', `${t.http}/`);
    assert.equal(home.status, 200);
    assert.match(home.headers['content-type'] ?? '', /text\/html/);
  });

  test('404 for unknown routes, 405 with Allow for wrong methods, all JSON', async () => {
    const missing = await call('GET', `${t.http}/nope`);
    assert.deepEqual([missing.status, missing.json.error], [404, 'not_found']);
    const wrong = await call('GET', `${t.http}/register`);
    assert.deepEqual([wrong.status, wrong.json.error], [405, 'method_not_allowed']);
    assert.equal(wrong.headers['allow'], 'POST');
    const put = await call('PUT', `${t.http}/healthz`);
    assert.equal(put.status, 405);
  });

  test('the HTTPS port serves the same API', async () => {
    const { token } = await registerAndLogin(t.https, 'tls_ivy');
    const res = await call('GET', `${t.https}/protected`, { token });
    assert.equal(res.status, 200);
    assert.equal((await call('GET', `${t.https}/healthz`)).status, 200);
  });
});
