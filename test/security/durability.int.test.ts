// Faults and durability (SECURITY.md items 15, 17, 18, 19): kill -9 at random moments, a disk
// that fills up or a database file made immutable while the server runs, SIGTERM with a
// thousand clients connected, and a reconnect storm of two thousand clients after a restart.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { call, registerAndLogin, tempDir, type TestBeacon } from '../support/beacon.js';
import { ready, spawnBeacon } from '../support/process.js';
import { TestClient, within, wsUrl } from '../support/wsClient.js';
import { killLoop } from '../long/killLoop.js';
import { CHEAP_HASHES, inBatches, isolatedEnv, openAnswering, startIsolated } from './support.js';

const PASSWORD = 'correct horse battery';
const metric = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
const jtiOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { jti: string }).jti;

describe('15. kill -9 at random moments', () => {
  test('3 rounds: acknowledged logouts survive, the log has no gaps, integrity_check is ok (30 rounds: test/long/killLoop.ts)', { timeout: 180_000 }, async (ctx) => {
    const report = await killLoop({ rounds: 3, log: (line) => ctx.diagnostic(line) });
    ctx.diagnostic(JSON.stringify(report));
    assert.ok(report.acknowledgedLogouts > 0, 'some logouts were acknowledged before the kills');
  });
});

/** A fault that makes the database refuse writes, and its removal. */
interface Fault {
  name: string;
  /** Why it cannot be produced here, or undefined when it can. */
  unavailable(dir: string): string | undefined;
  before?(dir: string): void;
  inject(dir: string): void;
  remove(dir: string): void;
  after?(dir: string): void;
}

const run = (cmd: string, args: string[]): void => void execFileSync(cmd, args, { stdio: 'ignore' });
const tryRun = (cmd: string, args: string[]): string | undefined => {
  try {
    run(cmd, args);
    return undefined;
  } catch (err) {
    return `${cmd} ${args.join(' ')}: ${(err as Error).message.split('\n')[0]}`;
  }
};
const dbFile = (dir: string): string => join(dir, 'data', 'beacon.db');

const FAULTS: Fault[] = [
  {
    // A real ENOSPC: DATA_DIR is a 4 MiB tmpfs, filled to the last byte by another file.
    name: 'the disk is full (tmpfs filled up)',
    unavailable(dir) {
      mkdirSync(join(dir, 'probe'), { recursive: true });
      const failed = tryRun('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', join(dir, 'probe')]);
      if (failed === undefined) run('umount', [join(dir, 'probe')]);
      return failed;
    },
    before(dir) {
      mkdirSync(join(dir, 'data'), { recursive: true });
      run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', join(dir, 'data')]);
    },
    inject(dir) {
      // Shrink the WAL to nothing first (a checkpoint any reader may run), so the next commit
      // must grow a file on a full disk instead of reusing WAL space it already holds.
      const side = new Database(dbFile(dir));
      side.pragma('wal_checkpoint(TRUNCATE)');
      side.close();
      const fd = openSync(join(dir, 'data', 'filler'), 'w');
      const chunk = Buffer.alloc(64 * 1024);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        closeSync(fd);
      }
    },
    remove(dir) {
      rmSync(join(dir, 'data', 'filler'));
    },
    after(dir) {
      run('umount', [join(dir, 'data')]);
    },
  },
  {
    // A real EPERM on write: the database and its WAL made immutable (ext4, CAP_LINUX_IMMUTABLE).
    // Plain chmod would not do: the tests run as root, which ignores file modes.
    name: 'the database is made read-only (chattr +i)',
    unavailable(dir) {
      const probe = join(dir, 'immutable-probe');
      closeSync(openSync(probe, 'w'));
      const failed = tryRun('chattr', ['+i', probe]);
      if (failed === undefined) run('chattr', ['-i', probe]);
      return failed;
    },
    inject(dir) {
      run('chattr', ['+i', dbFile(dir), `${dbFile(dir)}-wal`]);
    },
    remove(dir) {
      run('chattr', ['-i', dbFile(dir), `${dbFile(dir)}-wal`]);
    },
  },
];

