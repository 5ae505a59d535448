// Attacks on accounts (SECURITY.md items 7-9): user enumeration by answer or by timing, password
// guessing spread over many addresses, spoofed X-Forwarded-For, odd passwords and bodies
// too big to read, plus a property-based fuzz of the two credential routes.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { call, manualClock, type TestBeacon } from '../support/beacon.js';
import { CHEAP_HASHES, median, startIsolated } from './support.js';

const PASSWORD = 'correct horse battery';
const creds = (username: string, password = PASSWORD): { username: string; password: string } => ({ username, password });
const login = (base: string, body: unknown, address?: string) =>
  call('POST', `${base}/login-token`, { body, ...(address === undefined ? {} : { headers: { 'x-forwarded-for': address } }) });

/** Attempts per kind (unknown user, wrong password); the full run is BEACON_TIMING_ATTEMPTS=200. */
const TIMING_ATTEMPTS = Number(process.env['BEACON_TIMING_ATTEMPTS'] ?? 100);

describe('7. unknown user and wrong password are indistinguishable', () => {
  // Real argon2id cost; a manual clock moves every throttle window on, and each attempt comes
  // from its own forwarded address, so the throttle never answers instead of the hash.
  const clock = manualClock();
  let t: TestBeacon;
  before(async () => {
    t = await startIsolated({ clock, env: { TRUSTED_PROXIES: '127.0.0.1' } });
    assert.equal((await call('POST', `${t.http}/register`, { body: creds('timing_tom') })).status, 201);
  });
  after(() => t.stop());

  test('identical status, body and headers', async () => {
    const wrong = await login(t.http, creds('timing_tom', 'not the password'), '10.7.0.1');
    const unknown = await login(t.http, creds('timing_nobody', 'not the password'), '10.7.0.2');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, wrong.status);
    assert.equal(unknown.text, wrong.text);
    const headers = (h: Record<string, unknown>) => Object.entries(h).filter(([k]) => k !== 'date').sort(([a], [b]) => a.localeCompare(b));
    assert.deepEqual(headers(unknown.headers), headers(wrong.headers));
  });

  test(`over ${2 * TIMING_ATTEMPTS} timed attempts the medians differ by less than 10%`, { timeout: 240_000 }, async (ctx) => {
    const timed = async (body: unknown, address: string): Promise<number> => {
      const started = process.hrtime.bigint();
      const res = await login(t.http, body, address);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.equal(res.status, 401, res.text);
      return ms;
    };
    const unknownMs: number[] = [];
    const wrongMs: number[] = [];
    for (let i = -3; i < TIMING_ATTEMPTS; i++) {
      clock.advance(61_000);
      const address = (k: number): string => `10.7.${Math.floor((2 * i + k + 10) / 250)}.${((2 * i + k + 10) % 250) + 1}`;
      const runUnknown = async (): Promise<number> => timed(creds(`ghost_${i + 3}`, 'not the password'), address(0));
      const runWrong = async (): Promise<number> => timed(creds('timing_tom', 'not the password'), address(1));
      // Alternate which goes first, so a drift in load does not favour one kind.
      const [u, w] = i % 2 === 0 ? [await runUnknown(), await runWrong()] : [await runWrong(), await runUnknown()].reverse();
      if (i < 0) continue; // warm-up
      unknownMs.push(u as number);
      wrongMs.push(w as number);
    }
    const [mu, mw] = [median(unknownMs), median(wrongMs)];
    ctx.diagnostic(`median unknown ${mu.toFixed(1)} ms, wrong password ${mw.toFixed(1)} ms over ${TIMING_ATTEMPTS} each`);
    assert.ok(Math.abs(mu - mw) / Math.min(mu, mw) < 0.1, `medians ${mu.toFixed(1)} vs ${mw.toFixed(1)} ms`);
    assert.equal(t.beacon.auth.metrics.loginsThrottled, 0, 'the throttle never answered instead of the hash');
  });
});

