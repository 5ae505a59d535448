// The hub with fake ports, the in-process bus, a listener standing in for the transports'
// broadcaster and a hand-cranked "store": revocation reaches exactly the right actors,
// presence broadcasts coalesce, directed messages, check_connections, shutdown. Time is a
// SimulatedClock; nothing sleeps.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import { AUTHENTICATED_TOPIC, createHub } from '../../src/actors/hub.js';
import type { Hub } from '../../src/actors/hub.js';
import { PRESENCE_WINDOW_MS } from '../../src/actors/presenceFeed.js';
import { AuthFailure, type Session } from '../../src/auth/session.js';
import type { ConnectionPort, Farewell, Greeting } from '../../src/actors/ports.js';
import type { BeaconEvent, RecordedEvent } from '../../src/events/types.js';
import { streamOf } from '../../src/events/types.js';
import { createInProcessBus } from '../../src/bus/index.js';

const T0 = 1_700_000_000_000;
const EXP = T0 / 1000 + 3_600;
const session = (userId: number, username: string, jti = `jti-${username}`): Session => ({ userId, username, jti, exp: EXP });

interface Frame {
  event: string;
  data: unknown;
  id: number | undefined;
}

/** Records what the hub sends as /ws would frame it; request ids answered with noReply apart. */
class FakePort implements ConnectionPort {
  readonly transport = 'websocket' as const;
  readonly remoteAddress = '192.0.2.1';
  readonly frames: Frame[] = [];
  readonly noReplies: number[] = [];
  readonly topics = new Set<string>();
  closed: { code: number; reason: string } | null = null;
  alive = true;
  private frame(event: string, data: unknown, id: number | undefined): boolean {
    if (this.closed) return false;
    this.frames.push({ event, data, id });
    return true;
  }
  greet(greeting: Greeting): void {
    this.frame('connect', greeting, undefined);
  }
  reply(event: string, data: unknown, id: number | undefined): boolean {
    return this.frame(event, data, id);
  }
  noReply(id: number): void {
    if (!this.closed) this.noReplies.push(id);
  }
  push(event: string, data: unknown): boolean {
    return this.frame(event, data, undefined);
  }
  farewell(farewell: Farewell): void {
    this.frame('disconnect', farewell, undefined);
  }
  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }
  subscribe(topic: string): void {
    this.topics.add(topic);
  }
  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }
  isAlive(): boolean {
    return this.alive;
  }
  of(event: string): Frame[] {
    return this.frames.filter((f) => f.event === event);
  }
}

function setup(opts: { tokens?: Record<string, Session | AuthFailure>; foreign?: ReadonlySet<string> } = {}) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const ports = new Set<FakePort>();
  const published: Array<{ topic: string; event: string; data: unknown }> = [];
  const pending: BeaconEvent[] = [];
  const log: RecordedEvent[] = [];
  const warnings: string[] = [];
  /** The users projection: every name a test session used, plus the registered-but-offline. */
  const registered = new Map<string, number>([['dave', 4]]);
  const inProcess = createInProcessBus();
  // A cluster's bus also carries other nodes' connections (opts.foreign), which are not this hub's to close.
  const foreign = opts.foreign;
  const bus = foreign === undefined ? inProcess : { ...inProcess, ownsConnection: (sid: string) => !foreign.has(sid) };
  const delivered: Array<{ userIds: readonly number[]; event: string }> = [];
  bus.listen({
    topic(topic, event, data) {
      published.push({ topic, event, data });
      for (const p of ports) if (p.topics.has(topic)) p.push(event, data);
    },
    users: (userIds, event) => void delivered.push({ userIds, event }),
  });
  const hub: Hub = createHub({
    bus,
    users: { idOf: (name) => registered.get(name) },
    append: (events) => void pending.push(...events),
    verifier: {
      async verify(token) {
        const r = opts.tokens?.[token];
        if (r === undefined) throw new AuthFailure('invalid_token');
        if (r instanceof AuthFailure) throw r;
        return r;
      },
    },
    clock,
    authTimeoutMs: 30_000,
    logger: { info: () => {}, warn: (_o, msg) => void warnings.push(msg) },
    timers: clock,
  });
  /** The store's group commit: everything appended so far lands and is announced. */
  function commit(extra: BeaconEvent[] = []): void {
    const batch = [...pending.splice(0), ...extra].map((e, i): RecordedEvent => ({ ...e, position: log.length + i + 1, stream: streamOf(e), streamPosition: 1, recordedAt: clock.now() }));
    log.push(...batch);
    hub.onCommitted(batch);
  }
  let n = 0;
  function connect(s?: Session): { port: FakePort; handle: ReturnType<Hub['open']>; sid: string } {
    const port = new FakePort();
    ports.add(port);
    const sid = `sid-${++n}`;
    if (s) registered.set(s.username, s.userId);
    return { port, handle: hub.open(port, { sid, ...(s ? { session: s } : {}) }), sid };
  }
  const settle = () => new Promise<void>((r) => setImmediate(r));
  return { hub, bus, clock, published, delivered, pending, log, commit, connect, settle, warnings };
}

