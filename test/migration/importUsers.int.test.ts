// `import-users` against old-style databases: one built here with hashes made the way
// Werkzeug makes them, and the real fixture. Imported users log in, are rehashed to argon2id
// on that first login, re-runs are idempotent, and damaged rows are reported and skipped.

import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, pbkdf2Sync, randomInt, scryptSync } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { call, readLogs, startTestBeacon, tempDir, type TestBeacon } from '../support/beacon.js';
import { ROOT } from '../support/process.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/flask-users.db', import.meta.url));
const SALT_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Werkzeug's defaults are 260000-600000 iterations and N=32768; smaller keeps the test quick, same format. */
const PBKDF2_ITERATIONS = 20_000;
const SCRYPT = { N: 16_384, r: 8, p: 1 };

/** werkzeug.security.gen_salt(16) */
const genSalt = (length = 16): string => Array.from({ length }, () => SALT_CHARS[randomInt(SALT_CHARS.length)]).join('');

/** generate_password_hash(password, 'pbkdf2:sha256:<iterations>') */
function werkzeugPbkdf2(password: string, iterations = PBKDF2_ITERATIONS): string {
  const salt = genSalt();
  const hex = pbkdf2Sync(Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), iterations, 32, 'sha256').toString('hex');
  return `pbkdf2:sha256:${iterations}$${salt}$${hex}`;
}

/** generate_password_hash(password, 'scrypt:<N>:<r>:<p>'), Werkzeug 3 */
function werkzeugScrypt(password: string): string {
  const salt = genSalt();
  const hex = scryptSync(Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), 64, { ...SCRYPT, maxmem: 256 * SCRYPT.N * SCRYPT.r }).toString('hex');
  return `scrypt:${SCRYPT.N}:${SCRYPT.r}:${SCRYPT.p}$${salt}$${hex}`;
}

interface OldUser {
  id: number;
  username: string | null;
  hash: string | null;
}