describe('8. password guessing', () => {
  const clock = manualClock();
  let t: TestBeacon;
  before(async () => {
    t = await startIsolated({ clock, hasher: CHEAP_HASHES, env: { TRUSTED_PROXIES: '127.0.0.1' } });
  });
  after(() => t.stop());

  test('failures against one account from many addresses are throttled per account; the user gets back in after the window', async () => {
    await call('POST', `${t.http}/register`, { body: creds('guess_gail') });
    await call('POST', `${t.http}/register`, { body: creds('guess_bystander') });
    for (let i = 1; i <= 5; i++) assert.equal((await login(t.http, creds('guess_gail', `wrong guess ${i}`), `10.8.0.${i}`)).status, 401);
    const failedBefore = t.beacon.auth.metrics.loginsFailed;
    const refused = await login(t.http, creds('guess_gail', 'wrong guess 6'), '10.8.0.6');
    assert.equal(refused.status, 429);
    assert.equal(refused.json.error, 'rate_limited');
    const retry = Number(refused.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    for (let i = 7; i < 17; i++) assert.equal((await login(t.http, creds('guess_gail', `wrong guess ${i}`), `10.8.1.${i}`)).status, 429);
    // Locked for the window, even with the right password from a fresh address ...
    assert.equal((await login(t.http, creds('guess_gail'), '10.8.2.1')).status, 429);
    // ... without spending a hash on any refused attempt, while other accounts are untouched.
    assert.equal(t.beacon.auth.metrics.loginsFailed, failedBefore);
    assert.equal((await login(t.http, creds('guess_bystander'), '10.8.0.6')).status, 200);
    clock.advance(60_000);
    const back = await login(t.http, creds('guess_gail'), '10.8.2.1');
    assert.equal(back.status, 200, back.text);
    // A success clears the account's count: five new failures are needed to lock it again.
    for (let i = 1; i <= 4; i++) assert.equal((await login(t.http, creds('guess_gail', `wrong again ${i}`), `10.8.3.${i}`)).status, 401);
    assert.equal((await login(t.http, creds('guess_gail'), '10.8.3.9')).status, 200);
  });

  test('through a trusted proxy, addresses the client wrote into X-Forwarded-For are not believed', async () => {
    // The proxy appends the address it saw; what the client sent sits to its left.
    for (let i = 0; i < 20; i++) {
      const res = await login(t.http, creds(`spoof_${i}`, 'not the password'), `203.0.113.${i}, 10.9.0.1`);
      assert.equal(res.status, 401);
    }
    const limited = await login(t.http, creds('spoof_20', 'not the password'), '203.0.113.99, 10.9.0.1');
    assert.equal(limited.status, 429, 'the 21st failure from one real address is throttled');
    assert.equal((await login(t.http, creds('spoof_21', 'not the password'), '203.0.113.99, 10.9.0.2')).status, 401);
  });

  test('from a peer that is not a trusted proxy, X-Forwarded-For is ignored', async () => {
    const s = await startIsolated({ hasher: CHEAP_HASHES });
    try {
      for (let i = 0; i < 20; i++) assert.equal((await login(s.http, creds(`forged_${i}`, 'not the password'), `198.51.100.${i}`)).status, 401);
      assert.equal((await login(s.http, creds('forged_20', 'not the password'), '198.51.100.200')).status, 429);
    } finally {
      await s.stop();
    }
  });
});

/** Sends a request whose body is announced (or streamed) as 1 MiB, writing it only while no answer has come. */
function oversizedPost(base: string, path: string, mode: 'content-length' | 'chunked'): Promise<{ status: number; body: any; sentBytes: number }> {
  const { hostname, port } = new URL(base);
  const total = 1024 * 1024;
  const piece = Buffer.alloc(16 * 1024, 'x');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let sent = 0;
    let answered = false;
    const parse = (): { status: number; body: any } | undefined => {
      const text = received.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? NaN);
      if (!(received.length >= end + 4 + length)) return undefined;
      const body = received.subarray(end + 4, end + 4 + length).toString('utf8');
      return { status: Number(text.slice(9, 12)), body: JSON.parse(body) as unknown };
    };
    const pump = (): void => {
      if (answered || socket.destroyed || sent >= total) return;
      const chunk = piece.subarray(0, Math.min(piece.length, total - sent));
      sent += chunk.length;
      socket.write(mode === 'chunked' ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
      setImmediate(pump);
    };
    socket.on('connect', () => {
      const length = mode === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${total}`;
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n${length}\r\n\r\n`);
      pump();
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = parse();
      if (answer === undefined || answered) return;
      answered = true;
      socket.destroy();
      resolve({ ...answer, sentBytes: sent });
    });
    // A reset after the answer is expected (the server closes on a body it will not read).
    socket.on('error', (err) => {
      if (!answered) reject(err);
    });
    socket.on('close', () => {
      if (!answered) reject(new Error(`closed without an answer after ${sent} bytes: ${received.toString('latin1')}`));
    });
  });
}

