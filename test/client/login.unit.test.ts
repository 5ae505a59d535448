// loginTokens, the ready-made getToken, on a fake fetch: a login the first time, then the
// token in use exchanged with POST /refresh-token, and a login again when the server refuses
// the exchange (401); a refused login is an error, not a silent anonymous connection.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loginTokens } from '../../client/src/index.js';

function fakeFetch(answers: Record<string, Array<{ status: number; body: unknown }>>) {
  const calls: Array<{ url: string; method: string | undefined; headers: Record<string, string>; body: unknown }> = [];
  const fetch = (async (url: string, init: RequestInit = {}) => {
    calls.push({ url, method: init.method, headers: { ...(init.headers as Record<string, string>) }, body: init.body === undefined ? undefined : JSON.parse(String(init.body)) });
    const answer = answers[new URL(url).pathname]?.shift();
    if (answer === undefined) throw new Error(`unexpected ${url}`);
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('loginTokens', () => {
  test('logs in without a current token, refreshes with one', async () => {
    const f = fakeFetch({ '/login-token': [{ status: 200, body: { token: 't1' } }], '/refresh-token': [{ status: 200, body: { token: 't2' } }] });
    const getToken = loginTokens('http://beacon.test:5001/', { username: 'alice', password: 'correct horse', fetch: f.fetch });
    assert.equal(await getToken(), 't1');
    assert.equal(await getToken('t1'), 't2');
    assert.deepEqual(
      f.calls.map((c) => [c.method, c.url]),
      [
        ['POST', 'http://beacon.test:5001/login-token'],
        ['POST', 'http://beacon.test:5001/refresh-token'],
      ],
    );
    assert.deepEqual(f.calls[0]?.body, { username: 'alice', password: 'correct horse' });
    assert.equal(f.calls[1]?.headers['Authorization'], 'Bearer t1');
    assert.equal(f.calls[1]?.body, undefined, 'no password with a refresh');
  });

  test('a refused refresh (401) falls back to a login', async () => {
    const f = fakeFetch({ '/refresh-token': [{ status: 401, body: { error: 'token_expired' } }], '/login-token': [{ status: 200, body: { token: 't3' } }] });
    assert.equal(await loginTokens('http://b', { username: 'alice', password: 'pw-pw-pw-pw', fetch: f.fetch })('old'), 't3');
  });

  test('a refused login rejects with the server\'s code', async () => {
    const f = fakeFetch({ '/login-token': [{ status: 401, body: { error: 'invalid_credentials', message: 'Invalid credentials' } }] });
    await assert.rejects(loginTokens('http://b', { username: 'alice', password: 'wrong-wrong', fetch: f.fetch })(), /401 invalid_credentials/);
  });
});
