// A bus node in a process of its own, for the SIGKILL test: joins the cluster on
// REDIS_URL / REDIS_PREFIX as NODE_ID, brings up the connections in CONNECTIONS
// ([[sid, userId, username], ...]), prints "node ready" once Redis holds them, then idles.

import { createRedisBus } from '../../src/bus/index.js';
import { quietLogger, up } from './redisNodes.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const bus = await createRedisBus({ url: env('REDIS_URL'), prefix: env('REDIS_PREFIX'), nodeId: env('NODE_ID'), logger: quietLogger });
for (const [sid, userId, username] of JSON.parse(env('CONNECTIONS')) as Array<[string, number, string]>) {
  bus.connectionUp(up(sid, userId, username));
}
// Every up went out before this publish on the same connection, so Redis has them all.
await bus.publish('ready-probe', 'probe', null);
console.log('node ready');
setInterval(() => undefined, 60_000);