/** The Flask application's schema: users(id, username, password_hash, created_at). */
function oldDatabase(path: string, users: readonly OldUser[], table = 'users', columns = ['id', 'username', 'password_hash']): void {
  const db = new Database(path);
  const [id, name, hash] = columns as [string, string, string];
  db.exec(`CREATE TABLE ${table} (${id} INTEGER PRIMARY KEY AUTOINCREMENT, ${name} TEXT UNIQUE, ${hash} TEXT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`);
  const insert = db.prepare(`INSERT INTO ${table} (${id}, ${name}, ${hash}) VALUES (?, ?, ?)`);
  for (const u of users) insert.run(u.id, u.username, u.hash);
  db.close();
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI the way `npm run import-users -- <path>` does. */
function importUsers(dataDir: string, args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/importUsers.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', DATA_DIR: dataDir, LOG_STDOUT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function login(t: TestBeacon, username: string, password: string): Promise<{ status: number; json: any }> {
  const res = await call('POST', `${t.http}/login-token`, { body: { username, password } });
  return { status: res.status, json: res.json };
}

async function eventsOf(t: TestBeacon, type: string): Promise<any[]> {
  return (await t.beacon.store.read(0, 100_000)).filter((e) => e.type === type);
}

describe('import-users with a database built the way the Flask application kept it', () => {
  test('imports, keeps free ids, reports damage without hashes, rehashes at first login, re-runs idempotently', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');

    // A Beacon user already holds id 1 and the name "taken_name".
    let t = await startTestBeacon({ dir });
    const native = await call('POST', `${t.http}/register`, { body: { username: 'taken_name', password: 'native password' } });
    assert.equal(native.status, 201);
    assert.equal(native.json.user.user_id, 1);
    await t.stop();

    const passwords = { alice: 'alice parola 1', bob: 'Bob#scrypt-2024', 'carol.x': 'çok gizli şifre' } as const;
    const good: OldUser[] = [
      { id: 1, username: 'alice', hash: werkzeugPbkdf2(passwords.alice) },
      { id: 2, username: 'bob', hash: werkzeugScrypt(passwords.bob) },
      { id: 3, username: 'carol.x', hash: werkzeugPbkdf2(passwords['carol.x']) },
    ];
    const damaged: OldUser[] = [
      { id: 4, username: 'dave', hash: 'md5$abcdef$0123456789abcdef' },
      { id: 5, username: 'x y', hash: werkzeugPbkdf2('whatever 123') },
      { id: 6, username: 'frank', hash: '' },
      { id: 8, username: 'grace', hash: 'pbkdf2:sha256:20000$saltsalt$abc123' },
      { id: 9, username: null, hash: werkzeugPbkdf2('nameless 123') },
    ];
    const conflict: OldUser = { id: 10, username: 'taken_name', hash: werkzeugPbkdf2('old app password') };
    const oldPath = join(dir, 'flask.db');
    oldDatabase(oldPath, [...good, ...damaged, conflict]);

    const first = await importUsers(dataDir, [oldPath]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /imported {2}3 user\(s\), 1 with a new id/);
    assert.match(first.stdout, /id 1 \(alice\) is taken: now id 4/);
    assert.match(first.stdout, /damaged {3}5 row\(s\), skipped/);
    for (const id of [4, 5, 6, 8, 9]) assert.match(first.stdout, new RegExp(`^  id ${id}: `, 'm'));
    assert.match(first.stdout, /id 10: username taken_name is taken/);
    for (const u of [...good, ...damaged, conflict]) {
      if (u.hash !== null && u.hash !== '') assert.ok(!first.stdout.includes(u.hash) && !first.stderr.includes(u.hash), `hash of id ${u.id} printed`);
    }

    t = await startTestBeacon({ dir });
    try {
      const registered = (await eventsOf(t, 'UserRegistered')).filter((e) => e.data.importedFrom !== undefined);
      // bob and carol.x keep their ids; alice's (1) is taken, so she gets the first id above all in use.
      assert.deepEqual(Object.fromEntries(registered.map((e) => [e.data.username, e.data.userId])), { alice: 4, bob: 2, 'carol.x': 3 });
      assert.equal(registered.find((e) => e.data.username === 'alice')?.data.importedFrom, 'flask.db:users:1');
      const users = t.beacon.store.projections().users;
      for (const [name, password] of Object.entries(passwords)) {
        const before = users.byName.get(name);
        assert.ok(before !== undefined && !before.passwordHash.startsWith('$argon2id$'), name);
        const ok = await login(t, name, password);
        assert.equal(ok.status, 200, `${name}: ${JSON.stringify(ok.json)}`);
        assert.equal(ok.json.user.user_id, before.userId);
        const after = t.beacon.store.projections().users.byName.get(name);
        assert.ok(after?.passwordHash.startsWith('$argon2id$'), `${name} rehashed`);
      }
      assert.equal((await eventsOf(t, 'PasswordRehashed')).length, 3);
      // The second login verifies the argon2id hash and rehashes nothing.
      for (const [name, password] of Object.entries(passwords)) assert.equal((await login(t, name, password)).status, 200);
      assert.equal((await eventsOf(t, 'PasswordRehashed')).length, 3);
      assert.equal((await login(t, 'alice', 'wrong password')).status, 401);
      assert.equal((await login(t, 'dave', 'whatever')).status, 401);
      assert.equal((await login(t, 'taken_name', 'native password')).status, 200);
      const auth = readLogs(dir).auth;
      assert.match(auth, /password rehashed to argon2id/);
      for (const u of good) assert.ok(!auth.includes(u.hash as string), 'a hash reached the auth log');
    } finally {
      await t.stop();
    }

    const positions = (() => {
      const db = new Database(join(dataDir, 'beacon.db'), { readonly: true });
      try {
        return db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
      } finally {
        db.close();
      }
    })();
    const again = await importUsers(dataDir, [oldPath]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /imported {2}0 user\(s\)/);
    assert.match(again.stdout, /skipped {3}3 already imported/);
    const db = new Database(join(dataDir, 'beacon.db'), { readonly: true });
    try {
      assert.equal(db.prepare('SELECT COUNT(*) FROM events').pluck().get(), positions);
    } finally {
      db.close();
    }
  });

  test('old ids are kept where free', async () => {
    const dir = tempDir();
    const oldPath = join(dir, 'flask.db');
    oldDatabase(oldPath, [
      { id: 3, username: 'three', hash: werkzeugPbkdf2('password three') },
      { id: 7, username: 'seven', hash: werkzeugPbkdf2('password seven') },
    ]);
    const run = await importUsers(join(dir, 'data'), [oldPath]);
    assert.equal(run.code, 0, run.stderr);
    const t = await startTestBeacon({ dir });
    try {
      const users = t.beacon.store.projections().users;
      assert.equal(users.byName.get('three')?.userId, 3);
      assert.equal(users.byName.get('seven')?.userId, 7);
      const fresh = await call('POST', `${t.http}/register`, { body: { username: 'newcomer', password: 'newcomer password' } });
      assert.equal(fresh.json.user.user_id, 8);
      assert.equal((await login(t, 'seven', 'password seven')).status, 200);
    } finally {
      await t.stop();
    }
  });

  test('other table and column names: detection refuses to guess, the flags name them', async () => {
    const dir = tempDir();
    const oldPath = join(dir, 'custom.db');
    oldDatabase(oldPath, [{ id: 1, username: 'custom_user', hash: werkzeugPbkdf2('custom password') }], 'accounts', ['uid', 'handle', 'secret_digest']);
    const guessed = await importUsers(join(dir, 'data'), [oldPath]);
    assert.equal(guessed.code, 1);
    assert.match(guessed.stderr, /no table with a username and a password hash column/);
    const named = await importUsers(join(dir, 'data'), [oldPath, '--table', 'accounts', '--id-column', 'uid', '--username-column', 'handle', '--hash-column', 'secret_digest']);
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stdout, /imported {2}1 user\(s\)/);
    const t = await startTestBeacon({ dir });
    try {
      assert.equal((await login(t, 'custom_user', 'custom password')).status, 200);
    } finally {
      await t.stop();
    }
  });
});

