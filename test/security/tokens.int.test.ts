// Token attacks at the three places a token enters (SECURITY.md items 1-5): Bearer over HTTP,
// `?token=` at the WebSocket upgrade, and `register_user` on an open socket. Forged,
// re-encoded, superseded and expiring tokens are refused there with the contract's codes,
// and the blacklist they leave behind stays bounded.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ERRORS, closeCodeOf, type ErrorCode } from '../../src/errors.js';
import { call, manualClock, registerAndLogin, TEST_SECRET, type TestBeacon } from '../support/beacon.js';
import { TestClient, within, wsUrl } from '../support/wsClient.js';
import { CHEAP_HASHES, openAnswering, startIsolated } from './support.js';

const KEY = new TextEncoder().encode(TEST_SECRET);
const OTHER_KEY = new TextEncoder().encode('another-key-that-is-also-long-enough-0123456789');

const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const decode = (segment: string): Record<string, unknown> => JSON.parse(Buffer.from(segment, 'base64url').toString()) as Record<string, unknown>;

/** A token built by hand and HMAC-signed with node:crypto, so any header or payload can be tried. */
function craft(header: unknown, payload: unknown, key: Uint8Array = KEY, hash = 'sha256'): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
}

/** Refused at all three entry points with `code`: the HTTP status and body, the upgrade's 401, the socket's failure sequence. */
async function refusedEverywhere(base: string, token: string, username: string, code: ErrorCode): Promise<void> {
  const expected = { error: code, message: ERRORS[code].message };
  for (const [method, path] of [
    ['GET', '/protected'],
    ['POST', '/logout'],
  ] as const) {
    const res = await call(method, `${base}${path}`, { token });
    assert.deepEqual([res.status, res.json], [401, expected], `${method} ${path}`);
  }
  await assert.rejects(TestClient.open(wsUrl(base, token)), (err: { status?: number; body?: string }) => {
    assert.equal(err.status, 401, 'upgrade status');
    assert.deepEqual(JSON.parse(err.body ?? '{}'), expected, 'upgrade body');
    return true;
  });
  const c = await TestClient.open(wsUrl(base));
  const reply = await within(c.register(token, username), 3000, 'register_user answer');
  assert.deepEqual(reply.data, { ok: false, code, message: ERRORS[code].message });
  const disconnect = await within(c.next('disconnect'), 3000, 'disconnect frame');
  assert.equal(disconnect.data.code, closeCodeOf(code));
  assert.equal((await within(c.closed, 3000, 'close')).code, closeCodeOf(code));
}

/** Accepted at all three entry points (the control row: the crafting itself is sound). */
async function acceptedEverywhere(base: string, token: string, username: string): Promise<void> {
  assert.equal((await call('GET', `${base}/protected`, { token })).status, 200);
  const upgraded = await openAnswering(wsUrl(base, token));
  assert.equal((await upgraded.request('debug_connection')).data.state, 'authenticated');
  const registered = await TestClient.open(wsUrl(base));
  assert.equal((await registered.register(token, username)).data.code, 'registered');
  await Promise.all([upgraded.close(), registered.close()]);
}

let t: TestBeacon;
before(async () => {
  t = await startIsolated({ hasher: CHEAP_HASHES });
});
after(async () => {
  await t.stop();
});

