// The real server on the PostgreSQL log: two Beacons ("nodes") on one database, a user
// registered on one logging in and out on the other, the other hearing the revocation; and
// the start stopped with one line when DATABASE_URL is unreachable or given alone.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startBeacon, type Beacon } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import type { RecordedEvent } from '../../src/events/index.js';
import { call, tempDir, testEnv } from '../support/beacon.js';
import { pgMissing, startPostgres, type TestPostgres } from '../support/postgres.js';
import { freePort, spawnBeacon } from '../support/process.js';


const dirs: string[] = [];
/** A temp directory removed when the file's tests end. */
const scratch = (): string => {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
/** Resolves with the first commit `beacon` hears that holds an event of `type`. */
function heard(beacon: Beacon, type: RecordedEvent['type']): Promise<RecordedEvent> {
  return new Promise((resolve) => {
    const stop = beacon.store.subscribe((events) => {
      const found = events.find((e) => e.type === type);
      if (found !== undefined) {
        stop();
        resolve(found);
      }
    });
  });
}

describe('Beacon on PostgreSQL', { skip: pgMissing, timeout: 30_000 }, () => {
  let server: TestPostgres;
  const beacons: Beacon[] = [];
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await Promise.allSettled(beacons.map((b) => b.stop('test')));
    await server?.dispose();
  });

  // REDIS_URL comes with the Redis bus: until then the PostgreSQL log is exercised alone,
  // with DATABASE_URL set past loadConfig's both-or-neither rule.
  const startNode = async (url: string): Promise<{ beacon: Beacon; base: string }> => {
    const config = { ...loadConfig(testEnv(scratch())), DATABASE_URL: url };
    const beacon = await startBeacon({ config, ephemeralPorts: true });
    beacons.push(beacon);
    return { beacon, base: `http://127.0.0.1:${beacon.httpPort}` };
  };

  test('register on node A, log in and out on node B: one log in PostgreSQL, both nodes follow it', async () => {
    const url = await server.createDatabase();
    const a = await startNode(url);
    const b = await startNode(url);
    const credentials = { username: 'alice', password: 'correct horse battery' };

    const registeredOnB = heard(b.beacon, 'UserRegistered');
    const reg = await call('POST', `${a.base}/register`, { body: credentials });
    assert.equal(reg.status, 201, reg.text);
    await registeredOnB;
    const loginOnA = heard(a.beacon, 'LoginSucceeded');
    const login = await call('POST', `${b.base}/login-token`, { body: credentials });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.json.user.user_id, reg.json.user.user_id, 'one user id on both nodes');
    const token: string = login.json.token;

    assert.equal((await call('GET', `${b.base}/protected`, { token })).status, 200);
    await loginOnA;
    assert.equal((await call('GET', `${a.base}/protected`, { token })).status, 200, 'node A knows the token B issued');

    const revokedOnA = heard(a.beacon, 'TokenRevoked');
    const out = await call('POST', `${b.base}/logout`, { token });
    assert.equal(out.status, 200, out.text);
    await revokedOnA;
    const refused = await call('GET', `${a.base}/protected`, { token });
    assert.equal(refused.status, 401);
    assert.equal(refused.json.error, 'token_revoked');

    const client = new pg.Client(url);
    await client.connect();
    try {
      const { rows } = await client.query<{ type: string }>("SELECT type FROM events WHERE type NOT IN ('ServerStarted') ORDER BY position");
      assert.deepEqual(rows.map((r) => r.type), ['UserRegistered', 'LoginSucceeded', 'LoggedOut', 'TokenRevoked']);
    } finally {
      await client.end();
    }
  });

  test('racing on two nodes: one registration of a name wins, and two logins leave exactly one valid token', async () => {
    const url = await server.createDatabase();
    const a = await startNode(url);
    const b = await startNode(url);
    const credentials = { username: 'bob', password: 'correct horse battery' };
    // Each node decides after hashing, so over HTTP the window is narrow and often closed by
    // the notification; postgresLog.int.test.ts forces both decisions before either commit.
    const registrations = await Promise.all([a, b].map((n) => call('POST', `${n.base}/register`, { body: credentials })));
    assert.deepEqual(registrations.map((r) => r.status).sort(), [201, 409], registrations.map((r) => r.text).join(' | '));
    await Promise.all([a, b].map((n) => n.beacon.store.catchUp()));

    const logins = await Promise.all([a, b].map((n) => call('POST', `${n.base}/login-token`, { body: credentials })));
    for (const login of logins) assert.equal(login.status, 200, login.text);
    await Promise.all([a, b].map((n) => n.beacon.store.catchUp()));
    const valid = [];
    for (const login of logins) {
      const answers = await Promise.all([a, b].map((n) => call('GET', `${n.base}/protected`, { token: login.json.token })));
      assert.equal(answers[0]?.status, answers[1]?.status, 'both nodes agree on every token');
      if (answers[0]?.status === 200) valid.push(login.json.token);
    }
    assert.equal(valid.length, 1, 'exactly one of the two tokens is valid');
  });

  test('an unreachable DATABASE_URL, or one without REDIS_URL, stops the start with one line naming it', async () => {
    const dead = await freePort();
    const unreachable = spawnBeacon(
      testEnv(scratch(), { DATABASE_URL: `postgres://beacon:hunter2-secret@127.0.0.1:${dead}/beacon`, REDIS_URL: `redis://127.0.0.1:${dead}` }),
    );
    assert.equal(await unreachable.exited, 1);
    const line = unreachable.stderr().trim();
    assert.match(line, /^beacon: DATABASE_URL: cannot connect to postgres:\/\/beacon:\*\*\*@127\.0\.0\.1:\d+\/beacon: .*ECONNREFUSED/);
    assert.doesNotMatch(line, /hunter2/);
    assert.equal(line.split('\n').length, 1);

    const alone = spawnBeacon(testEnv(scratch(), { DATABASE_URL: server.url }));
    assert.equal(await alone.exited, 1);
    assert.match(alone.stderr().trim(), /^beacon: REDIS_URL: must be set with DATABASE_URL/);
  });
});
