// Unit tests for the password hasher: argon2id PHC output, verification of every stored
// format (including the genuine Werkzeug hashes in the shared fixture DB), and the worker
// pool's behaviour: a responsive event loop, a bounded queue, close() and crashed workers.

import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { BeaconError } from '../../src/errors.js';
import { createPasswordHasher, needsRehash, storedHashScheme } from '../../src/auth/passwords.js';

// Cheap parameters where a test is about behaviour rather than cost.
const FAST = { memoryKiB: 1024, iterations: 1, parallelism: 1 } as const;
const FIXTURE_DB = fileURLToPath(new URL('../fixtures/flask-users.db', import.meta.url));

const isUnavailable = (error: unknown): boolean => error instanceof BeaconError && error.code === 'unavailable';
const isInternal = (error: unknown): boolean => error instanceof BeaconError && error.code === 'internal_error';

/** A worker that takes one job and dies with it, as a crashing hash worker would. */
const crashingWorker = (): Worker =>
  new Worker("require('node:worker_threads').parentPort.once('message', () => { throw new Error('boom'); });", { eval: true });

describe('argon2id hashing (fast params)', () => {
  const hasher = createPasswordHasher({ workers: 2, argon2: FAST });
  after(() => hasher.close());

  test('a hash verifies with its password and not with another', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    assert.equal(await hasher.verify(stored, 'correct horse battery staple'), true);
    assert.equal(await hasher.verify(stored, 'correct horse battery stapLe'), false);
    assert.equal(await hasher.verify(stored, ''), false);
  });

  test('unicode and 128-character passwords round-trip', async () => {
    for (const password of ['çok gizli şifre', 'пароль-密码-🔑', 'x'.repeat(128), 'é'.repeat(128)]) {
      const stored = await hasher.hash(password);
      assert.equal(await hasher.verify(stored, password), true, password);
      assert.equal(await hasher.verify(stored, password.slice(0, -1)), false, password);
    }
  });

  test('an empty password cannot be hashed and never verifies', async () => {
    await assert.rejects(hasher.hash(''), (error) => error instanceof BeaconError && error.code === 'invalid_request');
    assert.equal(await hasher.verify(await hasher.hash('x'), ''), false);
  });

  test('two hashes of one password differ (random salt)', async () => {
    const [a, b] = await Promise.all([hasher.hash('same'), hasher.hash('same')]);
    assert.notEqual(a, b);
  });

  test('malformed or unknown stored hashes verify false', async () => {
    const good = await hasher.hash('pw');
    const bad = [
      '',
      'garbage',
      'pbkdf2:sha256:260000$onlysalt',
      'pbkdf2:sha256$nosaltiterations$00',
      'pbkdf2:md5:1000$salt$' + '0'.repeat(32),
      'scrypt:32768:8:1$salt$abcd',
      'scrypt:1000:8:1$salt$' + '0'.repeat(128),
      '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
      good.replace('$argon2id$', '$argon2i$'),
      good.replace('v=19', 'v=16'),
      good.replace(/\$[^$]+$/, '$!!'),
      good.slice(0, good.lastIndexOf('$')),
      good.replace('m=1024', 'm=99999999'),
    ];
    for (const stored of bad) {
      assert.equal(storedHashScheme(stored), undefined, stored);
      assert.equal(await hasher.verify(stored, 'pw'), false, stored);
    }
  });

  test('verifyDummy is always false', async () => {
    assert.equal(await hasher.verifyDummy('anything'), false);
  });

  test('needsRehash flags other params and legacy formats', async () => {
    const stored = await hasher.hash('pw');
    assert.equal(needsRehash(stored), true);
    assert.equal(needsRehash(stored, FAST), false);
    assert.equal(needsRehash(stored, { ...FAST, iterations: 2 }), true);
    assert.equal(needsRehash('pbkdf2:sha256:260000$s$' + '0'.repeat(64)), true);
    assert.equal(needsRehash('garbage'), true);
  });
});

describe('argon2id at the configured parameters', () => {
  const hasher = createPasswordHasher();
  after(() => hasher.close());

  test('output is a PHC string at m=19456,t=2,p=1 with 16-byte salt and 32-byte hash', async () => {
    const stored = await hasher.hash('pw');
    // 16 bytes → 22 unpadded base64 characters, 32 bytes → 43.
    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(storedHashScheme(stored), 'argon2id');
    assert.equal(needsRehash(stored), false);
    assert.equal(await hasher.verify(stored, 'pw'), true);
  });

  test('the event loop stays responsive while 8 hashes run', async () => {
    const tickMs = 5;
    let maxLag = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last - tickMs);
      last = now;
    }, tickMs);
    try {
      const hashes = await Promise.all(Array.from({ length: 8 }, (_, i) => hasher.hash(`password-${i}`)));
      assert.equal(new Set(hashes).size, 8);
    } finally {
      clearInterval(timer);
    }
    assert.ok(maxLag < 50, `event loop lagged ${maxLag.toFixed(1)} ms`);
  });
});