describe('1. forged and malformed tokens are refused over HTTP, at upgrade and in register_user', () => {
  let token = '';
  let header: Record<string, unknown> = {};
  let payload: Record<string, unknown> = {};
  const username = 'forge_victim';
  before(async () => {
    ({ token } = await registerAndLogin(t.http, username));
    const [h, p] = token.split('.') as [string, string];
    header = decode(h);
    payload = decode(p);
  });

  test('control: the same header and claims, signed by hand with the right key, are accepted', async () => {
    await acceptedEverywhere(t.http, craft(header, payload), username);
  });

  const now = (): number => Math.floor(Date.now() / 1000);
  const without = (name: string): Record<string, unknown> => Object.fromEntries(Object.entries(payload).filter(([k]) => k !== name));
  // Each row changes one thing of a token that is otherwise the user's active one.
  const rows: Array<[string, () => string]> = [
    ['alg none, empty signature', () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`],
    ['alg none, HMAC signature', () => craft({ alg: 'none', typ: 'JWT' }, payload)],
    ['HS384 with the right key', () => craft({ alg: 'HS384', typ: 'JWT' }, payload, KEY, 'sha384')],
    ['HS512 with the right key', () => craft({ alg: 'HS512', typ: 'JWT' }, payload, KEY, 'sha512')],
    ['a wrong key', () => craft(header, payload, OTHER_KEY)],
    ['a tampered payload (another user id)', () => {
      const [h, , s] = token.split('.');
      const other = (payload['user_id'] as number) + 1000;
      return `${h}.${b64url({ ...payload, user_id: other, sub: String(other) })}.${s}`;
    }],
    ['an empty signature', () => token.split('.').slice(0, 2).join('.') + '.'],
    ['four segments', () => `${token}.${token.split('.')[2]}`],
    ['an array payload', () => craft(header, [payload])],
    ['a missing exp', () => craft(header, without('exp'))],
    ['a non-numeric exp', () => craft(header, { ...payload, exp: String(payload['exp']) })],
    ['a future iat', () => craft(header, { ...payload, iat: now() + 3600 })],
    ['a future nbf', () => craft(header, { ...payload, nbf: now() + 3600 })],
    ['a kid header', () => craft({ ...header, kid: 'key-1' }, payload)],
    ['a jku header', () => craft({ ...header, jku: 'https://attacker.example/jwks.json' }, payload)],
    ['a jwk header carrying the key itself', () => craft({ ...header, jwk: { kty: 'oct', k: Buffer.from(KEY).toString('base64url') } }, payload)],
    ['a crit header', () => craft({ ...header, crit: ['exp'] }, payload)],
  ];
  for (const [name, build] of rows) {
    test(`${name}: invalid_token (401, close 4003)`, async () => {
      await refusedEverywhere(t.http, build(), username, 'invalid_token');
    });
  }

  test('after all that, the real token still works: no attempt revoked or replaced it', async () => {
    await acceptedEverywhere(t.http, token, username);
  });
});

describe('2. a revoked token re-encoded is still refused', () => {
  test('signature trailing bits changed (same bytes): token_revoked; padding appended: invalid_token', async () => {
    const username = 'reenc_rita';
    const { token } = await registerAndLogin(t.http, username);
    assert.equal((await call('POST', `${t.http}/logout`, { token })).status, 200);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const signature = token.split('.')[2] ?? '';
    // 32 bytes are 43 base64url characters: the last one carries 2 unused bits.
    assert.equal(signature.length, 43);
    const last = alphabet.indexOf(signature.at(-1) ?? '');
    for (const flip of [1, 2, 3]) {
      const variant = token.slice(0, -1) + alphabet[last ^ flip];
      assert.notEqual(variant, token);
      assert.ok(Buffer.from(variant.split('.')[2] ?? '', 'base64url').equals(Buffer.from(signature, 'base64url')), 'same signature bytes');
      // The blacklist is keyed by jti, not by the token's text: every spelling is revoked.
      await refusedEverywhere(t.http, variant, username, 'token_revoked');
    }
    for (const padded of [`${token}=`, `${token}==`, token.replace(/\.([^.]*)$/, '.$1=')]) {
      await refusedEverywhere(t.http, padded, username, 'invalid_token');
    }
  });
});

describe('3. ten concurrent logins of one user', () => {
  test('leave exactly one valid token; every socket of the others is closed with 4004', async () => {
    const username = 'race_rick';
    const password = 'correct horse battery';
    const first = await registerAndLogin(t.http, username, password);
    const early = await Promise.all([openAnswering(wsUrl(t.http, first.token)), openAnswering(wsUrl(t.http, first.token)), openAnswering(wsUrl(t.http))]);
    assert.equal((await early[2]!.register(first.token, username)).data.code, 'registered');

    // Each login's socket is opened the moment its answer arrives, racing the next login.
    const attempts = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await call('POST', `${t.http}/login-token`, { body: { username, password } });
        assert.equal(res.status, 200, res.text);
        const token = res.json.token as string;
        const socket = await TestClient.open(wsUrl(t.http, token)).catch((err: { status?: number; body?: string }) => {
          assert.equal(err.status, 401);
          assert.equal(JSON.parse(err.body ?? '{}').error, 'token_revoked', 'a superseded token is refused at upgrade');
          return undefined;
        });
        return { token, socket };
      }),
    );

    const valid = [];
    for (const a of attempts) if ((await call('GET', `${t.http}/protected`, { token: a.token })).status === 200) valid.push(a);
    assert.equal(valid.length, 1, 'exactly one of the ten tokens is valid');
    const winner = valid[0]!;
    assert.ok(winner.socket !== undefined, 'the winning token opened its socket');
    // (A socket the transport dropped at open, see SECURITY.md "Known limits", is reopened.)
    const answer = await within(Promise.race([winner.socket.request('debug_connection'), winner.socket.closed.then(() => undefined)]), 5000, 'winner');
    const winnerSocket = answer === undefined ? await openAnswering(wsUrl(t.http, winner.token)) : winner.socket;
    assert.equal((await within(winnerSocket.request('debug_connection'), 5000, 'winner state')).data.state, 'authenticated');

    const losers = [...early, ...attempts.filter((a) => a !== winner).flatMap((a) => (a.socket === undefined ? [] : [a.socket]))];
    assert.ok(losers.length >= 3);
    let droppedAtOpen = 0;
    for (const socket of losers) {
      const closed = await within(socket.closed, 5000, 'loser closed');
      if (closed.code === 1006 && socket.frames.length === 1) {
        droppedAtOpen++;
        continue;
      }
      const response = await within(socket.next('response', (d) => d.ok === false), 3000, 'session_replaced response');
      assert.deepEqual(response.data, { ok: false, code: 'session_replaced', message: ERRORS.session_replaced.message });
      assert.equal((await within(socket.next('disconnect'), 3000, 'disconnect')).data.code, 4004);
      assert.equal((await within(socket.closed, 3000, 'close')).code, 4004);
    }
    const db = new Database(join(t.dir, 'data', 'beacon.db'), { readonly: true, fileMustExist: true });
    try {
      assert.equal(db.prepare('SELECT COUNT(*) FROM active_tokens WHERE user_id = ?').pluck().get(first.userId), 1);
      const superseded = db
        .prepare("SELECT COUNT(*) FROM events WHERE type = 'TokenRevoked' AND json_extract(data, '$.userId') = ? AND json_extract(data, '$.reason') = 'superseded'")
        .pluck()
        .get(first.userId);
      assert.equal(superseded, 10, 'the first token and nine of the ten were superseded');
    } finally {
      db.close();
    }
    assert.ok(droppedAtOpen <= 1, `${droppedAtOpen} sockets dropped at open`);
    await winnerSocket.close();
  });
});

describe('4. expiry of a busy socket', () => {
  test('a token that expires while its socket keeps sending is closed with 4002 at the expiry instant', async () => {
    // Whole seconds: tokens carry `exp` in seconds, so the time left is exactly what we set.
    const clock = manualClock(Math.floor(Date.now() / 1000) * 1000);
    const s = await startIsolated({ clock, hasher: CHEAP_HASHES, env: { TOKEN_TTL_SECONDS: '60' } });
    try {
      const { token } = await registerAndLogin(s.http, 'busy_bea');
      const exp = (decode(token.split('.')[1] ?? '')['exp'] as number) * 1000;
      clock.advance(58_800); // 1.2 s of validity left
      const c = await openAnswering(wsUrl(s.http, token));
      // From here the manual clock follows real time, and the client never stops talking.
      const clockBase = clock.now();
      const realBase = Date.now();
      const expiresAtReal = realBase + (exp - clockBase);
      let pongs = 0;
      c.ws.on('message', (raw) => {
        if (String(raw).includes('"pong_manual"')) pongs++;
      });
      const ticker = setInterval(() => clock.set(clockBase + (Date.now() - realBase)), 5);
      let n = 0;
      const talker = setInterval(() => {
        if (c.ws.readyState !== c.ws.OPEN) return;
        c.send('ping_manual', { t: n });
        if (n++ % 5 === 0) c.send('authenticated_message', { text: `still here ${n}` });
      }, 20);
      try {
        const response = await within(c.next('response', (d) => d.ok === false), 5000, 'token_expired');
        assert.deepEqual(response.data, { ok: false, code: 'token_expired', message: 'Token has expired!' });
        assert.equal((await within(c.next('disconnect'), 2000, 'disconnect')).data.code, 4002);
        const closed = await within(c.closed, 2000, 'close');
        const closedAt = Date.now();
        assert.equal(closed.code, 4002);
        assert.ok(closedAt >= expiresAtReal - 30, `closed ${expiresAtReal - closedAt} ms before expiry`);
        assert.ok(closedAt <= expiresAtReal + 1000, `closed ${closedAt - expiresAtReal} ms after expiry`);
        assert.ok(pongs >= 20, `the socket was busy until expiry (${pongs} pongs)`);
      } finally {
        clearInterval(ticker);
        clearInterval(talker);
      }
    } finally {
      await s.stop();
    }
  });
});

describe('5. the blacklist stays bounded', () => {
  test('revoked tokens are pruned after their exp, under a logout loop and across a restart', async () => {
    const clock = manualClock(Math.floor(Date.now() / 1000) * 1000);
    const s = await startIsolated({ clock, hasher: CHEAP_HASHES, env: { TOKEN_TTL_SECONDS: '60' } });
    const dbPath = join(s.dir, 'data', 'beacon.db');
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    const rows = (): number => db.prepare('SELECT COUNT(*) FROM revoked_tokens').pluck().get() as number;
    const password = 'correct horse battery';
    let firstToken = '';
    let second: TestBeacon | undefined;
    try {
      await call('POST', `${s.http}/register`, { body: { username: 'loop_lou', password } });
      let most = 0;
      for (let i = 0; i < 40; i++) {
        const login = await call('POST', `${s.http}/login-token`, { body: { username: 'loop_lou', password } });
        assert.equal(login.status, 200);
        firstToken ||= login.json.token;
        assert.equal((await call('POST', `${s.http}/logout`, { token: login.json.token })).status, 200);
        clock.advance(20_000);
        await s.beacon.auth.sweep();
        most = Math.max(most, rows(), s.beacon.store.projections().blacklist.revoked.size);
      }
      // A 60 s token revoked every 20 s: at most three are unexpired at once (four at the boundary).
      assert.ok(most <= 4, `blacklist peaked at ${most} rows`);
      // Pruned does not mean accepted: the oldest token is refused as expired.
      const old = await call('GET', `${s.http}/protected`, { token: firstToken });
      assert.deepEqual([old.status, old.json.error], [401, 'token_expired']);
      await s.stop();

      // The rebuild replays every revocation; the start-up prune drops the expired ones again.
      second = await startIsolated({ dir: s.dir, clock, hasher: CHEAP_HASHES, env: { TOKEN_TTL_SECONDS: '60' } });
      assert.ok(rows() <= 4, `after restart: ${rows()} rows`);
      clock.advance(61_000);
      await second.beacon.auth.sweep();
      assert.equal(rows(), 0);
      assert.equal(second.beacon.store.projections().blacklist.revoked.size, 0);
    } finally {
      db.close();
      await s.stop();
      await second?.stop();
    }
  });
});
