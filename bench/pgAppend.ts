// `node --import tsx bench/pgAppend.ts [appends]`: what the PostgreSQL log's total order
// costs, in awaited durable appends/s: 1 appender, 4 on 4 nodes (lock contended), 4 on one
// node (group commit), against sequence INSERTs (no lock, no head read, no follower woken).

import pg from 'pg';
import { systemClock } from '../src/clock.js';
import type { BeaconEvent } from '../src/events/index.js';
import { openPostgresLog, type PostgresLog } from '../src/store/postgres/index.js';
import { startPostgres } from '../test/support/postgres.js';

const APPENDS = Number(process.argv[2] ?? 400);
const revoked = (n: number): BeaconEvent => ({ type: 'TokenRevoked', data: { userId: n % 50, jti: `j-${n}`, exp: 9_999_999_999, reason: 'logout' } });

async function timed(appenders: number, work: (appender: number, count: number) => Promise<void>): Promise<number> {
  const each = Math.ceil(APPENDS / appenders);
  const started = performance.now();
  await Promise.all(Array.from({ length: appenders }, (_, a) => work(a, each)));
  return (each * appenders) / ((performance.now() - started) / 1000);
}

async function viaLog(logs: readonly PostgresLog[], appenders: number): Promise<number> {
  let n = 0;
  return timed(appenders, async (a, count) => {
    const log = logs[a % logs.length] as PostgresLog;
    for (let i = 0; i < count; i++) await log.append([revoked(n++)]);
  });
}

/** What a sequence-numbered log would do: one INSERT per transaction, no lock, no head read. */
async function viaSequence(url: string, appenders: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: appenders }, async () => {
    const c = new pg.Client(url);
    await c.connect();
    return c;
  }));
  await clients[0]?.query('CREATE TABLE IF NOT EXISTS seq_events (position bigserial PRIMARY KEY, stream text, data text)');
  try {
    return await timed(appenders, async (a, count) => {
      const c = clients[a] as pg.Client;
      for (let i = 0; i < count; i++) {
        await c.query('BEGIN');
        await c.query('INSERT INTO seq_events (stream, data) VALUES ($1, $2)', [`user-${i % 50}`, '{"jti":"x"}']);
        await c.query('COMMIT');
      }
    });
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

async function main(): Promise<void> {
  const server = await startPostgres();
  try {
    const url = await server.createDatabase();
    const alone = [await openPostgresLog({ url, clock: systemClock })];
    await viaLog(alone, 1); // warm-up: connections, plans, the first WAL segment
    const single = await viaLog(alone, 1);
    const nodes = [...alone, ...(await Promise.all(Array.from({ length: 3 }, () => openPostgresLog({ url, clock: systemClock }))))];
    const figures = {
      'log, 1 appender, 1 node': single,
      'log, 1 appender, 4 nodes follow': await viaLog(nodes.slice(0, 1), 1),
      'log, 4 appenders on 4 nodes': await viaLog(nodes, 4),
      'log, 4 appenders on 1 node': await viaLog(nodes.slice(0, 1), 4),
      'sequence INSERT, 1 client': await viaSequence(url, 1),
      'sequence INSERT, 4 clients': await viaSequence(url, 4),
    };
    for (const [name, perSecond] of Object.entries(figures)) process.stdout.write(`${name.padEnd(32)} ${perSecond.toFixed(0).padStart(6)} appends/s\n`);
    const heard = nodes.map((n) => n.lastPosition());
    await Promise.all(nodes.map((n) => n.catchUp()));
    process.stdout.write(`every node followed to position ${Math.max(...nodes.map((n) => n.lastPosition()))} (were at ${heard.join(', ')})\n`);
    await Promise.all(nodes.map((n) => n.close()));
  } finally {
    await server.dispose();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`pgAppend: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