describe('legacy Werkzeug hashes from the Flask fixture DB', () => {
  const hasher = createPasswordHasher({ workers: 2, argon2: FAST });
  after(() => hasher.close());
  const db = new Database(FIXTURE_DB, { readonly: true, fileMustExist: true });
  const rows = db.prepare('SELECT username, password_hash AS stored FROM users').all() as { username: string; stored: string }[];
  db.close();
  const storedFor = (username: string): string => {
    const row = rows.find((r) => r.username === username);
    assert.ok(row, `fixture user ${username}`);
    return row.stored;
  };
  const known = [
    { username: 'ayse', password: 'ayse-parola-1', scheme: 'pbkdf2' },
    { username: 'mehmet', password: 'Mehmet#2024!', scheme: 'pbkdf2' },
    { username: 'zeynep', password: 'çok gizli şifre', scheme: 'pbkdf2' },
    { username: 'legacy_scrypt', password: 'scrypt-pass-99', scheme: 'scrypt' },
  ] as const;

  for (const { username, password, scheme } of known) {
    test(`${username} (${scheme}) verifies with the right password only`, async () => {
      const stored = storedFor(username);
      assert.equal(storedHashScheme(stored), scheme);
      assert.equal(needsRehash(stored), true);
      assert.equal(await hasher.verify(stored, password), true);
      assert.equal(await hasher.verify(stored, password + ' '), false);
    });
  }

  test('the deliberately broken row verifies false', async () => {
    const stored = storedFor('broken_row');
    assert.equal(storedHashScheme(stored), undefined);
    assert.equal(await hasher.verify(stored, 'anything'), false);
  });
});

describe('worker pool', () => {
  test('a full queue rejects at once with unavailable; metrics count jobs', async (t) => {
    const hasher = createPasswordHasher({ workers: 1, queueMax: 2 });
    t.after(() => hasher.close());
    // The dummy hash made at start holds the only worker, so these two wait in the queue.
    const queued = [hasher.hash('a'), hasher.hash('b')];
    assert.equal(hasher.busy(), 1);
    assert.equal(hasher.queueDepth(), 2);
    await assert.rejects(hasher.hash('c'), isUnavailable);
    await Promise.all(queued);
    assert.equal(hasher.queueDepth(), 0);
    assert.equal(hasher.busy(), 0);
  });

  test('close() rejects running and queued jobs and refuses new ones', async () => {
    const hasher = createPasswordHasher({ workers: 1 });
    const pending = [hasher.hash('a'), hasher.verify('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA', 'x'), hasher.verifyDummy('y')];
    const checks = pending.map((job) => assert.rejects(job, isUnavailable));
    await Promise.all([hasher.close(), hasher.close()]);
    await Promise.all(checks);
    await assert.rejects(hasher.hash('late'), isUnavailable);
    assert.equal(hasher.busy(), 0);
    assert.equal(hasher.queueDepth(), 0);
  });

  test('a crashed worker rejects its job and is replaced', async (t) => {
    // Starts 0 and 1 crash: 0 takes the start-up dummy hash, 1 takes our first job.
    const hasher = createPasswordHasher({ workers: 1, argon2: FAST, spawnWorker: (n) => (n < 2 ? crashingWorker() : undefined) });
    t.after(() => hasher.close());
    await assert.rejects(hasher.hash('first'), isInternal);
    const stored = await hasher.hash('second');
    assert.equal(await hasher.verify(stored, 'second'), true);
    assert.equal(await hasher.verifyDummy('second'), false); // the dummy hash is remade
    assert.equal(hasher.busy(), 0);
  });

  test('workers that never start make jobs fail, not hang', async (t) => {
    const hasher = createPasswordHasher({ workers: 1, spawnWorker: () => new Worker('process.exit(3)', { eval: true }) });
    t.after(() => hasher.close());
    const jobs = [hasher.hash('a'), hasher.hash('b'), hasher.hash('c'), hasher.hash('d')];
    const settled = await Promise.allSettled(jobs);
    assert.ok(settled.every((s) => s.status === 'rejected' && (isInternal(s.reason) || isUnavailable(s.reason))));
    await assert.rejects(hasher.hash('after'), isUnavailable);
  });
});