describe('17. the database stops taking writes while the server runs', () => {
  for (const fault of FAULTS) {
    test(`${fault.name}: writes fail with 503, nothing is acknowledged falsely, reads go on, and it recovers`, { timeout: 60_000 }, async (ctx: TestContext) => {
      const dir = tempDir();
      const missing = fault.unavailable(dir);
      if (missing !== undefined) return ctx.skip(`cannot produce this fault here (${missing})`);
      fault.before?.(dir);
      let t: TestBeacon | undefined;
      let injected = false;
      try {
        t = await startIsolated({ dir, hasher: CHEAP_HASHES });
        const amy = await registerAndLogin(t.http, 'fault_amy');
        const ben = await registerAndLogin(t.http, 'fault_ben');
        const socket = await openAnswering(wsUrl(t.http, ben.token));
        const eventsBefore = t.beacon.store.lastPosition();

        fault.inject(dir);
        injected = true;
        // Every write is refused with 503, and nothing it would have changed has changed.
        const reg = await call('POST', `${t.http}/register`, { body: { username: 'fault_during', password: PASSWORD } });
        assert.deepEqual([reg.status, reg.json.error], [503, 'unavailable']);
        const out = await call('POST', `${t.http}/logout`, { token: amy.token });
        assert.deepEqual([out.status, out.json.error], [503, 'unavailable']);
        const relog = await call('POST', `${t.http}/login-token`, { body: { username: 'fault_ben', password: PASSWORD } });
        assert.deepEqual([relog.status, relog.json.error], [503, 'unavailable']);
        assert.equal((await call('GET', `${t.http}/protected`, { token: amy.token })).status, 200, 'a logout that failed did not revoke');
        assert.equal((await call('GET', `${t.http}/protected`, { token: ben.token })).status, 200, 'a login that failed did not supersede');
        assert.equal(socket.ws.readyState, socket.ws.OPEN, 'a login that failed closed no socket');
        assert.equal(t.beacon.store.lastPosition(), eventsBefore);
        // Unhealthy, but serving what needs no write: reads, metrics, live sockets.
        const health = await call('GET', `${t.http}/healthz`);
        assert.deepEqual([health.status, health.json], [503, { status: 'unhealthy' }]);
        assert.equal((await call('GET', `${t.http}/users`, { token: amy.token })).status, 200);
        assert.equal((await call('GET', `${t.http}/metrics`)).status, 200);
        assert.equal((await within(socket.request('ping_manual'), 3000, 'ping')).event, 'pong_manual');
        socket.send('authenticated_message', { text: 'during the fault' });
        await within(socket.next('authenticated_message', (d) => d.text === 'during the fault'), 3000, 'broadcast');

        fault.remove(dir);
        injected = false;
        // Healthy again by itself, with no write traffic: the health check probes the disk.
        const deadline = Date.now() + 10_000;
        let status = 0;
        while (status !== 200 && Date.now() < deadline) {
          status = (await call('GET', `${t.http}/healthz`)).status;
          if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
        }
        assert.equal(status, 200, '/healthz recovered without traffic');
        assert.equal((await call('POST', `${t.http}/logout`, { token: amy.token })).status, 200);
        assert.equal((await call('POST', `${t.http}/register`, { body: { username: 'fault_after', password: PASSWORD } })).status, 201);
        await socket.close();
        await t.stop();

        // What was refused is not in the log; what was acknowledged is.
        t = await startIsolated({ dir, hasher: CHEAP_HASHES });
        assert.equal((await call('POST', `${t.http}/register`, { body: { username: 'fault_during', password: PASSWORD } })).status, 201);
        assert.equal((await call('POST', `${t.http}/register`, { body: { username: 'fault_after', password: PASSWORD } })).status, 409);
        assert.equal((await call('GET', `${t.http}/protected`, { token: amy.token })).json.error, 'token_revoked');
        assert.equal((await call('GET', `${t.http}/protected`, { token: ben.token })).status, 200);
        await t.stop();
        const db = new Database(dbFile(dir), { readonly: true });
        try {
          assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
          const { n, max } = db.prepare('SELECT COUNT(*) AS n, MAX(position) AS max FROM events').get() as { n: number; max: number };
          assert.equal(n, max, 'no gaps');
        } finally {
          db.close();
        }
      } finally {
        if (injected) fault.remove(dir);
        await t?.stop();
        fault.after?.(dir);
      }
    });
  }
});

