// Unit tests for JWT signing and verification: a signed token verifies with every claim,
// and each way a token can be forged, malformed or stale is refused with its AuthFailure code.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { AuthFailure } from '../../src/auth/session.js';
import { createTokenSigner, type TokenClaims } from '../../src/auth/tokens.js';
import { MAX_TOKEN_LENGTH } from '../../src/constants.js';
import type { ErrorCode } from '../../src/errors.js';

const KEY = new TextEncoder().encode('k'.repeat(24) + '-test-key-32-bytes-or-more');
const OTHER_KEY = new TextEncoder().encode('o'.repeat(24) + '-another-key-of-32-bytes+');
const NOW = 1_800_000_000; // seconds
const clock = { now: () => NOW * 1000 + 250 };
const signer = createTokenSigner(KEY, clock);

const claims: TokenClaims = { sub: '7', username: 'alice', user_id: 7, iat: NOW, exp: NOW + 3600, jti: 'jti-0123456789abcdef' };
const payloadOf = (c: TokenClaims): Record<string, unknown> => ({ ...c });

const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A token built by hand, HMAC-signed with node:crypto, so any header or payload can be tried. */
function craft(header: unknown, payload: unknown, key: Uint8Array = KEY, hash = 'sha256'): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
}

async function refused(token: string, code: ErrorCode = 'invalid_token'): Promise<void> {
  await assert.rejects(signer.verify(token), (err: unknown) => {
    assert.ok(err instanceof AuthFailure, `expected AuthFailure, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

describe('token signer', () => {
  test('sign then verify returns exactly the claims', async () => {
    const token = await signer.sign(claims);
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as unknown;
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
    assert.deepEqual(await signer.verify(token), claims);
  });

  test('a hand-crafted HS256 token with the same claims also verifies (the crafting helper is sound)', async () => {
    assert.deepEqual(await signer.verify(craft({ alg: 'HS256', typ: 'JWT' }, payloadOf(claims))), claims);
    assert.deepEqual(await signer.verify(craft({ alg: 'HS256' }, payloadOf(claims))), claims);
  });

  test('a token expiring one second from now is still accepted', async () => {
    const token = await signer.sign({ ...claims, exp: NOW + 1 });
    assert.equal((await signer.verify(token)).exp, NOW + 1);
  });
});

describe('token refusals', () => {
  test('alg none (with and without a signature segment)', async () => {
    const input = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payloadOf(claims))}`;
    await refused(`${input}.`);
    await refused(`${input}.AAAA`);
    await refused(craft({ alg: 'none', typ: 'JWT' }, payloadOf(claims)));
  });

  for (const alg of ['HS384', 'HS512'] as const) {
    test(`${alg} with the right key`, async () => {
      const token = await new SignJWT({ username: claims.username, user_id: claims.user_id })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuedAt(claims.iat)
        .setExpirationTime(claims.exp)
        .setJti(claims.jti)
        .sign(KEY);
      await refused(token);
    });
  }

  test('an HS256 header over an HS512 signature', async () => {
    await refused(craft({ alg: 'HS256', typ: 'JWT' }, payloadOf(claims), KEY, 'sha512'));
  });

  test('wrong key', async () => {
    const other = createTokenSigner(OTHER_KEY, clock);
    await refused(await other.sign(claims));
  });

  test('tampered payload', async () => {
    const [h, , s] = (await signer.sign(claims)).split('.');
    await refused(`${h}.${b64url({ ...payloadOf(claims), user_id: 1, sub: '1' })}.${s}`);
  });

  test('tampered signature', async () => {
    const token = await signer.sign(claims);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    await refused(token.slice(0, -1) + last);
  });

  test('empty signature', async () => {
    const [h, p] = (await signer.sign(claims)).split('.');
    await refused(`${h}.${p}.`);
  });

  test('four segments, two segments, empty string, non-base64url characters', async () => {
    const token = await signer.sign(claims);
    await refused(`${token}.${token.split('.')[2]}`);
    await refused(token.split('.').slice(0, 2).join('.'));
    await refused('');
    await refused(` ${token}`);
    await refused(token.replace('.', '+.'));
  });

  test('array payload with a valid signature', async () => {
    await refused(craft({ alg: 'HS256', typ: 'JWT' }, [1]));
  });

  test('payload that is not JSON, with a valid signature', async () => {
    const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url('not json')}`;
    await refused(`${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`);
  });

  test('missing exp', async () => {
    const { exp: _exp, ...rest } = payloadOf(claims);
    await refused(craft({ alg: 'HS256', typ: 'JWT' }, rest));
  });

  for (const name of ['sub', 'username', 'user_id', 'iat', 'jti'] as const) {
    test(`missing ${name}`, async () => {
      const payload = payloadOf(claims);
      delete payload[name];
      await refused(craft({ alg: 'HS256', typ: 'JWT' }, payload));
    });
  }

  test('non-numeric exp', async () => {
    await refused(craft({ alg: 'HS256', typ: 'JWT' }, { ...payloadOf(claims), exp: String(NOW + 3600) }));
    await refused(craft({ alg: 'HS256', typ: 'JWT' }, { ...payloadOf(claims), exp: null }));
  });

  test('future iat', async () => {
    await refused(await signer.sign({ ...claims, iat: NOW + 60 }));
    await refused(await signer.sign({ ...claims, iat: NOW + 1 }));
  });

  test('future nbf', async () => {
    await refused(craft({ alg: 'HS256', typ: 'JWT' }, { ...payloadOf(claims), nbf: NOW + 60 }));
  });

  for (const [name, value] of [
    ['kid', 'key-1'],
    ['jku', 'https://evil.example/jwks.json'],
    ['jwk', { kty: 'oct', k: Buffer.from(KEY).toString('base64url') }],
    ['x5u', 'https://evil.example/cert.pem'],
  ] as const) {
    test(`a ${name} header, even with a valid signature`, async () => {
      await refused(craft({ alg: 'HS256', typ: 'JWT', [name]: value }, payloadOf(claims)));
    });
  }

  test('a typ other than JWT', async () => {
    await refused(craft({ alg: 'HS256', typ: 'at+jwt' }, payloadOf(claims)));
  });

  test('sub that differs from user_id, or is not a positive decimal', async () => {
    await refused(await signer.sign({ ...claims, sub: '8' }));
    await refused(craft({ alg: 'HS256', typ: 'JWT' }, { ...payloadOf(claims), sub: '07' }));
    await refused(craft({ alg: 'HS256', typ: 'JWT' }, { ...payloadOf(claims), user_id: '7' }));
  });

  test('a jti too short to be unique', async () => {
    await refused(await signer.sign({ ...claims, jti: 'short' }));
  });

  test('expired: exp at now or before gives token_expired', async () => {
    await refused(await signer.sign({ ...claims, iat: NOW - 7200, exp: NOW - 3600 }), 'token_expired');
    await refused(await signer.sign({ ...claims, iat: NOW - 10, exp: NOW }), 'token_expired');
  });

  test('a forged token that is also expired is not reported as merely expired', async () => {
    const forged = await createTokenSigner(OTHER_KEY, clock).sign({ ...claims, iat: NOW - 7200, exp: NOW - 3600 });
    await refused(forged, 'invalid_token');
  });

  test(`over-long token (over ${MAX_TOKEN_LENGTH} characters) is refused before any parsing`, async () => {
    // Extra claims are allowed, so the padding alone is what makes these differ.
    const padded = (n: number): string => craft({ alg: 'HS256', typ: 'JWT' }, { ...payloadOf(claims), pad: 'x'.repeat(n) });
    let n = 0;
    while (padded(n + 3).length <= MAX_TOKEN_LENGTH) n += 3;
    const longest = padded(n);
    assert.ok(longest.length <= MAX_TOKEN_LENGTH && longest.length > MAX_TOKEN_LENGTH - 8);
    assert.deepEqual(await signer.verify(longest), claims);
    const tooLong = padded(n + 3);
    assert.ok(tooLong.length > MAX_TOKEN_LENGTH);
    await refused(tooLong);
    await refused('a'.repeat(100_000) + '.b.c');
  });
});