describe('registration through the hub', () => {
  test('a good token authenticates, subscribes and records ConnectionAuthenticated', async () => {
    const t = setup({ tokens: { good: session(1, 'alice') } });
    const c = t.connect();
    c.handle.receive({ type: 'register_user', data: { token: 'good', username: 'alice' }, id: 1 });
    assert.equal(c.handle.state, 'registering');
    await t.settle();
    assert.equal(c.handle.state, 'authenticated');
    assert.deepEqual(c.port.of('response')[0], { event: 'response', id: 1, data: { ok: true, code: 'registered', message: 'User registered', username: 'alice', user_id: 1 } });
    assert.ok(c.port.topics.has(AUTHENTICATED_TOPIC));
    assert.deepEqual(t.pending.map((e) => e.type), ['ConnectionAuthenticated']);
  });

  test('username mismatch and refused tokens close with their codes', async () => {
    const t = setup({ tokens: { good: session(1, 'alice'), old: new AuthFailure('token_revoked') } });
    const a = t.connect();
    a.handle.receive({ type: 'register_user', data: { token: 'good', username: 'bob' }, id: 1 });
    const b = t.connect();
    b.handle.receive({ type: 'register_user', data: { token: 'old', username: 'alice' }, id: 2 });
    await t.settle();
    assert.deepEqual(a.port.closed, { code: 4003, reason: 'Token username mismatch!' });
    assert.deepEqual(a.port.of('response')[0]?.data, { ok: false, code: 'username_mismatch', message: 'Token username mismatch!' });
    assert.deepEqual(b.port.closed, { code: 4001, reason: 'Token has been revoked!' });
    a.handle.socketClosed(4003, '');
    b.handle.socketClosed(4001, '');
    assert.equal(t.hub.size, 0);
    assert.equal(t.pending.length, 0, 'nothing to record for connections that never authenticated');
  });

  test('unauthenticated connections time out with 4000', () => {
    const t = setup();
    const c = t.connect();
    t.clock.increment(30_000);
    assert.deepEqual(c.port.closed, { code: 4000, reason: 'Authentication timeout' });
    assert.equal(t.hub.size, 0);
  });
});