describe('18. SIGTERM with 1,000 connected clients', () => {
  test('every client gets disconnect 1001, in-flight requests finish, exit 0 within 10 s, nothing acknowledged is lost', { timeout: 120_000 }, async (ctx) => {
    const dir = tempDir();
    // Accounts made in-process with cheap hashes; the child uses the real cost for its logins.
    const prep = await startIsolated({ dir, hasher: CHEAP_HASHES });
    const tokens = await inBatches(Array.from({ length: 10 }, (_, i) => `term_user${i}`), 5, async (name) => (await registerAndLogin(prep.http, name)).token);
    for (let i = 0; i < 6; i++) await call('POST', `${prep.http}/register`, { body: { username: `term_late${i}`, password: PASSWORD } });
    await prep.stop();

    const { env, base } = await isolatedEnv(dir);
    const p = spawnBeacon(env);
    await ready(p, 60_000);
    const clients = await inBatches(Array.from({ length: 1000 }, (_, i) => i), 100, (i) => openAnswering(wsUrl(base, i < 600 ? tokens[i % 10] : undefined)));

    // Work in flight when the signal lands: logins and registrations queued on the hash pool.
    const inFlight = [
      ...Array.from({ length: 6 }, (_, i) => call('POST', `${base}/login-token`, { body: { username: `term_late${i}`, password: PASSWORD } })),
      ...Array.from({ length: 4 }, (_, i) => call('POST', `${base}/register`, { body: { username: `term_new${i}`, password: PASSWORD } })),
    ];
    const deadline = Date.now() + 10_000;
    while (metric((await call('GET', `${base}/metrics`)).text, 'beacon_hash_queue_depth') < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));

    const signalled = Date.now();
    p.child.kill('SIGTERM');
    await Promise.all(
      clients.map(async (c) => {
        const d = await within(c.next('disconnect'), 10_000, 'disconnect');
        assert.equal(d.data.code, 1001);
        assert.equal((await within(c.closed, 10_000, 'close')).code, 1001);
      }),
    );
    const answers = await Promise.all(inFlight.map((r) => within(r, 10_000, 'in-flight request')));
    assert.equal(await within(p.exited, 10_000, 'exit'), 0);
    const took = Date.now() - signalled;
    ctx.diagnostic(`1000 clients closed and process exited ${took} ms after SIGTERM; in-flight answers ${answers.map((a) => a.status).join(',')}`);
    assert.ok(took < 10_000);
    // Accepted before the signal, so answered for real, and on disk.
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200, 201, 201, 201, 201]);
    const db = new Database(join(dir, 'data', 'beacon.db'), { readonly: true });
    try {
      const logins = new Set(db.prepare("SELECT json_extract(data, '$.jti') FROM events WHERE type = 'LoginSucceeded'").pluck().all() as string[]);
      for (const a of answers.slice(0, 6)) assert.ok(logins.has(jtiOf(a.json.token)), 'acknowledged login in the log');
      const users = new Set(db.prepare('SELECT username FROM users').pluck().all() as string[]);
      for (let i = 0; i < 4; i++) assert.ok(users.has(`term_new${i}`), 'acknowledged registration in the log');
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });
});

describe('19. reconnect storm', () => {
  test('2,000 clients reconnect at once after a restart: all authenticated within 10 s, presence right, no throttling', { timeout: 180_000 }, async (ctx) => {
    const USERS = 20;
    const CLIENTS = 2000;
    const dir = tempDir();
    const prep = await startIsolated({ dir, hasher: CHEAP_HASHES });
    const names = Array.from({ length: USERS }, (_, i) => `storm_user${i}`);
    const tokens = await inBatches(names, 5, async (name) => (await registerAndLogin(prep.http, name)).token);
    await prep.stop();

    const { env, base } = await isolatedEnv(dir);
    const first = spawnBeacon(env);
    await ready(first, 60_000);
    const urls = Array.from({ length: CLIENTS }, (_, i) => wsUrl(base, tokens[i % USERS]));
    const before = await inBatches(urls, 200, (url) => openAnswering(url));
    first.child.kill('SIGTERM');
    await Promise.all(before.map((c) => within(c.closed, 15_000, 'close on restart')));
    assert.equal(await within(first.exited, 15_000, 'first exit'), 0);

    const second = spawnBeacon(env); // the same address and port
    await ready(second, 60_000);
    try {
      const started = Date.now();
      // All at once: a token at upgrade, the way a client reconnects.
      const after = await within(Promise.all(urls.map((url) => openAnswering(url))), 30_000, 'reconnect');
      const took = Date.now() - started;
      const probe = after[0] as TestClient;
      const settled = await within(probe.next('user_count', (d) => d.connections === CLIENTS), 15_000, 'presence settles');
      ctx.diagnostic(`${CLIENTS} clients of ${USERS} users authenticated ${took} ms after the restart began reconnecting`);
      assert.ok(took < 10_000, `reconnect took ${took} ms`);
      assert.deepEqual(settled.data, { count: USERS, connections: CLIENTS });
      const online = await probe.request('get_online_users');
      assert.equal(online.data.count, USERS);
      for (const u of online.data.users as Array<{ username: string; connections: number }>) assert.equal(u.connections, CLIENTS / USERS, u.username);
      const states = await Promise.all([after[1], after[CLIENTS - 1]].map(async (c) => (await (c as TestClient).request('debug_connection')).data.state));
      assert.deepEqual(states, ['authenticated', 'authenticated']);
      const users = await call('GET', `${base}/users`, { token: tokens[0] });
      assert.ok((users.json.users as Array<{ online: boolean }>).every((u) => u.online));
      const metrics = (await call('GET', `${base}/metrics`)).text;
      for (const name of ['beacon_logins_throttled_total', 'beacon_logins_failed_total', 'beacon_logins_ok_total']) assert.equal(metric(metrics, name), 0, name);
      assert.equal(metric(metrics, 'beacon_ws_connections'), CLIENTS);
      second.child.kill('SIGTERM');
      await Promise.all(after.map((c) => within(c.closed, 15_000, 'close at the end')));
      assert.equal(await within(second.exited, 15_000, 'second exit'), 0);
    } finally {
      second.child.kill('SIGKILL');
    }
  });
});
