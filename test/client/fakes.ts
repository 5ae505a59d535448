// Test doubles for the client's unit tests: a fake clock whose timers run when the test
// moves time, a fake WebSocket the test plays the server through, and unsigned JWTs
// (the client reads claims, only the server verifies signatures).

import { BeaconClient, type ClientOptions, type Timers, type WebSocketLike } from '../../client/src/index.js';

export interface FakeClock extends Timers {
  /** Moves time forward, running every timer that falls due, in order. */
  advance(ms: number): void;
  /** Delays of the timers set so far, in the order they were set. */
  readonly delays: number[];
  pending(): number;
}

export function fakeClock(start = 1_000_000): FakeClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const delays: number[] = [];
  return {
    delays,
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      delays.push(ms);
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers) if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
        if (next === undefined) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
    pending: () => timers.size,
  };
}

export interface SentFrame {
  event: string;
  data?: any;
  id?: number;
}

/** A socket the test drives: `open()`, `receive()`, `serverClose()`; `sent` holds what the client wrote. */
export class FakeSocket implements WebSocketLike {
  static readonly all: FakeSocket[] = [];
  static last(): FakeSocket {
    const socket = FakeSocket.all.at(-1);
    if (socket === undefined) throw new Error('no socket opened');
    return socket;
  }

  readyState = 0;
  readonly #listeners: Array<{ type: string; listener: (event: never) => void }> = [];
  readonly sent: SentFrame[] = [];
  closedWith: { code?: number; reason?: string } | undefined;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  addEventListener(type: 'message' | 'close' | 'error', listener: (event: never) => void): void {
    this.#listeners.push({ type, listener });
  }

  #dispatch(type: string, event: { data: string } | { code: number; reason: string }): void {
    for (const l of this.#listeners) if (l.type === type) (l.listener as (event: unknown) => void)(event);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as SentFrame);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  /** Opens and greets like Beacon: `connect` with the server's clock. */
  open(serverTime = Date.now()): void {
    this.readyState = 1;
    this.receive('connect', { sid: 's1', state: 'connected', server_time: serverTime });
  }

  receive(event: string, data: unknown, id?: number): void {
    this.#dispatch('message', { data: JSON.stringify(id === undefined ? { event, data } : { event, data, id }) });
  }

  /** The last frame sent with this event name. */
  lastSent(event: string): SentFrame {
    const frame = this.sent.filter((f) => f.event === event).at(-1);
    if (frame === undefined) throw new Error(`no ${event} sent`);
    return frame;
  }

  /** Answers the last `register_user` as Beacon does. */
  acceptRegistration(code: 'registered' | 'token_refreshed' = 'registered', username = 'alice'): void {
    const frame = this.lastSent('register_user');
    this.receive('response', { ok: true, code, message: code === 'registered' ? 'User registered' : 'Token refreshed', username, user_id: 1 }, frame.id);
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.#dispatch('close', { code, reason });
  }
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned JWT with these claims (seconds for iat/exp). */
export function fakeToken(claims: { username?: string; iat?: number; exp?: number; jti?: string }): string {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ username: 'alice', jti: Math.random().toString(36).slice(2), ...claims })}.sig`;
}

/** Lets pending promise continuations run (getToken, awaited answers). */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const WATCHED = ['state', 'connecting', 'connected', 'authenticated', 'token_refreshed', 'token_expired', 'disconnected', 'subscribed', 'publication', 'unsubscribed', 'error'] as const;
type Watched = (typeof WATCHED)[number];

/** A client on a fake socket and a fake clock, with every event it emits recorded in order. */
export function harness(options: Partial<ClientOptions> = {}) {
  FakeSocket.all.length = 0;
  const clock = fakeClock();
  const events: Array<{ name: Watched; data: any }> = [];
  const client = new BeaconClient({ url: 'ws://beacon.test/ws', WebSocket: FakeSocket, timers: clock, random: () => 0.5, ...options });
  for (const name of WATCHED) client.on(name, (data: unknown) => events.push({ name, data }));
  return {
    client,
    clock,
    events,
    of: (name: Watched): any[] => events.filter((e) => e.name === name).map((e) => e.data),
  };
}

/** Connects a harness client with `token` and answers its registration; returns its socket. */
export async function authenticate(h: ReturnType<typeof harness>, serverTime?: number): Promise<FakeSocket> {
  h.client.connect();
  await settle();
  const socket = FakeSocket.last();
  socket.open(serverTime ?? h.clock.now());
  socket.acceptRegistration();
  await settle();
  return socket;
}