describe('revocation', () => {
  test('reaches exactly the actors holding the jti, with the right code', () => {
    const t = setup();
    const a1 = t.connect(session(1, 'alice', 'jti-a'));
    const a2 = t.connect(session(1, 'alice', 'jti-a'));
    const a3 = t.connect(session(1, 'alice', 'jti-a-other'));
    const b = t.connect(session(2, 'bob', 'jti-b'));
    const anon = t.connect();
    t.commit([{ type: 'TokenRevoked', data: { userId: 1, jti: 'jti-a', exp: EXP, reason: 'logout' } }]);
    for (const c of [a1, a2]) {
      assert.deepEqual(c.port.closed, { code: 4001, reason: 'Token has been revoked!' });
      assert.deepEqual(c.port.of('disconnect')[0]?.data, { code: 4001, reason: 'Token has been revoked!' });
      assert.equal(c.handle.state, 'revoked');
    }
    for (const c of [a3, b, anon]) assert.equal(c.port.closed, null);

    t.commit([{ type: 'TokenRevoked', data: { userId: 2, jti: 'jti-b', exp: EXP, reason: 'superseded' } }]);
    assert.deepEqual(b.port.closed, { code: 4004, reason: 'Logged in from another session' });
    assert.deepEqual(b.port.of('response')[0]?.data, { ok: false, code: 'session_replaced', message: 'Logged in from another session' });
    assert.equal(a3.port.closed, null);

    // The transport confirms; the actors leave every index and the log records it.
    for (const c of [a1, a2, b]) c.handle.socketClosed(c.port.closed?.code ?? 0, '');
    assert.equal(t.hub.size, 2);
    assert.deepEqual(t.pending.filter((e) => e.type === 'ConnectionClosed').map((e) => e.data.code).sort(), [4001, 4001, 4004]);
  });

  test('an expired-cleanup revocation closes with token_expired (4002)', () => {
    const t = setup();
    const c = t.connect(session(1, 'alice', 'jti-exp'));
    t.commit([{ type: 'TokenRevoked', data: { userId: 1, jti: 'jti-exp', exp: EXP, reason: 'expired-cleanup' } }]);
    assert.deepEqual(c.port.closed, { code: 4002, reason: 'Token has expired!' });
    assert.deepEqual(c.port.of('response')[0]?.data, { ok: false, code: 'token_expired', message: 'Token has expired!' });
  });

  test('a token revoked just before its connection authenticated is still caught', () => {
    const t = setup();
    t.commit([{ type: 'TokenRevoked', data: { userId: 1, jti: 'jti-late', exp: EXP, reason: 'admin' } }]);
    const c = t.connect(session(1, 'alice', 'jti-late'));
    assert.deepEqual(c.port.closed, { code: 4001, reason: 'Token has been revoked!' });
  });

  test('a refreshed connection is found under its new jti, not the old one', async () => {
    const t = setup({ tokens: { fresh: session(1, 'alice', 'jti-new') } });
    const c = t.connect(session(1, 'alice', 'jti-old'));
    c.handle.receive({ type: 'register_user', data: { token: 'fresh', username: 'alice' }, id: 4 });
    await t.settle();
    assert.equal((c.port.of('response')[0]?.data as { code: string }).code, 'token_refreshed');
    t.commit([{ type: 'TokenRevoked', data: { userId: 1, jti: 'jti-old', exp: EXP, reason: 'logout' } }]);
    assert.equal(c.port.closed, null);
    t.commit([{ type: 'TokenRevoked', data: { userId: 1, jti: 'jti-new', exp: EXP, reason: 'logout' } }]);
    assert.deepEqual(c.port.closed, { code: 4001, reason: 'Token has been revoked!' });
  });
});

