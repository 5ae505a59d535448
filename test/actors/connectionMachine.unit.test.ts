// Model-based tests of the connection machine: xstate/graph finds the shortest path to
// every distinct state (state × failure × close cause); each path is replayed against a
// real actor with recording fakes and a SimulatedClock, checking the effects per state.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { connectionMachine } from '../../src/actors/connectionMachine.js';
import type { ConnectionContext, ConnectionEvent, ConnectionInput } from '../../src/actors/connectionMachine.js';
import { describeMachine } from '../../src/actors/describeMachine.js';
import { AuthFailure, type Session } from '../../src/auth/session.js';
import type { ConnectionPort } from '../../src/actors/ports.js';
import { ERRORS, closeCodeOf } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';

const T0 = 1_700_000_000_000;
const AUTH_MS = 30_000;
const TTL_S = 3_600;
const alice: Session = { username: 'alice', userId: 1, jti: 'jti-a1', exp: T0 / 1000 + TTL_S };
const aliceNew: Session = { ...alice, jti: 'jti-a2', exp: alice.exp + TTL_S };
const mallory: Session = { username: 'mallory', userId: 66, jti: 'jti-m', exp: alice.exp };

type Effect =
  | { kind: 'greet'; data: unknown }
  | { kind: 'reply'; event: string; data: unknown; id: number | undefined }
  | { kind: 'push'; event: string; data: unknown }
  | { kind: 'noReply'; id: number | undefined }
  | { kind: 'farewell'; code: number; reason: string }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'sessionStarted' | 'connectionClosed' | 'publish' | 'onlineUsers' | 'check'; id?: number | undefined }
  | { kind: 'sessionRefreshed'; from: string; to: string };

const port: ConnectionPort = {
  transport: 'websocket',
  remoteAddress: '203.0.113.9',
  greet: () => {},
  reply: () => true,
  noReply: () => {},
  push: () => true,
  farewell: () => {},
  close: () => {},
  subscribe: () => {},
  unsubscribe: () => {},
  isAlive: () => true,
};

// Internal events the graph needs to walk (invocation results and timers) beside the public ones.
const ev = (e: { type: string; [k: string]: unknown }): ConnectionEvent => e as unknown as ConnectionEvent;
const EVENTS: ConnectionEvent[] = [
  { type: 'register_user', data: { token: 'tok-alice', username: 'alice' }, id: 11 },
  ev({ type: 'xstate.done.actor.verify', output: alice }),
  ev({ type: 'xstate.done.actor.verify', output: mallory }),
  ev({ type: 'xstate.error.actor.verify', error: new AuthFailure('token_revoked') }),
  ev({ type: 'xstate.done.actor.refresh', output: aliceNew }),
  ev({ type: 'xstate.done.actor.refresh', output: mallory }),
  ev({ type: 'xstate.error.actor.refresh', error: new AuthFailure('invalid_token') }),
  ev({ type: 'xstate.after.authTimeout.connection.connected' }),
  ev({ type: 'xstate.after.authTimeout.connection.registering' }),
  ev({ type: 'xstate.after.tokenExpiry.connection.authenticated' }),
  ev({ type: 'xstate.after.closeGrace.connection.revoked' }),
  { type: 'message', data: { hi: 1 }, id: 2 },
  { type: 'authenticated_message', data: { text: 'yo' }, id: 3 },
  { type: 'ping_manual', data: { t: 5 }, id: 4 },
  { type: 'debug_connection', data: undefined, id: 5 },
  { type: 'INVALID', message: 'bad', id: 6 },
  { type: 'REVOKE', code: 'token_revoked' },
  { type: 'REVOKE', code: 'session_replaced' },
  { type: 'disconnect', data: { reason: 'bye' }, id: undefined },
  { type: 'FLOOD' },
  { type: 'SHUTDOWN' },
  { type: 'SOCKET_CLOSED', code: 1006, reason: 'gone' },
];

// The traversal is pure: the expiry guard reads this clock, set past every token's expiry.
const modelEnv = { clock: { now: () => (alice.exp + 10 * TTL_S) * 1000 }, authTimeoutMs: AUTH_MS };
const serializeState = (s: { value: unknown; context: ConnectionContext }): string =>
  JSON.stringify([s.value, s.context.session?.jti ?? null, s.context.pending !== null, s.context.failure?.code ?? null, s.context.closing?.code ?? null]);

interface Deferred {
  resolve(s: Session): void;
  reject(e: unknown): void;
}

