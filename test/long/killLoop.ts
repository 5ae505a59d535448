// Kill -9 loop (SECURITY.md item 15): start Beacon, log in and out concurrently, SIGKILL it at
// a random moment, restart, and check that every logout answered 200 is still revoked, that
// the event log has no gaps or duplicates, and that SQLite's integrity_check is ok.
//
//   node --import tsx test/long/killLoop.ts [rounds=30]      (about 3 s a round)
//
// test/security/durability.int.test.ts runs a 3-round variant in `npm test`.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { call, tempDir } from '../support/beacon.js';
import { ready, spawnBeacon, type BeaconProcess } from '../support/process.js';
import { isolatedEnv } from '../security/support.js';

export interface KillLoopReport {
  rounds: number;
  acknowledgedLogouts: number;
  acknowledgedLogins: number;
  killedMidRequest: number;
  events: number;
}

const USERS = ['kill_ann', 'kill_bob', 'kill_cy'];
const PASSWORD = 'correct horse battery';

const jtiOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { jti: string }).jti;

/** The log's own invariants, read through a second connection while Beacon runs. */
function checkLog(dbPath: string, revokedJtis: readonly string[]): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const { n, max } = db.prepare('SELECT COUNT(*) AS n, COALESCE(MAX(position), 0) AS max FROM events').get() as { n: number; max: number };
    assert.equal(n, max, `global positions 1..${max} without gaps or duplicates (${n} rows)`);
    const streams = db.prepare('SELECT stream, COUNT(*) AS n, MAX(stream_position) AS max, COUNT(DISTINCT stream_position) AS d FROM events GROUP BY stream').all() as Array<{ stream: string; n: number; max: number; d: number }>;
    for (const s of streams) assert.ok(s.n === s.max && s.d === s.n, `stream ${s.stream}: ${s.n} events, max position ${s.max}`);
    const revoked = new Set(db.prepare("SELECT json_extract(data, '$.jti') FROM events WHERE type = 'TokenRevoked'").pluck().all() as string[]);
    for (const jti of revokedJtis) assert.ok(revoked.has(jti), `acknowledged logout ${jti} is in the log`);
    return n;
  } finally {
    db.close();
  }
}

export async function killLoop(options: { rounds: number; log?: (line: string) => void }): Promise<KillLoopReport> {
  const log = options.log ?? (() => undefined);
  const dir = tempDir('beacon-kill-');
  const dbPath = join(dir, 'data', 'beacon.db');
  const revokedTokens: string[] = [];
  let acknowledgedLogins = 0;
  let killedMidRequest = 0;
  let events = 0;

  const start = async (): Promise<{ p: BeaconProcess; base: string }> => {
    const { env, base } = await isolatedEnv(dir, { HASH_WORKERS: '2' });
    const p = spawnBeacon(env);
    await ready(p, 60_000);
    return { p, base };
  };

  /** After every restart: each logout that was answered 200 is still refused as revoked. */
  const verify = async (base: string): Promise<void> => {
    for (const token of revokedTokens) {
      const res = await call('GET', `${base}/protected`, { token });
      assert.deepEqual([res.status, res.json?.error], [401, 'token_revoked'], `logout of ${jtiOf(token)} survived`);
    }
    events = checkLog(dbPath, revokedTokens.map(jtiOf));
  };

  for (let round = 1; round <= options.rounds; round++) {
    const { p, base } = await start();
    await verify(base);
    if (round === 1) {
      for (const username of USERS) assert.equal((await call('POST', `${base}/register`, { body: { username, password: PASSWORD } })).status, 201);
    }

    // Every user logs in and out as fast as it can until the process dies under it.
    let inFlight = 0;
    const worker = async (username: string): Promise<void> => {
      for (;;) {
        try {
          inFlight++;
          const login = await call('POST', `${base}/login-token`, { body: { username, password: PASSWORD } });
          inFlight--;
          if (login.status !== 200) continue;
          acknowledgedLogins++;
          const token = login.json.token as string;
          inFlight++;
          const logout = await call('POST', `${base}/logout`, { token });
          inFlight--;
          if (logout.status === 200) revokedTokens.push(token);
        } catch {
          inFlight--;
          return; // the connection died with the process: nothing was acknowledged
        }
      }
    };
    const workers = Promise.all(USERS.map(worker));
    const delay = 200 + Math.floor(Math.random() * 1300);
    await new Promise((resolve) => setTimeout(resolve, delay));
    const flying = inFlight;
    if (flying > 0) killedMidRequest++;
    p.child.kill('SIGKILL');
    assert.equal(await p.exited, 'SIGKILL');
    await workers;
    log(`round ${round}: killed after ${delay} ms with ${flying} requests in flight; ${revokedTokens.length} acknowledged logouts so far`);
  }

  // One last start proves the final crash too; then a clean stop and the offline checks.
  const { p, base } = await start();
  await verify(base);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
  events = checkLog(dbPath, revokedTokens.map(jtiOf));
  return { rounds: options.rounds, acknowledgedLogouts: revokedTokens.length, acknowledgedLogins, killedMidRequest, events };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.argv[2] ?? 30);
  const started = Date.now();
  killLoop({ rounds, log: (line) => console.log(line) }).then(
    (report) => {
      console.log(`ok: ${JSON.stringify(report)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