describe('presence broadcasts', () => {
  test('100 connects in one window: bounded broadcasts, correct final count', () => {
    const t = setup();
    const conns = Array.from({ length: 100 }, (_, i) => t.connect(session(i + 1, `user${i + 1}`)));
    t.commit();
    assert.equal(t.published.length, 0, 'nothing before the window closes');
    t.clock.increment(PRESENCE_WINDOW_MS);
    const statuses = t.published.filter((p) => p.event === 'user_status');
    const counts = t.published.filter((p) => p.event === 'user_count');
    assert.equal(statuses.length, 100);
    assert.equal(counts.length, 1);
    assert.deepEqual(counts[0]?.data, { count: 100, connections: 100 });
    // Every authenticated client ends up with the same, correct count.
    for (const c of conns) assert.deepEqual(c.port.of('user_count').at(-1)?.data, { count: 100, connections: 100 });
  });

  test('online and offline inside one window: no status, right count', () => {
    const t = setup();
    const stay = t.connect(session(1, 'alice'));
    t.commit();
    t.clock.increment(PRESENCE_WINDOW_MS);
    t.published.length = 0;
    const blink = t.connect(session(2, 'bob'));
    t.commit();
    blink.handle.receive({ type: 'disconnect', data: undefined, id: undefined });
    t.commit();
    t.clock.increment(PRESENCE_WINDOW_MS);
    assert.deepEqual(t.published.map((p) => p.event), ['user_count']);
    assert.deepEqual(t.published[0]?.data, { count: 1, connections: 1 });
    assert.deepEqual(stay.port.of('user_status').map((f) => f.data), [{ username: 'alice', user_id: 1, status: 'online' }]);
  });

  test('status changes only for first and last connection of a user', () => {
    const t = setup();
    const a1 = t.connect(session(1, 'alice'));
    t.commit();
    t.clock.increment(PRESENCE_WINDOW_MS);
    const a2 = t.connect(session(1, 'alice'));
    t.commit();
    t.clock.increment(PRESENCE_WINDOW_MS);
    a1.handle.socketClosed(1000, '');
    t.commit();
    t.clock.increment(PRESENCE_WINDOW_MS);
    a2.handle.socketClosed(1000, '');
    t.commit();
    t.clock.increment(PRESENCE_WINDOW_MS);
    assert.deepEqual(
      t.published.filter((p) => p.event === 'user_status').map((p) => (p.data as { status: string }).status),
      ['online', 'offline'],
    );
    assert.deepEqual(t.published.filter((p) => p.event === 'user_count').map((p) => p.data), [
      { count: 1, connections: 1 },
      { count: 1, connections: 2 },
      { count: 1, connections: 1 },
      { count: 0, connections: 0 },
    ]);
  });

  test('presence goes to authenticated connections only', () => {
    const t = setup();
    const anon = t.connect();
    t.connect(session(1, 'alice'));
    t.commit();
    t.clock.increment(PRESENCE_WINDOW_MS);
    assert.equal(anon.port.of('user_status').length + anon.port.of('user_count').length, 0);
    assert.ok(t.published.every((p) => p.topic === AUTHENTICATED_TOPIC));
  });

  test('get_online_users answers from committed presence', () => {
    const t = setup();
    const a = t.connect(session(2, 'bob'));
    t.connect(session(1, 'alice'));
    t.connect(session(1, 'alice'));
    t.commit();
    a.handle.receive({ type: 'get_online_users', data: undefined, id: 9 });
    assert.deepEqual(a.port.of('online_users')[0], {
      event: 'online_users',
      id: 9,
      data: { users: [{ username: 'alice', user_id: 1, connections: 2 }, { username: 'bob', user_id: 2, connections: 1 }], count: 2 },
    });
    assert.deepEqual(a.port.noReplies, [], 'a request with a reply is not acknowledged twice');
  });
});