function harness(session?: Session) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const effects: Effect[] = [];
  let verification: Deferred | undefined;
  const logic = connectionMachine.provide({
    actions: {
      greet: (_, p) => void effects.push({ kind: 'greet', data: p }),
      reply: (_, p) => void effects.push({ kind: 'reply', ...p }),
      noReply: (_, p) => void effects.push({ kind: 'noReply', ...p }),
      push: (_, p) => void effects.push({ kind: 'push', ...p }),
      farewell: (_, p) => void effects.push({ kind: 'farewell', ...p }),
      close: (_, p) => void effects.push({ kind: 'close', ...p }),
      sessionStarted: () => void effects.push({ kind: 'sessionStarted' }),
      sessionRefreshed: (_, p) => void effects.push({ kind: 'sessionRefreshed', from: p.previous.jti, to: p.next.jti }),
      publishMessage: (_, p) => void effects.push({ kind: 'publish', id: p.frame.id }),
      sendOnlineUsers: (_, p) => void effects.push({ kind: 'onlineUsers', id: p.id }),
      checkConnections: (_, p) => void effects.push({ kind: 'check', id: p.id }),
      connectionClosed: () => void effects.push({ kind: 'connectionClosed' }),
    },
    actors: {
      verifyToken: fromPromise<Session, { token: string; username: string }>(
        () => new Promise<Session>((resolve, reject) => (verification = { resolve, reject })),
      ),
    },
  });
  const input: ConnectionInput = { sid: 'sid-1', port, connectedAt: T0, env: { clock, authTimeoutMs: AUTH_MS }, ...(session ? { session } : {}) };
  const actor = createActor(logic, { input, clock });
  actor.start();
  const settle = () => new Promise<void>((r) => setImmediate(r));

  async function exec(event: ConnectionEvent): Promise<void> {
    const type = event.type as string;
    const e = event as unknown as { output?: Session; error?: unknown };
    if (type.startsWith('xstate.done.actor.')) {
      assert.ok(verification, 'a verification is in flight');
      verification.resolve(e.output as Session);
      return settle();
    }
    if (type.startsWith('xstate.error.actor.')) {
      assert.ok(verification, 'a verification is in flight');
      verification.reject(e.error);
      return settle();
    }
    if (type.startsWith('xstate.after.authTimeout')) return clock.increment(T0 + AUTH_MS - clock.now());
    if (type.startsWith('xstate.after.tokenExpiry')) {
      const exp = actor.getSnapshot().context.session?.exp ?? 0;
      return clock.increment(exp * 1000 - clock.now());
    }
    if (type.startsWith('xstate.after.closeGrace')) return clock.increment(1_000);
    actor.send(event);
  }
  return { actor, effects, exec, clock };
}

const sent = (effects: Effect[], event: string) =>
  effects.filter((e): e is Extract<Effect, { kind: 'reply' }> => e.kind === 'reply' && e.event === event);
const farewells = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { kind: 'farewell' }> => e.kind === 'farewell');
const closes = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { kind: 'close' }> => e.kind === 'close');
const count = (effects: Effect[], kind: Effect['kind']) => effects.filter((e) => e.kind === kind).length;

/** What must hold in each state, given the model's context for the same path. */
function assertState(h: ReturnType<typeof harness>, model: ConnectionContext, value: string, path: string): void {
  const real = h.actor.getSnapshot();
  assert.equal(real.value, value, `${path}: state`);
  assert.deepEqual(real.context.session, model.session, `${path}: session`);
  assert.deepEqual(real.context.failure?.code ?? null, model.failure?.code ?? null, `${path}: failure`);
  const first = h.effects[0];
  assert.ok(first?.kind === 'greet', `${path}: connect is the first frame`);
  assert.deepEqual(first.data, { sid: 'sid-1', state: 'connected', server_time: T0 });
  assert.ok(count(h.effects, 'sessionStarted') <= 1, `${path}: authenticated once`);
  switch (value) {
    case 'connected':
    case 'registering':
      assert.equal(closes(h.effects).length, 0, `${path}: open`);
      assert.equal(count(h.effects, 'sessionStarted'), 0);
      break;
    case 'authenticated': {
      assert.equal(closes(h.effects).length, 0, `${path}: open`);
      assert.equal(count(h.effects, 'sessionStarted'), 1, `${path}: hub told once`);
      const refreshed = count(h.effects, 'sessionRefreshed');
      const ok = sent(h.effects, 'response').filter((r) => (r.data as { ok: boolean }).ok);
      const fromUpgrade = ok.length === refreshed;
      if (!fromUpgrade) assert.deepEqual(ok[0], { kind: 'reply', event: 'response', id: 11, data: { ok: true, code: 'registered', message: 'User registered', username: 'alice', user_id: 1 } });
      if (refreshed > 0) assert.equal((ok.at(-1)?.data as { code: string }).code, 'token_refreshed');
      break;
    }
    case 'revoked': {
      const code = model.failure?.code as ErrorCode;
      const closeCode = closeCodeOf(code);
      const tail = h.effects.slice(-3);
      assert.deepEqual(tail[0], { kind: 'reply', event: 'response', id: model.failure?.id, data: { ok: false, code, message: ERRORS[code].message } }, path);
      assert.deepEqual(tail[1], { kind: 'farewell', code: closeCode, reason: ERRORS[code].message }, path);
      assert.deepEqual(tail[2], { kind: 'close', code: closeCode, reason: ERRORS[code].message }, path);
      break;
    }
    case 'closed': {
      assert.equal(real.status, 'done', `${path}: final`);
      assert.equal(count(h.effects, 'connectionClosed'), 1, `${path}: hub told once`);
      assert.ok(closes(h.effects).length <= 1, `${path}: closed at most once`);
      assert.deepEqual(real.context.closing, model.closing, `${path}: close cause`);
      const closing = real.context.closing;
      assert.ok(closing !== null);
      if (closing.code !== 1006) assert.equal(closes(h.effects)[0]?.code, closing.code, `${path}: closed with the recorded code`);
      if ([4000, 4008, 1001].includes(closing.code)) {
        assert.equal(farewells(h.effects)[0]?.code, closing.code, `${path}: disconnect announced`);
      }
      break;
    }
    default:
      assert.fail(`unknown state ${value}`);
  }
}

