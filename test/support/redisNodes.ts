// Bus nodes for the Redis binding tests: several createRedisBus instances on one Redis
// stand for the nodes of a cluster, each with a recorder of what its listeners heard and a
// presence feed (the hub's) fed from it. Waiting is on events, never on a fixed sleep.

import { createPresenceFeed, type PresenceFeed } from '../../src/actors/presenceFeed.js';
import { createRedisBus, type RedisBus } from '../../src/bus/index.js';
import type { EventOf } from '../../src/events/index.js';

export const quietLogger = {
  info: (obj: object, msg: string): void => void (process.env['DEBUG_REDIS'] === undefined || console.log('info', msg, obj)),
  warn: (obj: object, msg: string): void => void (process.env['DEBUG_REDIS'] === undefined || console.log('warn', msg, obj)),
};

export interface Heard {
  kind: 'topic' | 'users' | 'presence' | 'status' | 'health';
  topic?: string;
  userIds?: readonly number[];
  event: string;
  data: unknown;
}

/** Everything a node's listeners heard, with a wait that re-checks on each new entry. */
export class Recorder {
  readonly heard: Heard[] = [];
  private waiters = new Set<() => void>();
  push(entry: Heard): void {
    this.heard.push(entry);
    for (const check of [...this.waiters]) check();
  }
  of(kind: Heard['kind'], event?: string): Heard[] {
    return this.heard.filter((h) => h.kind === kind && (event === undefined || h.event === event));
  }
  until(what: string, predicate: () => boolean, timeoutMs = 5_000): Promise<number> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(Date.now() - started);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

export interface Node {
  bus: RedisBus;
  rec: Recorder;
  feed: PresenceFeed;
  /** `user_status` announcements of this node's feed, as "username:status". */
  statuses(): string[];
}

export async function startNode(url: string, options: { prefix: string; nodeId?: string }): Promise<Node> {
  const rec = new Recorder();
  const bus = await createRedisBus({
    url,
    onHealth: (healthy) => rec.push({ kind: 'health', event: healthy ? 'healthy' : 'unhealthy', data: null }),
    prefix: options.prefix,
    logger: quietLogger,
    connectionTopics: ['authenticated'],
    ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
  });
  const feed = createPresenceFeed({
    broadcaster: { publish: (topic, event, data) => rec.push({ kind: 'status', topic, event, data }) },
    topic: 'authenticated',
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
    windowMs: 5,
  });
  bus.listen({
    topic: (topic, event, data) => rec.push({ kind: 'topic', topic, event, data }),
    users: (userIds, event, data) => rec.push({ kind: 'users', userIds, event, data }),
    presence: (change) => {
      feed.apply(change);
      rec.push({ kind: 'presence', event: change.type, data: change.data });
    },
  });
  const statuses = (): string[] =>
    rec.of('status', 'user_status').map((h) => {
      const d = h.data as { username: string; status: string };
      return `${d.username}:${d.status}`;
    });
  return { bus, rec, feed, statuses };
}

export const up = (sid: string, userId: number, username: string): EventOf<'ConnectionAuthenticated'> => ({
  type: 'ConnectionAuthenticated',
  data: { sid, userId, username, jti: `jti-${sid}`, transport: 'websocket' },
});

export const down = (sid: string, userId: number): EventOf<'ConnectionClosed'> => ({
  type: 'ConnectionClosed',
  data: { sid, userId, code: 1000, reason: '' },
});

/** A per-test key prefix, so tests on one Redis never see each other. */
let prefixes = 0;
export const freshPrefix = (): string => `t${process.pid}-${++prefixes}:`;