describe('messages', () => {
  test('authenticated_message without `to` is one publish to the authenticated topic', () => {
    const t = setup();
    const a = t.connect(session(1, 'alice'));
    a.handle.receive({ type: 'authenticated_message', data: { text: 'hi', data: { x: 1 } }, id: 3 });
    assert.deepEqual(t.published, [{ topic: AUTHENTICATED_TOPIC, event: 'authenticated_message', data: { from: 'alice', data: { x: 1 }, text: 'hi', ts: T0 } }]);
    assert.deepEqual(a.port.noReplies, [3], 'the request itself is acknowledged without a reply');
    assert.equal(a.port.frames.filter((f) => f.id === 3).length, 0);
  });

  test('with `to`: the recipient\'s connections and the sender\'s, nobody else', () => {
    const t = setup();
    const a1 = t.connect(session(1, 'alice'));
    const a2 = t.connect(session(1, 'alice'));
    const b = t.connect(session(2, 'bob'));
    const c = t.connect(session(3, 'carol'));
    a1.handle.receive({ type: 'authenticated_message', data: { text: 'psst', to: 'bob' }, id: 5 });
    const expected = { from: 'alice', data: null, text: 'psst', ts: T0 };
    for (const p of [a1, a2, b]) assert.deepEqual(p.port.of('authenticated_message').map((f) => f.data), [expected]);
    assert.equal(c.port.of('authenticated_message').length, 0);
    assert.equal(t.published.length, 0);
    assert.deepEqual(a1.port.noReplies, [5]);
    assert.deepEqual(a2.port.noReplies, []);
  });

  test('with `to` a registered user with no connection here: handed to the bus by the users projection', () => {
    const t = setup();
    const a = t.connect(session(1, 'alice'));
    a.handle.receive({ type: 'authenticated_message', data: { text: 'later', to: 'dave' }, id: 5 });
    assert.deepEqual(t.delivered, [{ userIds: [1, 4], event: 'authenticated_message' }]);
    assert.equal(a.port.of('authenticated_message').length, 1, 'the sender sees its own message');
    a.handle.receive({ type: 'authenticated_message', data: { text: '?', to: 'nobody' }, id: 6 });
    assert.deepEqual(t.delivered[1], { userIds: [1], event: 'authenticated_message' });
  });

  test('presence follows the bus: a connection elsewhere counts, and leaves again', () => {
    const t = setup();
    const a = t.connect(session(1, 'alice'));
    t.bus.connectionUp({ type: 'ConnectionAuthenticated', data: { sid: 'far-1', userId: 5, username: 'erin', jti: 'j5', transport: 'websocket' } });
    t.clock.increment(PRESENCE_WINDOW_MS);
    assert.deepEqual(a.port.of('user_count').at(-1)?.data, { count: 2, connections: 2 });
    t.bus.connectionDown({ type: 'ConnectionClosed', data: { sid: 'far-1', userId: 5, code: 1000, reason: '' } });
    t.clock.increment(PRESENCE_WINDOW_MS);
    assert.deepEqual(a.port.of('user_status').at(-1)?.data, { username: 'erin', user_id: 5, status: 'offline' });
    assert.deepEqual(a.port.of('user_count').at(-1)?.data, { count: 1, connections: 1 });
  });

  test('to oneself: each own connection once', () => {
    const t = setup();
    const a1 = t.connect(session(1, 'alice'));
    const a2 = t.connect(session(1, 'alice'));
    a1.handle.receive({ type: 'authenticated_message', data: { text: 'note', to: 'alice' }, id: 5 });
    assert.equal(a1.port.of('authenticated_message').length, 1);
    assert.equal(a2.port.of('authenticated_message').length, 1);
  });

  test('the echo answers in live states only, with the same payload as the machine', () => {
    const t = setup();
    const anon = t.connect();
    anon.handle.receive({ type: 'message', data: undefined, id: 4 });
    assert.deepEqual(anon.port.of('message')[0], { event: 'message', id: 4, data: { from: null, data: null } });
    const a = t.connect(session(1, 'alice', 'jti-x'));
    t.commit([{ type: 'TokenRevoked', data: { userId: 1, jti: 'jti-x', exp: EXP, reason: 'logout' } }]);
    a.handle.receive({ type: 'message', data: 'late', id: 5 });
    assert.equal(a.handle.state, 'revoked');
    assert.equal(a.port.of('message').length, 0);
  });

  test('echo, invalid frames and floods', () => {
    const t = setup();
    const a = t.connect(session(1, 'alice'));
    a.handle.receive({ type: 'message', data: 'x', id: 1 });
    a.handle.invalid('Malformed JSON', 2);
    assert.deepEqual(a.port.of('message')[0], { event: 'message', id: 1, data: { from: 'alice', data: 'x' } });
    assert.deepEqual(a.port.of('response')[0], { event: 'response', id: 2, data: { ok: false, code: 'invalid_message', message: 'Malformed JSON' } });
    assert.equal(a.handle.state, 'authenticated');
    a.handle.flood();
    assert.equal(a.port.closed?.code, 4008);
    assert.equal((a.port.of('response')[1]?.data as { code: string }).code, 'rate_limited');
    assert.equal(t.hub.size, 0);
  });
});