describe('9. odd passwords and oversized bodies', () => {
  let t: TestBeacon;
  before(async () => {
    t = await startIsolated({ hasher: CHEAP_HASHES });
  });
  after(() => t.stop());

  test('long and Unicode passwords work, counted in characters, compared exactly', async () => {
    const passwords: Array<[string, string]> = [
      ['pw_emoji128', '😀'.repeat(128)], // 128 characters, 256 UTF-16 units, 512 bytes
      ['pw_nul', 'pass\u0000word\u0000!'],
      ['pw_bidi', 'שלום\u202Eעולם\u200F-e\u0301-ﬁ'],
      ['pw_spaces', '        '],
      ['pw_astral', '𝕡𝕒𝕤𝕤𝕨𝕠𝕣𝕕𝟙𝟚𝟛'],
    ];
    for (const [username, password] of passwords) {
      assert.equal((await call('POST', `${t.http}/register`, { body: creds(username, password) })).status, 201, username);
      assert.equal((await login(t.http, creds(username, password))).status, 200, username);
      const other = [...password].slice(0, -1).join('') + 'x'; // same length, last character changed
      assert.equal((await login(t.http, creds(username, other))).status, 401, username);
    }
    assert.equal((await login(t.http, creds('pw_emoji128', '😀'.repeat(127)))).status, 401, 'a prefix is not the password');
    const tooLong = await call('POST', `${t.http}/register`, { body: creds('pw_emoji129', '😀'.repeat(129)) });
    assert.deepEqual([tooLong.status, tooLong.json.error], [400, 'invalid_request']);
  });

  for (const path of ['/register', '/login-token']) {
    for (const mode of ['content-length', 'chunked'] as const) {
      test(`a 1 MiB body to ${path} (${mode}) is refused with 413 before it is read or hashed`, async () => {
        const auth = { ...t.beacon.auth.metrics };
        const events = t.beacon.store.stats().events;
        const res = await oversizedPost(t.http, path, mode);
        assert.equal(res.status, 413);
        assert.equal(res.body.error, 'payload_too_large');
        assert.ok(res.sentBytes < 1024 * 1024, `answered after ${res.sentBytes} bytes`);
        assert.deepEqual({ ...t.beacon.auth.metrics }, auth, 'no login was attempted');
        assert.equal(t.beacon.store.stats().events, events, 'nothing was appended');
        const metrics = (await call('GET', `${t.http}/metrics`)).text;
        assert.match(metrics, /^beacon_hash_queue_depth 0$/m);
        assert.match(metrics, /^beacon_hash_workers_busy 0$/m);
      });
    }
  }
});

describe('HTTP fuzzing', () => {
  test('random bodies and content types to /register and /login-token get a JSON 2xx/4xx, never a 5xx', { timeout: 120_000 }, async () => {
    const t = await startIsolated({ hasher: CHEAP_HASHES });
    try {
      const body = fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
        fc.record({ username: fc.oneof(fc.string(), fc.jsonValue()), password: fc.oneof(fc.string({ unit: 'binary' }), fc.jsonValue()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.constantFrom('{"__proto__":{"admin":true},"username":"proto_pp","password":"correct horse"}', '{"username":"a","username":"b"}', '[]', 'null', '1e999', '"\\ud800"'),
      );
      const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', '');
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('/register', '/login-token'), body, contentType, async (path, raw, type) => {
          const res = await call('POST', `${t.http}${path}`, { raw, headers: type === '' ? {} : { 'content-type': type } });
          assert.ok([200, 201, 400, 401, 409, 413, 415, 429].includes(res.status), `${res.status} ${res.text}`);
          if (res.status >= 400) {
            assert.equal(typeof res.json?.error, 'string', res.text);
            assert.equal(typeof res.json?.message, 'string', res.text);
          }
        }),
        { numRuns: 300 },
      );
      assert.equal(({} as Record<string, unknown>)['admin'], undefined);
      assert.equal((await call('GET', `${t.http}/healthz`)).status, 200);
      assert.equal((await call('POST', `${t.http}/register`, { body: creds('fuzz_after') })).status, 201);
    } finally {
      await t.stop();
    }
  });
});