async function runAllPaths(session?: Session): Promise<string[]> {
  const input: ConnectionInput = { sid: 'sid-1', port, connectedAt: T0, env: modelEnv, ...(session ? { session } : {}) };
  const paths = getShortestPaths(connectionMachine, { events: EVENTS, input, serializeState });
  const covered: string[] = [];
  for (const path of paths) {
    const h = harness(session);
    const names = path.steps.map((s) => s.event.type).join(' → ');
    for (const step of path.steps) {
      if ((step.event.type as string) !== 'xstate.init') await h.exec(step.event);
      assertState(h, step.state.context, String(step.state.value), names);
    }
    covered.push(serializeState(path.state));
  }
  return covered;
}

describe('connection machine, model-based', () => {
  test('every shortest path from a fresh connection', async () => {
    const covered = await runAllPaths();
    const states = new Set(covered.map((c) => (JSON.parse(c) as [string])[0]));
    assert.deepEqual([...states].sort(), ['authenticated', 'closed', 'connected', 'registering', 'revoked']);
    // Each failure and each close cause is its own target: the walk must have reached them all.
    for (const code of ['username_mismatch', 'token_revoked', 'session_replaced', 'token_expired', 'invalid_token']) {
      assert.ok(covered.some((c) => c.includes(`"${code}"`)), `reached a failure ${code}`);
    }
    for (const code of [1000, 1001, 1006, 4000, 4008, 4001, 4002, 4003, 4004]) {
      assert.ok(covered.some((c) => c.endsWith(`,${code}]`)), `reached a close with ${code}`);
    }
  });

  test('every shortest path from a connection authenticated at upgrade', async () => {
    const covered = await runAllPaths(alice);
    assert.ok(covered.length >= 8);
  });
});

