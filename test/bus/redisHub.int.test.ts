// Two real hubs, each on its own Redis Bus (one real redis-server), with recording ports
// standing for sockets: what the hub does with the in-process bus holds across nodes:
// `user_status` / `user_count` and `get_online_users` are cluster-wide, offline only when
// the user's last connection anywhere closed, and `authenticated_message` (broadcast or
// directed) reaches the sockets of the other node once.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHub, type ConnectionHandle, type Hub } from '../../src/actors/hub.js';
import type { ConnectionPort, Farewell, Greeting } from '../../src/actors/ports.js';
import { AuthFailure, type Session } from '../../src/auth/session.js';
import { systemClock } from '../../src/clock.js';
import { redisSkipReason, startRedis, type RedisServer } from '../support/redis.js';
import { freshPrefix, quietLogger, Recorder, startNode, type Node } from '../support/redisNodes.js';

const skip = redisSkipReason();
const session = (userId: number, username: string): Session => ({ userId, username, jti: `jti-${username}-${Math.random()}`, exp: Date.now() / 1000 + 3_600 });

/** A socket that records what it was sent; every frame also lands in the node's recorder. */
class RecordingPort implements ConnectionPort {
  readonly transport = 'websocket' as const;
  readonly remoteAddress = '192.0.2.1';
  readonly frames: Array<{ event: string; data: unknown }> = [];
  readonly topics = new Set<string>();
  constructor(private readonly rec: Recorder) {}
  private frame(event: string, data: unknown): boolean {
    this.frames.push({ event, data });
    this.rec.push({ kind: 'topic', event: `frame:${event}`, data });
    return true;
  }
  greet(greeting: Greeting): void {
    this.frame('connect', greeting);
  }
  reply(event: string, data: unknown): boolean {
    return this.frame(event, data);
  }
  noReply(): void {}
  push(event: string, data: unknown): boolean {
    return this.frame(event, data);
  }
  farewell(farewell: Farewell): void {
    this.frame('disconnect', farewell);
  }
  close(): void {}
  subscribe(topic: string): void {
    this.topics.add(topic);
  }
  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }
  isAlive(): boolean {
    return true;
  }
  of(event: string): unknown[] {
    return this.frames.filter((f) => f.event === event).map((f) => f.data);
  }
}

interface HubNode extends Node {
  hub: Hub;
  ports: Set<RecordingPort>;
  connect(s: Session): { port: RecordingPort; handle: ConnectionHandle; close(): void };
}

async function hubNode(url: string, prefix: string, users: Map<string, number>): Promise<HubNode> {
  const node = await startNode(url, { prefix });
  const ports = new Set<RecordingPort>();
  // The transports' broadcaster: a topic reaches the local sockets subscribed to it.
  node.bus.listen({ topic: (topic, event, data) => ports.forEach((p) => p.topics.has(topic) && p.push(event, data)) });
  const hub = createHub({
    bus: node.bus,
    users: { idOf: (name) => users.get(name) },
    append: () => undefined,
    verifier: { verify: () => Promise.reject(new AuthFailure('invalid_token')) },
    clock: systemClock,
    authTimeoutMs: 30_000,
    logger: quietLogger,
    presenceWindowMs: 5,
  });
  let n = 0;
  return {
    ...node,
    hub,
    ports,
    connect(s) {
      users.set(s.username, s.userId);
      const port = new RecordingPort(node.rec);
      ports.add(port);
      const handle = hub.open(port, { sid: `${node.bus.nodeId}-${++n}`, session: s });
      return { port, handle, close: () => handle.socketClosed(1000, '') };
    },
  };
}

describe('hubs on the Redis bus', { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.dispose();
  });

  test('presence pushes and online users are cluster-wide; offline only with the last connection anywhere', async () => {
    const prefix = freshPrefix();
    const users = new Map<string, number>();
    const [a, b] = [await hubNode(redis.url, prefix, users), await hubNode(redis.url, prefix, users)];
    const watcher = b.connect(session(9, 'watcher'));
    const alice1 = a.connect(session(1, 'alice'));
    const alice2 = b.connect(session(1, 'alice'));
    const online = (h: HubNode): string => h.hub.presence().users.map((u) => `${u.username}=${u.connections}`).join(',');
    await a.rec.until('a sees both nodes', () => online(a) === 'alice=2,watcher=1');
    await b.rec.until('b sees both nodes', () => online(b) === 'alice=2,watcher=1');
    await b.rec.until('user_count 2/3 pushed', () => watcher.port.of('user_count').some((d) => JSON.stringify(d) === '{"count":2,"connections":3}'));
    alice1.close();
    await b.rec.until('b: alice down to 1', () => online(b) === 'alice=1,watcher=1');
    alice2.close();
    await b.rec.until('watcher hears alice offline', () => watcher.port.of('user_status').some((d) => (d as { status: string }).status === 'offline'));
    const statuses = watcher.port.of('user_status').map((d) => `${(d as { username: string }).username}:${(d as { status: string }).status}`);
    assert.deepEqual(statuses.filter((s) => s.startsWith('alice')), ['alice:online', 'alice:offline']);
    await Promise.all([a, b].map(async (h) => (await h.hub.shutdown(), await h.bus.close())));
  });

  test('authenticated_message reaches the other node once, broadcast or directed', async () => {
    const prefix = freshPrefix();
    const users = new Map<string, number>();
    const [a, b] = [await hubNode(redis.url, prefix, users), await hubNode(redis.url, prefix, users)];
    const alice = a.connect(session(1, 'alice'));
    const bob = b.connect(session(2, 'bob'));
    await b.rec.until('b knows alice', () => b.hub.presence().count === 2);
    // As the transports hand the hub a parsed client frame.
    alice.handle.receive({ type: 'authenticated_message', data: { text: 'all' }, id: 1 });
    await b.rec.until('bob gets the broadcast', () => bob.port.of('authenticated_message').length === 1);
    alice.handle.receive({ type: 'authenticated_message', data: { text: 'psst', to: 'bob' }, id: 2 });
    await b.rec.until('bob gets the directed message', () => bob.port.of('authenticated_message').length === 2);
    await a.rec.until('alice gets both, once each', () => alice.port.of('authenticated_message').length === 2);
    assert.deepEqual(bob.port.of('authenticated_message').map((d) => (d as { text: string }).text), ['all', 'psst']);
    await Promise.all([a, b].map(async (h) => (await h.hub.shutdown(), await h.bus.close())));
  });
});
