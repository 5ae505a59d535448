// Every client request the actor is handed gets exactly one answer for its id, decided by
// the machine and the handle, not by the transport: a reply, or an explicit noReply, or
// (the polite `disconnect`) the close it asks for. Checked in every live state, through the
// hub's real port effects, with a port that records what it is told.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import { createHub } from '../../src/actors/hub.js';
import { createInProcessBus } from '../../src/bus/index.js';
import type { ConnectionHandle } from '../../src/actors/hub.js';
import type { ClientFrame } from '../../src/actors/frames.js';
import type { ConnectionPort, Farewell, Greeting } from '../../src/actors/ports.js';
import { AuthFailure, type Session } from '../../src/auth/session.js';

const T0 = 1_700_000_000_000;
const alice: Session = { username: 'alice', userId: 1, jti: 'jti-a', exp: T0 / 1000 + 3_600 };

type Answer = { kind: 'reply'; event: string; data: unknown } | { kind: 'noReply' };

class AnswerPort implements ConnectionPort {
  readonly transport = 'socket.io' as const;
  readonly remoteAddress = '192.0.2.7';
  readonly answers = new Map<number, Answer[]>();
  readonly pushes: string[] = [];
  closed: number | null = null;
  private answer(id: number, a: Answer): void {
    this.answers.set(id, [...(this.answers.get(id) ?? []), a]);
  }
  greet(_greeting: Greeting): void {}
  reply(event: string, data: unknown, id: number | undefined): boolean {
    if (id === undefined) this.pushes.push(event);
    else this.answer(id, { kind: 'reply', event, data });
    return true;
  }
  noReply(id: number): void {
    this.answer(id, { kind: 'noReply' });
  }
  push(event: string, _data: unknown): boolean {
    this.pushes.push(event);
    return true;
  }
  farewell(_farewell: Farewell): void {}
  close(code: number): void {
    this.closed ??= code;
  }
  subscribe(): void {}
  unsubscribe(): void {}
  isAlive(): boolean {
    return true;
  }
}

/** A verifier whose answers the test hands out: each verify() waits for `release`. */
function setup() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const waiting: Array<(s: Session | AuthFailure) => void> = [];
  const hub = createHub({
    bus: createInProcessBus(),
    users: { idOf: () => undefined },
    append: () => {},
    verifier: {
      verify: () =>
        new Promise<Session>((resolve, reject) => {
          waiting.push((r) => (r instanceof AuthFailure ? reject(r) : resolve(r)));
        }),
    },
    clock,
    authTimeoutMs: 30_000,
    logger: { info: () => {}, warn: () => {} },
    timers: clock,
  });
  const settle = () => new Promise<void>((r) => setImmediate(r));
  const release = async (r: Session | AuthFailure): Promise<void> => {
    const next = waiting.shift();
    assert.ok(next, 'a verification is waiting');
    next(r);
    await settle();
  };
  let n = 0;
  const open = (session?: Session): { port: AnswerPort; handle: ConnectionHandle } => {
    const port = new AnswerPort();
    const handle = hub.open(port, { sid: `sid-${++n}`, ...(session ? { session } : {}) });
    return { port, handle };
  };
  return { open, release };
}

/** Each request of the wire contract that is answered at once, whatever the live state. */
const requests = (id: number): ClientFrame[] => [
  { type: 'message', data: { hi: 1 }, id },
  { type: 'ping_manual', data: { t: 1 }, id: id + 1 },
  { type: 'debug_connection', data: undefined, id: id + 2 },
  { type: 'get_online_users', data: undefined, id: id + 3 },
  { type: 'check_connections', data: undefined, id: id + 4 },
  { type: 'authenticated_message', data: { text: 'yo' }, id: id + 5 },
];

function assertOneAnswer(port: AnswerPort, id: number, what: string): Answer {
  const got = port.answers.get(id) ?? [];
  assert.equal(got.length, 1, `${what}: exactly one answer for id ${id}, got ${JSON.stringify(got)}`);
  return got[0] as Answer;
}

describe('every request with an id is answered exactly once', () => {
  for (const state of ['connected', 'registering', 'authenticated'] as const) {
    test(`in ${state}`, async () => {
      const t = setup();
      const c = t.open(state === 'authenticated' ? alice : undefined);
      if (state === 'registering') c.handle.receive({ type: 'register_user', data: { token: 't', username: 'alice' }, id: 1 });
      assert.equal(c.handle.state, state);
      for (const frame of requests(100)) {
        c.handle.receive(frame);
        const answer = assertOneAnswer(c.port, frame.id as number, `${state} ${frame.type}`);
        // Only a message delivered to others is acknowledged without a reply, and only once authenticated.
        const expected = frame.type === 'authenticated_message' && state === 'authenticated' ? 'noReply' : 'reply';
        assert.equal(answer.kind, expected, `${state} ${frame.type}`);
      }
      c.handle.invalid('Malformed JSON', 200);
      assert.equal(assertOneAnswer(c.port, 200, `${state} invalid`).kind, 'reply');
      assert.equal(c.port.closed, null);
    });
  }

  test('register_user is answered once its token check ends, success or failure', async () => {
    const t = setup();
    const ok = t.open();
    ok.handle.receive({ type: 'register_user', data: { token: 't', username: 'alice' }, id: 7 });
    assert.equal(ok.port.answers.get(7), undefined, 'nothing until the check ends');
    await t.release(alice);
    assert.deepEqual((assertOneAnswer(ok.port, 7, 'registered') as { data: { code: string } }).data.code, 'registered');

    const bad = t.open();
    bad.handle.receive({ type: 'register_user', data: { token: 'x', username: 'alice' }, id: 8 });
    await t.release(new AuthFailure('token_revoked'));
    assert.deepEqual((assertOneAnswer(bad.port, 8, 'refused') as { data: { code: string } }).data.code, 'token_revoked');
  });

  test('a refresh is answered once; a second one while it runs is answered at once', async () => {
    const t = setup();
    const c = t.open(alice);
    c.handle.receive({ type: 'register_user', data: { token: 'new', username: 'alice' }, id: 9 });
    c.handle.receive({ type: 'register_user', data: { token: 'new', username: 'alice' }, id: 10 });
    assert.equal(assertOneAnswer(c.port, 10, 'busy').kind, 'reply');
    assert.equal(c.port.answers.get(9), undefined);
    await t.release({ ...alice, jti: 'jti-b' });
    assert.deepEqual((assertOneAnswer(c.port, 9, 'refreshed') as { data: { code: string } }).data.code, 'token_refreshed');
  });

  test('disconnect is answered by the close it asks for, nothing else', () => {
    const t = setup();
    const c = t.open(alice);
    c.handle.receive({ type: 'disconnect', data: { reason: 'bye' }, id: 11 });
    assert.equal(c.port.closed, 1000);
    assert.equal(c.port.answers.get(11), undefined);
  });
});