describe('connection machine, behaviours', () => {
  test('a session given at upgrade starts authenticated and runs the authenticated effects', () => {
    const h = harness(alice);
    assert.equal(h.actor.getSnapshot().value, 'authenticated');
    assert.deepEqual(h.effects.map((e) => e.kind), ['greet', 'sessionStarted']);
  });

  test('the auth timeout counts from connect across registering', async () => {
    const h = harness();
    h.clock.increment(AUTH_MS - 5_000);
    h.actor.send({ type: 'register_user', data: { token: 't', username: 'alice' }, id: 1 });
    h.clock.increment(4_999);
    assert.equal(h.actor.getSnapshot().value, 'registering');
    h.clock.increment(1);
    assert.equal(h.actor.getSnapshot().value, 'closed');
    assert.deepEqual(farewells(h.effects)[0], { kind: 'farewell', code: 4000, reason: 'Authentication timeout' });
  });

  test('expiry fires at the expiry instant without the client speaking', () => {
    const h = harness(alice);
    h.clock.increment(alice.exp * 1000 - T0 - 1);
    assert.equal(h.actor.getSnapshot().value, 'authenticated');
    h.clock.increment(1);
    assert.equal(h.actor.getSnapshot().value, 'revoked');
    assert.deepEqual(closes(h.effects), [{ kind: 'close', code: 4002, reason: 'Token has expired!' }]);
  });

  test('an expiry beyond setTimeout range re-arms instead of firing early', () => {
    const far: Session = { ...alice, exp: T0 / 1000 + 40 * 86_400 };
    const h = harness(far);
    h.clock.increment(2 ** 31 - 1);
    assert.equal(h.actor.getSnapshot().value, 'authenticated');
    assert.equal(count(h.effects, 'sessionStarted'), 1, 're-arming is not a new authentication');
    h.clock.increment(far.exp * 1000 - h.clock.now());
    assert.equal(h.actor.getSnapshot().value, 'revoked');
  });

  test('refresh swaps the token and restarts the expiry timer', async () => {
    const h = harness(alice);
    h.actor.send({ type: 'register_user', data: { token: 'new', username: 'alice' }, id: 8 });
    await h.exec(ev({ type: 'xstate.done.actor.refresh', output: aliceNew }));
    assert.deepEqual(h.effects.find((e) => e.kind === 'sessionRefreshed'), { kind: 'sessionRefreshed', from: 'jti-a1', to: 'jti-a2' });
    h.clock.increment(alice.exp * 1000 - T0);
    assert.equal(h.actor.getSnapshot().value, 'authenticated', 'old expiry no longer applies');
    h.clock.increment((aliceNew.exp - alice.exp) * 1000);
    assert.equal(h.actor.getSnapshot().value, 'revoked');
  });

  test('a second register_user while one is verifying is an invalid message', () => {
    const h = harness();
    h.actor.send({ type: 'register_user', data: { token: 't', username: 'alice' }, id: 1 });
    h.actor.send({ type: 'register_user', data: { token: 't', username: 'alice' }, id: 2 });
    const r = sent(h.effects, 'response').at(-1);
    assert.equal(r?.id, 2);
    assert.equal((r?.data as { code: string }).code, 'invalid_message');
    assert.equal(h.actor.getSnapshot().value, 'registering');
  });

  test('direct replies carry the request id; before auth authenticated_message is refused', () => {
    const h = harness();
    h.actor.send({ type: 'message', data: [1], id: 21 });
    h.actor.send({ type: 'ping_manual', data: { t: 'abc' }, id: 22 });
    h.actor.send({ type: 'authenticated_message', data: { text: 'x' }, id: 23 });
    h.actor.send({ type: 'debug_connection', data: undefined, id: 24 });
    assert.deepEqual(sent(h.effects, 'message')[0], { kind: 'reply', event: 'message', id: 21, data: { from: null, data: [1] } });
    assert.deepEqual(sent(h.effects, 'pong_manual')[0]?.data, { t: 'abc', server_time: T0 });
    assert.deepEqual(sent(h.effects, 'response')[0], {
      kind: 'reply',
      event: 'response',
      id: 23,
      data: { ok: false, code: 'not_authenticated', message: 'Not authenticated' },
    });
    assert.deepEqual(sent(h.effects, 'debug_connection')[0]?.data, {
      sid: 'sid-1',
      state: 'connected',
      username: null,
      user_id: null,
      connected_at: T0,
      token_expires_at: null,
      remote_address: '203.0.113.9',
      transport: 'websocket',
    });
  });

  test('a revoked connection closes after the grace even if the transport never confirms', () => {
    const h = harness(alice);
    h.actor.send({ type: 'REVOKE', code: 'token_revoked' });
    assert.equal(h.actor.getSnapshot().value, 'revoked');
    h.clock.increment(999);
    assert.equal(h.actor.getSnapshot().value, 'revoked');
    h.clock.increment(1);
    assert.equal(h.actor.getSnapshot().value, 'closed');
    assert.deepEqual(h.actor.getSnapshot().context.closing, { code: 4001, reason: 'Token has been revoked!' });
  });

  test('describeMachine is generated from the definition', () => {
    const d = describeMachine();
    assert.equal(d.id, 'connection');
    assert.equal(d.initial, 'connected');
    assert.deepEqual(Object.keys(d.states), ['connected', 'registering', 'authenticated', 'revoked', 'closed']);
    assert.equal(d.states.closed?.type, 'final');
    assert.deepEqual(d.states.connected?.on.register_user, ['registering']);
    assert.deepEqual(d.states.authenticated?.on.REVOKE, ['revoked']);
    assert.deepEqual(d.states.registering?.invoke, [{ id: 'verify', src: 'verifyToken' }]);
    assert.deepEqual(d.states.authenticated?.after.map((a) => a.delay), ['tokenExpiry', 'tokenExpiry']);
    assert.deepEqual(d.on.SOCKET_CLOSED, ['closed']);
    assert.doesNotThrow(() => JSON.stringify(d));
  });
});
