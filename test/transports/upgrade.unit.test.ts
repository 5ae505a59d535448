// The upgrade checks both socket transports share: the Origin allow-list and a token given
// at upgrade, with a verifier the test scripts. Each refusal is one catalogued code.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthFailure, type Session, type TokenVerifier } from '../../src/auth/session.js';
import { MAX_TOKEN_LENGTH } from '../../src/constants.js';
import { checkOrigin, checkUpgradeToken, isRefusal, type UpgradeChecks } from '../../src/transports/upgrade.js';

const alice: Session = { username: 'alice', userId: 1, jti: 'jti-a', exp: 2_000_000_000 };
const asker = { transport: 'websocket', address: '192.0.2.1' } as const;

function checks(allowedOrigins: readonly string[], verify: TokenVerifier['verify'] = async () => alice) {
  const logged: string[] = [];
  const log = (_o: object, msg: string) => void logged.push(msg);
  const c: UpgradeChecks = { allowedOrigins, verifier: { verify }, logger: { info: log, warn: log } };
  return { c, logged };
}

describe('origin', () => {
  test('an empty allow-list lets every origin through, a missing one too', () => {
    const { c } = checks([]);
    assert.equal(checkOrigin(c, 'https://evil.example', asker), undefined);
    assert.equal(checkOrigin(c, '', asker), undefined);
  });

  test('with an allow-list, only listed origins pass; others are forbidden_origin', () => {
    const { c, logged } = checks(['https://app.example']);
    assert.equal(checkOrigin(c, 'https://app.example', asker), undefined);
    assert.deepEqual(checkOrigin(c, 'https://evil.example', asker), { code: 'forbidden_origin', message: 'Origin not allowed' });
    assert.deepEqual(checkOrigin(c, '', asker)?.code, 'forbidden_origin');
    assert.deepEqual(logged, ['upgrade refused: origin not allowed', 'upgrade refused: origin not allowed']);
  });
});

describe('token at upgrade', () => {
  test('a good token resolves with its session', async () => {
    const { c } = checks([]);
    const checked = await checkUpgradeToken(c, 'good', asker);
    assert.equal(isRefusal(checked), false);
    assert.deepEqual(checked, alice);
  });

  test('a refused token is refused with the failure\'s code', async () => {
    const { c } = checks([], async () => {
      throw new AuthFailure('token_revoked');
    });
    assert.deepEqual(await checkUpgradeToken(c, 'old', asker), { code: 'token_revoked', message: 'Token has been revoked!' });
  });

  test('a fault in the verifier refuses the token as invalid_token and is logged', async () => {
    const { c, logged } = checks([], async () => {
      throw new Error('disk on fire');
    });
    assert.deepEqual(await checkUpgradeToken(c, 'any', asker), { code: 'invalid_token', message: 'Invalid token!' });
    assert.ok(logged.includes('upgrade token check failed'));
  });

  test('an oversized token is refused without asking the verifier', async () => {
    let asked = false;
    const { c } = checks([], async () => {
      asked = true;
      return alice;
    });
    const checked = await checkUpgradeToken(c, 'x'.repeat(MAX_TOKEN_LENGTH + 1), asker);
    assert.equal(isRefusal(checked) && checked.code, 'invalid_token');
    assert.equal(asked, false);
  });
});
