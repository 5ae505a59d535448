// The hub's channel router with fake ports, the in-process bus and the real SQLite history
// in a temporary file, behind gates that hold a recovery read back: publications that arrive
// while a subscription is being set up are delivered exactly once, after the answer, in
// order; the channel index follows subscribes, unsubscribes, closes and membership removals.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SimulatedClock } from 'xstate';
import { createHub } from '../../src/actors/hub.js';
import type { ConnectionPort, Farewell, Greeting } from '../../src/actors/ports.js';
import type { Session } from '../../src/auth/session.js';
import { createInProcessBus } from '../../src/bus/index.js';
import { BUILT_IN_NAMESPACES, channelTopic, createChannelService, openSqliteHistory, type ChannelHistory } from '../../src/channels/index.js';
import { systemClock } from '../../src/clock.js';
import { membershipsProjection } from '../../src/events/projections/memberships.js';
import type { RecordedEvent } from '../../src/events/types.js';

const dir = mkdtempSync(join(tmpdir(), 'beacon-router-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Frame {
  event: string;
  data: any;
  id: number | undefined;
}

class FakePort implements ConnectionPort {
  readonly transport = 'websocket' as const;
  readonly remoteAddress = '192.0.2.1';
  readonly frames: Frame[] = [];
  readonly topics = new Set<string>();
  greet(_g: Greeting): void {}
  reply(event: string, data: unknown, id: number | undefined): boolean {
    this.frames.push({ event, data, id });
    return true;
  }
  noReply(): void {}
  push(event: string, data: unknown): boolean {
    return this.reply(event, data, undefined);
  }
  farewell(_f: Farewell): void {}
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
  /** Offsets of the publications this socket saw, pushed or through its topics, in order. */
  offsets(): number[] {
    return this.frames.filter((f) => f.event === 'publication').map((f) => f.data.offset as number);
  }
}

/** A gate a test opens by hand; awaiting it parks a recovery read. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

let n = 0;
/** `hubClock`: the hub's clock and timers (token expiry), when a test moves time by hand. */
function setup(hubClock?: SimulatedClock) {
  const real = openSqliteHistory({ path: join(dir, `h${++n}.db`), clock: systemClock, trimIntervalMs: 0 });
  const gates: { before?: Promise<void>; after?: Promise<void> } = {};
  // The real history, with the recovery read held back before or after it reads.
  const history: ChannelHistory = {
    ...real,
    async since(channel, since, limit) {
      if (gates.before) await gates.before;
      const result = await real.since(channel, since, limit);
      if (gates.after) await gates.after;
      return result;
    },
    head: (channel) => real.head(channel),
  };
  const memberships = membershipsProjection.initial();
  const bus = createInProcessBus();
  const ports = new Set<FakePort>();
  // The transports' broadcaster: a topic reaches the ports that joined it.
  bus.listen({ topic: (topic, event, data) => ports.forEach((p) => p.topics.has(topic) && p.push(event, data)) });
  const timers = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
  const channels = createChannelService({ history, namespaces: BUILT_IN_NAMESPACES, bus, memberships: () => memberships, timers });
  const hub = createHub({
    bus,
    channels,
    users: { idOf: () => undefined },
    append: () => {},
    verifier: { verify: async () => Promise.reject(new Error('no tokens here')) },
    clock: hubClock ?? systemClock,
    ...(hubClock === undefined ? {} : { timers: hubClock }),
    authTimeoutMs: 30_000,
    logger: { info: () => {}, warn: () => {} },
  });
  let sid = 0;
  const connect = (userId: number, username: string) => {
    const port = new FakePort();
    ports.add(port);
    const session: Session = { userId, username, jti: `jti-${++sid}`, exp: (hubClock ?? systemClock).now() / 1000 + 3600 };
    const handle = hub.open(port, { sid: `sid-${sid}`, session });
    let id = 0;
    const request = (type: 'subscribe' | 'unsubscribe' | 'publish', data: any): number => {
      handle.receive({ type, data, id: ++id } as never);
      return id;
    };
    return { port, handle, sid: `sid-${sid}`, request };
  };
  /** Resolves once `port` has a reply to request `id`. */
  const answer = async (port: FakePort, id: number): Promise<Frame> => {
    for (;;) {
      const f = port.frames.find((x) => x.id === id);
      if (f) return f;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  const publish = async (channel: string, data: unknown) => (await channels.publish(channel, data, null)).offset;
  const stop = async () => {
    await hub.shutdown();
    await channels.close();
  };
  return { hub, channels, memberships, gates, connect, answer, publish, stop };
}

describe('channel router: exact recovery', () => {
  test('publications written while the recovery read is held: after the answer, once each, in order', async () => {
    const s = setup();
    const { epoch } = await s.channels.history('room:r', 1);
    for (let i = 0; i < 3; i++) await s.publish('room:r', i);
    const held = gate();
    s.gates.after = held.wait;
    const c = s.connect(1, 'ann');
    const id = c.request('subscribe', { channel: 'room:r', since: { offset: 1, epoch } });
    // Read done (offsets 2, 3), answer held: these four arrive meanwhile.
    for (let i = 3; i < 7; i++) await s.publish('room:r', i);
    assert.deepEqual(c.port.offsets(), [], 'nothing before the answer');
    held.open();
    const reply = await s.answer(c.port, id);
    assert.equal(reply.event, 'subscribed');
    assert.equal(reply.data.recovered, true);
    assert.deepEqual(reply.data.publications.map((p: { offset: number }) => p.offset), [2, 3]);
    assert.deepEqual(c.port.offsets(), [4, 5, 6, 7], 'the buffered ones, after the answer');
    assert.ok(c.port.topics.has(channelTopic('room:r')), 'live on the topic afterwards');
    await s.publish('room:r', 'live');
    assert.deepEqual(c.port.offsets(), [4, 5, 6, 7, 8]);
    await s.stop();
  });

  test('publications buffered before the read and also in it are not repeated', async () => {
    const s = setup();
    const held = gate();
    s.gates.before = held.wait;
    const c = s.connect(1, 'ann');
    const id = c.request('subscribe', { channel: 'room:d', since: { offset: 0, epoch: (await s.channels.history('room:d', 1)).epoch } });
    // Registered, read not yet made: these are buffered and then read too.
    for (let i = 0; i < 3; i++) await s.publish('room:d', i);
    held.open();
    const reply = await s.answer(c.port, id);
    assert.deepEqual(reply.data.publications.map((p: { offset: number }) => p.offset), [1, 2, 3]);
    assert.deepEqual(c.port.offsets(), [], 'no repeat of what the answer held');
    await s.publish('room:d', 'next');
    assert.deepEqual(c.port.offsets(), [4]);
    await s.stop();
  });

  test('without since: the answer is the head, and only later publications follow', async () => {
    const s = setup();
    await s.publish('room:h', 'old');
    const held = gate();
    s.gates.after = held.wait; // `head` is not gated: the answer comes at once
    const c = s.connect(1, 'ann');
    const reply = await s.answer(c.port, c.request('subscribe', { channel: 'room:h' }));
    assert.deepEqual([reply.data.offset, reply.data.recovered, reply.data.publications], [1, false, []]);
    await s.publish('room:h', 'new');
    assert.deepEqual(c.port.offsets(), [2]);
    held.open();
    await s.stop();
  });
});

describe('channel router: the index', () => {
  test('close drops every subscription of the connection, and its presence', async () => {
    const s = setup();
    const c = s.connect(1, 'ann');
    for (const channel of ['room:a', 'room:b']) await s.answer(c.port, c.request('subscribe', { channel }));
    assert.deepEqual(s.channels.channelsOf(c.sid), ['room:a', 'room:b']);
    assert.deepEqual(s.channels.list().map((x) => x.channel), ['room:a', 'room:b']);
    c.handle.socketClosed(1000, 'bye');
    assert.deepEqual(s.channels.channelsOf(c.sid), []);
    assert.deepEqual(s.channels.list(), []);
    await s.stop();
  });

  test('the machine context knows its channels', async () => {
    const s = setup();
    const c = s.connect(1, 'ann');
    await s.answer(c.port, c.request('subscribe', { channel: 'room:ctx' }));
    const summary = s.hub.snapshot().find((x) => x.sid === c.sid);
    assert.deepEqual(summary?.channels, ['room:ctx']);
    await s.answer(c.port, c.request('unsubscribe', { channel: 'room:ctx' }));
    assert.deepEqual(s.hub.snapshot().find((x) => x.sid === c.sid)?.channels, []);
    await s.stop();
  });

  test('a committed removal ends only that member’s subscription of that channel', async () => {
    const s = setup();
    const ann = s.connect(1, 'ann');
    const bob = s.connect(2, 'bob');
    for (const [who, userId] of [[ann, 1], [bob, 2]] as const) {
      membershipsProjection.evolve(s.memberships, { type: 'ChannelMemberAdded', data: { channel: 'private:p', userId, by: null } });
      await s.answer(who.port, who.request('subscribe', { channel: 'private:p' }));
    }
    const removed = { type: 'ChannelMemberRemoved', data: { channel: 'private:p', userId: 1, by: null }, position: 1, stream: 'channel-private:p', streamPosition: 1, recordedAt: 0 } as RecordedEvent;
    s.hub.onCommitted([removed]);
    assert.deepEqual(ann.port.frames.filter((f) => f.event === 'unsubscribed').map((f) => f.data), [{ channel: 'private:p', reason: 'permission_revoked' }]);
    assert.deepEqual(bob.port.frames.filter((f) => f.event === 'unsubscribed'), []);
    assert.deepEqual(s.channels.channelsOf(ann.sid), []);
    assert.deepEqual(s.channels.channelsOf(bob.sid), ['private:p']);
    await s.stop();
  });

  test('a revoked token ends the subscriptions at once, before the transport confirms the close', async () => {
    const s = setup();
    const c = s.connect(1, 'ann');
    await s.answer(c.port, c.request('subscribe', { channel: 'room:rev' }));
    const jti = `jti-${c.sid.slice(4)}`;
    s.hub.onCommitted([{ type: 'TokenRevoked', data: { userId: 1, jti, exp: 0, reason: 'logout' }, position: 1, stream: 'user-1', streamPosition: 1, recordedAt: 0 } as RecordedEvent]);
    assert.equal(c.handle.state, 'revoked', 'the fake transport never confirms the close');
    assert.deepEqual(s.channels.channelsOf(c.sid), []);
    assert.deepEqual(s.channels.list(), []);
    await s.stop();
  });

  test('endSubscriptions (the admin API, e.g. account_disabled): every subscription of the user ends with that reason', async () => {
    const s = setup();
    const one = s.connect(1, 'ann');
    const two = s.connect(1, 'ann');
    const other = s.connect(2, 'bob');
    for (const c of [one, two, other]) await s.answer(c.port, c.request('subscribe', { channel: 'room:all' }));
    await s.answer(one.port, one.request('subscribe', { channel: 'user:ann' }));
    assert.equal(s.hub.endSubscriptions(1, 'account_disabled'), 3);
    assert.deepEqual(one.port.frames.filter((f) => f.event === 'unsubscribed').map((f) => f.data), [
      { channel: 'room:all', reason: 'account_disabled' },
      { channel: 'user:ann', reason: 'account_disabled' },
    ]);
    assert.equal(two.port.frames.filter((f) => f.event === 'unsubscribed').length, 1);
    assert.deepEqual(s.channels.list(), [{ channel: 'room:all', subscribers: 1, users: 1 }]);
    await s.stop();
  });

  test('token expiry ends the subscriptions at the expiry instant', async () => {
    const clock = new SimulatedClock();
    clock.set(Date.now());
    const s = setup(clock);
    const c = s.connect(1, 'ann');
    await s.answer(c.port, c.request('subscribe', { channel: 'room:exp' }));
    assert.deepEqual(s.channels.channelsOf(c.sid), ['room:exp']);
    clock.increment(3_600_000);
    assert.equal(c.handle.state, 'revoked');
    assert.deepEqual(s.channels.channelsOf(c.sid), []);
    await s.stop();
  });
});