describe('check_connections', () => {
  test('drops dead connections and reconciles stale presence', () => {
    const t = setup();
    const a = t.connect(session(1, 'alice'));
    const dead = t.connect(session(2, 'bob'));
    t.connect();
    t.bus.connectionUp({ type: 'ConnectionAuthenticated', data: { sid: 'ghost', userId: 9, username: 'ghost', jti: 'j9', transport: 'websocket' } });
    dead.port.alive = false;
    a.handle.receive({ type: 'check_connections', data: undefined, id: 7 });
    assert.deepEqual(a.port.of('connections_checked')[0], { event: 'connections_checked', id: 7, data: { active: 2, removed: 2 } });
    assert.equal(dead.port.closed?.code, 1001);
    assert.equal(dead.handle.state, 'closed');
    assert.deepEqual(t.hub.presence().users.map((u) => u.username), ['alice']);
    assert.deepEqual(t.pending.filter((e) => e.type === 'ConnectionClosed').map((e) => e.data), [
      { sid: 'ghost', userId: 9, code: 1001, reason: 'reconciled' },
      { sid: 'sid-2', userId: 2, code: 1001, reason: 'Connection not responding' },
    ], 'both closes are in the audit trail');
  });

  test("leaves other nodes' connections alone: they are theirs (or the reaper's) to close", () => {
    const t = setup({ foreign: new Set(['remote-1']) });
    const a = t.connect(session(1, 'alice'));
    t.bus.connectionUp({ type: 'ConnectionAuthenticated', data: { sid: 'remote-1', userId: 9, username: 'erin', jti: 'j9', transport: 'websocket' } });
    a.handle.receive({ type: 'check_connections', data: undefined, id: 8 });
    assert.deepEqual(a.port.of('connections_checked')[0], { event: 'connections_checked', id: 8, data: { active: 1, removed: 0 } });
    assert.deepEqual(t.hub.presence().users.map((u) => u.username), ['alice', 'erin']);
    assert.equal(t.pending.filter((e) => e.type === 'ConnectionClosed').length, 0, 'nothing recorded for a connection of another node');
  });
});

describe('failures inside an actor', () => {
  test('an actor that throws is evicted from every index and recorded as closed', () => {
    const t = setup();
    const c = t.connect(session(1, 'alice'));
    Object.defineProperty(c.port, 'remoteAddress', { get: () => { throw new Error('socket gone'); } });
    c.handle.receive({ type: 'debug_connection', data: undefined, id: 1 });
    assert.equal(t.hub.size, 0);
    assert.equal(c.port.closed?.code, 1011);
    assert.deepEqual(t.pending.map((e) => e.type), ['ConnectionAuthenticated', 'ConnectionClosed']);
    assert.ok(t.warnings.includes('connection actor failed'));
  });
});

describe('racing logins on two nodes', () => {
  test("a committed login replaces the user's connections on any other token, revoked or not", () => {
    const t = setup();
    const loser = t.connect(session(1, 'alice', 'jti-loser'));
    const winner = t.connect(session(1, 'alice', 'jti-winner'));
    const other = t.connect(session(2, 'bob', 'jti-b'));
    // The node that issued jti-loser revoked only the token it knew; the winner's login commits last.
    t.commit([{ type: 'LoginSucceeded', data: { userId: 1, username: 'alice', jti: 'jti-winner', iat: 0, exp: EXP, address: '192.0.2.1' } }]);
    assert.deepEqual(loser.port.closed, { code: 4004, reason: 'Logged in from another session' });
    assert.equal(winner.port.closed, null);
    assert.equal(other.port.closed, null);
  });
});

describe('fencing (a cluster node that cannot follow the log)', () => {
  test('closes authenticated connections with 1013, refuses new ones until it rejoins', () => {
    const t = setup();
    const a = t.connect(session(1, 'alice'));
    const anon = t.connect();
    t.hub.fence(true);
    assert.equal(t.hub.fenced, true);
    assert.deepEqual(a.port.closed, { code: 1013, reason: 'Server unavailable, reconnect' });
    assert.deepEqual(a.port.of('disconnect')[0]?.data, { code: 1013, reason: 'Server unavailable, reconnect' });
    assert.deepEqual(anon.port.closed, { code: 1013, reason: 'Server unavailable, reconnect' });
    const late = t.connect(session(2, 'bob'));
    assert.deepEqual(late.port.closed, { code: 1013, reason: 'Server unavailable, reconnect' }, 'no new connection while fenced');
    t.hub.fence(false);
    const after = t.connect(session(3, 'carol'));
    assert.equal(after.port.closed, null);
    assert.equal(after.handle.state, 'authenticated');
  });
});

