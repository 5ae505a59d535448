// POST /refresh-token against a real Beacon: the current token is exchanged for a new one
// of the same user with no password, the old one is refused everywhere from then on (HTTP,
// new sockets, a second refresh), and revoked, expired or missing tokens get the usual 401s.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, registerAndLogin, startTestBeacon, type TestBeacon } from '../support/beacon.js';
import { TestClient, wsUrl } from '../support/wsClient.js';

describe('POST /refresh-token', () => {
  let t: TestBeacon;
  // The server's clock, movable: expiry is tested by moving it, not by waiting.
  let offsetMs = 0;
  before(async () => {
    t = await startTestBeacon({ clock: { now: () => Date.now() + offsetMs } });
  });
  after(() => t.stop());

  test('answers like /login-token with a new token; the old one is refused from then on', async () => {
    const { token: old, userId } = await registerAndLogin(t.http, 'ref_amy');
    const res = await call('POST', `${t.http}/refresh-token`, { token: old });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['expires_in', 'message', 'token', 'user']);
    assert.equal(res.json.message, 'Token refreshed');
    assert.deepEqual(res.json.user, { username: 'ref_amy', user_id: userId });
    assert.equal(res.json.expires_in, 86_400);
    const fresh = res.json.token as string;
    assert.notEqual(fresh, old);
    const claims = (tok: string) => JSON.parse(Buffer.from(tok.split('.')[1] ?? '', 'base64url').toString()) as { jti: string; exp: number; sub: string };
    assert.notEqual(claims(fresh).jti, claims(old).jti);
    assert.equal(claims(fresh).sub, String(userId));

    assert.equal((await call('GET', `${t.http}/protected`, { token: fresh })).status, 200);
    const refused = await call('GET', `${t.http}/protected`, { token: old });
    assert.equal(refused.status, 401);
    assert.equal(refused.json.error, 'token_revoked');
    const again = await call('POST', `${t.http}/refresh-token`, { token: old });
    assert.equal(again.status, 401, 'one exchange per token');
    assert.equal(again.json.error, 'token_revoked');
    await assert.rejects(TestClient.open(wsUrl(t.http, old)), (err: { status?: number; body?: string }) => {
      assert.equal(err.status, 401);
      assert.equal(JSON.parse(err.body ?? '{}').error, 'token_revoked');
      return true;
    });
    const socket = await TestClient.open(wsUrl(t.http));
    const answer = await socket.register(old, 'ref_amy');
    assert.equal(answer.data.code, 'token_revoked', 'register_user with the old token on a new socket');
    await socket.closed;

    // The log records why: one append, the old token revoked as refreshed, the new one issued from it.
    const events = await t.beacon.store.read(0, 10_000);
    const revoked = events.find((e) => e.type === 'TokenRevoked' && e.data.jti === claims(old).jti);
    const issued = events.find((e) => e.type === 'LoginSucceeded' && e.data.jti === claims(fresh).jti);
    assert.equal(revoked?.type === 'TokenRevoked' && revoked.data.reason, 'refreshed');
    assert.equal(issued?.type === 'LoginSucceeded' && issued.data.refreshedFrom, claims(old).jti);
    assert.equal(issued?.position, (revoked?.position ?? 0) + 1);
  });

  test('a logged-out token cannot be refreshed', async () => {
    const { token } = await registerAndLogin(t.http, 'ref_bo');
    assert.equal((await call('POST', `${t.http}/logout`, { token })).status, 200);
    const res = await call('POST', `${t.http}/refresh-token`, { token });
    assert.equal(res.status, 401);
    assert.equal(res.json.error, 'token_revoked');
  });

  test('a token superseded by a login cannot be refreshed', async () => {
    const { token } = await registerAndLogin(t.http, 'ref_cy');
    assert.equal((await call('POST', `${t.http}/login-token`, { body: { username: 'ref_cy', password: 'correct horse battery' } })).status, 200);
    const res = await call('POST', `${t.http}/refresh-token`, { token });
    assert.equal(res.status, 401);
    assert.equal(res.json.error, 'token_revoked');
  });

  test('an expired token cannot be refreshed', async () => {
    const { token } = await registerAndLogin(t.http, 'ref_di');
    offsetMs = 86_400_000 + 1_000;
    try {
      const res = await call('POST', `${t.http}/refresh-token`, { token });
      assert.equal(res.status, 401);
      assert.equal(res.json.error, 'token_expired');
    } finally {
      offsetMs = 0;
    }
    // Still the active token once the clock is back: the refused refresh changed nothing.
    assert.equal((await call('GET', `${t.http}/protected`, { token })).status, 200);
  });

  test('no token, a malformed one, a forged one: 401 with their codes; GET is 405', async () => {
    const none = await call('POST', `${t.http}/refresh-token`);
    assert.equal(none.status, 401);
    assert.equal(none.json.error, 'missing_token');
    const forged = await call('POST', `${t.http}/refresh-token`, { token: 'a.b.c' });
    assert.equal(forged.status, 401);
    assert.equal(forged.json.error, 'invalid_token');
    assert.equal((await call('GET', `${t.http}/refresh-token`)).status, 405);
  });
});