describe('import-users with the real fixture (flask-users.db)', () => {
  test('every fixture user logs in with the documented password; broken_row is skipped', async () => {
    const dir = tempDir();
    const copy = join(dir, 'flask-users.db');
    const digest = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
    const original = digest(FIXTURE);
    copyFileSync(FIXTURE, copy);
    const run = await importUsers(join(dir, 'data'), [copy]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /imported {2}4 user\(s\)/);
    assert.match(run.stdout, /^  id 7: password hash is in an unknown or malformed format$/m);
    assert.equal(digest(FIXTURE), original);

    const t = await startTestBeacon({ dir });
    try {
      const fixtureUsers = [
        { id: 1, username: 'ayse', password: 'ayse-parola-1' },
        { id: 2, username: 'mehmet', password: 'Mehmet#2024!' },
        { id: 3, username: 'zeynep', password: 'çok gizli şifre' },
        { id: 5, username: 'legacy_scrypt', password: 'scrypt-pass-99' },
      ];
      for (const u of fixtureUsers) {
        const res = await login(t, u.username, u.password);
        assert.equal(res.status, 200, `${u.username}: ${JSON.stringify(res.json)}`);
        assert.equal(res.json.user.user_id, u.id);
        assert.ok(t.beacon.store.projections().users.byId.get(u.id)?.passwordHash.startsWith('$argon2id$'));
      }
      assert.equal(t.beacon.store.projections().users.byName.has('broken_row'), false);
      assert.equal((await login(t, 'broken_row', 'anything at all')).status, 401);
    } finally {
      await t.stop();
    }
  });
});

describe('login with a malformed stored hash', () => {
  test('fails closed with an error in the auth log naming the user id, never the hash', async () => {
    const t = await startTestBeacon();
    const garbage = 'pbkdf2:sha256:1$tampered$nothex!';
    try {
      await t.beacon.store.append([{ type: 'UserRegistered', data: { userId: 41, username: 'tampered', passwordHash: garbage, registeredAt: Date.now(), importedFrom: 'test' } }]);
      const res = await login(t, 'tampered', 'any password at all');
      assert.equal(res.status, 401);
      assert.equal(res.json.error, 'invalid_credentials');
      assert.equal((await call('GET', `${t.http}/healthz`)).status, 200);
    } finally {
      await t.stop();
    }
    const auth = readLogs(t.dir).auth;
    const line = auth.split('\n').find((l) => l.includes('stored password hash is malformed'));
    assert.ok(line !== undefined, auth);
    assert.equal(JSON.parse(line).userId, 41);
    assert.ok(!auth.includes(garbage));
  });
});