describe('a bus that refuses (Redis down)', () => {
  test('authenticated_message answers unavailable instead of reaching part of the audience', async () => {
    const t = setup();
    const a = t.connect(session(1, 'alice'));
    t.bus.publish = () => Promise.reject(new Error('redis down'));
    t.bus.deliver = () => Promise.reject(new Error('redis down'));
    a.handle.receive({ type: 'authenticated_message', data: { text: 'hi' }, id: 3 });
    a.handle.receive({ type: 'authenticated_message', data: { text: 'hi', to: 'dave' }, id: 4 });
    await t.settle();
    const refusals = a.port.frames.filter((f) => f.event === 'response');
    assert.deepEqual(refusals.map((f) => [f.id, (f.data as { code: string }).code]), [[3, 'unavailable'], [4, 'unavailable']]);
    assert.equal(a.port.closed, null, 'the connection stays open');
  });
});

describe('snapshot and shutdown', () => {
  test('snapshot lists live connections', () => {
    const t = setup();
    t.connect(session(1, 'alice'));
    t.clock.increment(1_500);
    t.connect();
    const snap = t.hub.snapshot();
    assert.deepEqual(snap[0], { sid: 'sid-1', state: 'authenticated', username: 'alice', userId: 1, connectedAt: T0, ageMs: 1_500, transport: 'websocket', remoteAddress: '192.0.2.1', channels: [] });
    assert.equal(snap[1]?.state, 'connected');
  });

  test('shutdown tells everyone 1001, closes all and resolves', async () => {
    const t = setup();
    const conns = [t.connect(session(1, 'alice')), t.connect(), t.connect(session(2, 'bob'))];
    const revoked = t.connect(session(3, 'carol', 'jti-c'));
    t.commit([{ type: 'TokenRevoked', data: { userId: 3, jti: 'jti-c', exp: EXP, reason: 'logout' } }]);
    await t.hub.shutdown();
    for (const c of conns) {
      assert.deepEqual(c.port.of('disconnect')[0]?.data, { code: 1001, reason: 'Server shutting down' });
      assert.deepEqual(c.port.closed, { code: 1001, reason: 'Server shutting down' });
    }
    assert.equal(revoked.handle.state, 'closed');
    assert.equal(t.hub.size, 0);
    assert.equal(t.pending.filter((e) => e.type === 'ConnectionClosed').length, 3);
    const late = t.connect();
    assert.equal(late.port.closed?.code, 1001, 'no new connections while draining');
  });
});

describe('admin actions', () => {
  const audit = { by: { actor: 'admin' as const, fingerprint: 'f00d' }, address: '127.0.0.1' };

  test('a committed UserKicked closes exactly the user\'s authenticated connections with 4005', () => {
    const t = setup();
    const a1 = t.connect(session(1, 'alice'));
    const a2 = t.connect(session(1, 'alice'));
    const b = t.connect(session(2, 'bob'));
    const anon = t.connect();
    assert.equal(t.hub.sessionsOf(1), 2);
    t.commit([{ type: 'UserKicked', data: { userId: 1, username: 'alice', reason: 'maintenance', ...audit } }]);
    for (const c of [a1, a2]) {
      assert.deepEqual(c.port.of('response')[0]?.data, { ok: false, code: 'kicked', message: 'Disconnected by an administrator' });
      assert.deepEqual(c.port.of('disconnect')[0]?.data, { code: 4005, reason: 'Disconnected by an administrator' });
      assert.deepEqual(c.port.closed, { code: 4005, reason: 'Disconnected by an administrator' });
    }
    assert.equal(b.port.closed, null);
    assert.equal(anon.port.closed, null);
    assert.equal(t.hub.sessionsOf(9), 0);
  });

  test('a committed UserDisabled closes the user with 4006 before the revocation that follows it could say 4001', () => {
    const t = setup();
    const a = t.connect(session(1, 'alice', 'jti-a'));
    const b = t.connect(session(2, 'bob', 'jti-b'));
    t.commit([
      { type: 'UserDisabled', data: { userId: 1, username: 'alice', ...audit } },
      { type: 'TokenRevoked', data: { userId: 1, jti: 'jti-a', exp: EXP, reason: 'admin', ...audit } },
    ]);
    assert.deepEqual(a.port.closed, { code: 4006, reason: 'Account disabled' });
    assert.deepEqual(a.port.of('response').map((f) => (f.data as { code: string }).code), ['account_disabled']);
    assert.equal(b.port.closed, null);
  });
});
