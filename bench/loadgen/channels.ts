// The worker's side of the channel scenarios: subscribing its connections to a channel,
// publishing bursts from subscribed connections and counting `publication` deliveries by
// group, and a closed publish loop that times each `published` answer and keeps its offset.

import { createPacer } from './pacer.js';
import { encode, newHistogram } from '../lib/hist.js';
import { nowMs } from '../lib/proc.js';
import type { Frame } from './codec.js';
import type { Conn } from './conn.js';
import type * as M from './messages.js';

type Result<T> = Omit<T, keyof M.Usage>;

/** Connections of this worker subscribed, by channel, in the order they subscribed. */
const subscribed = new Map<string, Set<Conn>>();
const pendingSub = new Map<Conn, { resolve(): void; reject(err: Error): void }>();
/** Deliveries by group (a publication's data is `{g: group}`), and by server within the group. */
const groups = new Map<number, { count: number; first: number; last: number; byBase: Map<string, number> }>();
let acks = 0;
let refused = 0;
let firstRefusal: string | undefined;
/** Set while a publish loop runs: it takes every answer to a publish. */
let loopAnswer: ((conn: Conn, offset: number | undefined, refusal?: string) => void) | undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const describe = (data: { code?: string; message?: string } | null): string => `${data?.code ?? 'no code'}${data?.message === undefined ? '' : ` (${data.message})`}`;

/** Takes the channel frames (true) and leaves the rest to the worker (false). */
export function channelFrame(conn: Conn, frame: Frame): boolean {
  switch (frame.event) {
    case 'publication': {
      const g = (frame.data as { data?: { g?: unknown } } | null)?.data?.g;
      if (typeof g !== 'number') return true;
      const now = nowMs();
      const entry = groups.get(g);
      if (entry === undefined) groups.set(g, { count: 1, first: now, last: now, byBase: new Map([[conn.base, 1]]) });
      else {
        entry.count++;
        entry.last = now;
        entry.byBase.set(conn.base, (entry.byBase.get(conn.base) ?? 0) + 1);
      }
      return true;
    }
    case 'subscribed':
      pendingSub.get(conn)?.resolve();
      return true;
    case 'published': {
      const offset = (frame.data as { offset?: unknown } | null)?.offset;
      if (loopAnswer !== undefined) loopAnswer(conn, typeof offset === 'number' ? offset : undefined);
      else acks++;
      return true;
    }
    case 'response': {
      const data = frame.data as { ok?: boolean; code?: string; message?: string } | null;
      if (data?.ok !== false) return false;
      const pending = pendingSub.get(conn);
      if (pending !== undefined) pending.reject(new Error(`subscribe refused: ${describe(data)}`));
      else if (loopAnswer !== undefined) loopAnswer(conn, undefined, describe(data));
      else {
        refused++;
        firstRefusal ??= describe(data);
      }
      return true;
    }
    default:
      return false;
  }
}

function subscribeOne(conn: Conn, channel: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      pendingSub.delete(conn);
      if (err === undefined) resolve();
      else reject(err);
    };
    const timer = setTimeout(() => done(new Error(`no answer to subscribe ${channel} within ${timeoutMs} ms`)), timeoutMs);
    pendingSub.set(conn, { resolve: () => done(), reject: (err) => done(err) });
    conn.send('subscribe', { channel });
  });
}

/** Subscribes live connections (not yet subscribed) until `count` of this worker's are. */
export async function subscribeConns(conns: readonly Conn[], c: Extract<M.Command, { cmd: 'chanSubscribe' }>): Promise<Result<M.ChanSubscribeResult>> {
  const set = subscribed.get(c.channel) ?? new Set<Conn>();
  subscribed.set(c.channel, set);
  for (const conn of set) if (conn.closed) set.delete(conn);
  const todo = conns.filter((k) => !k.closed && !set.has(k)).slice(0, Math.max(0, c.count - set.size));
  if (set.size + todo.length < c.count) throw new Error(`only ${set.size + todo.length} open connections for ${c.count} subscribers`);
  let next = 0;
  const slot = async (): Promise<void> => {
    while (next < todo.length) {
      const conn = todo[next++] as Conn;
      await subscribeOne(conn, c.channel, c.timeoutMs);
      set.add(conn);
    }
  };
  await Promise.all(Array.from({ length: Math.min(c.concurrency, todo.length) }, slot));
  return { subscribed: set.size };
}

/** Forgets every subscription (the connections were closed). */
export function forgetSubscriptions(): void {
  subscribed.clear();
}

const live = (channel: string): Conn[] => [...(subscribed.get(channel) ?? [])].filter((k) => !k.closed);

/**
 * `burst` publications from subscribed connections, at most `perSender` each, all at once; or,
 * with `from` and `gapMs`, from one subscribed connection to that server, one every `gapMs`
 * (under Beacon's per-socket frame limit), the sending going on after this answers.
 */
export function chanSend(c: Extract<M.Command, { cmd: 'chanSend' }>): M.ChanSendResult {
  const pubs = live(c.channel).filter((k) => c.from === undefined || k.base === c.from);
  if (pubs.length === 0) throw new Error(`no connection subscribed to ${c.channel}${c.from === undefined ? '' : ` on ${c.from}`} to publish from`);
  const t0 = nowMs();
  const publish = (conn: Conn): void => conn.send('publish', { channel: c.channel, data: { g: c.group } });
  if (c.gapMs !== undefined) {
    const publisher = pubs[0] as Conn;
    let sent = 0;
    const tick = (): void => {
      for (const now = nowMs(); sent < c.burst && t0 + sent * (c.gapMs as number) <= now; sent++) publish(publisher);
      if (sent < c.burst) setTimeout(tick, Math.max(0, t0 + sent * (c.gapMs as number) - nowMs()));
    };
    tick();
    return { t0, publishers: 1 };
  }
  for (let i = 0; i < c.burst; i++) publish(pubs[Math.floor(i / c.perSender) % pubs.length] as Conn);
  return { t0, publishers: Math.min(pubs.length, Math.ceil(c.burst / c.perSender)) };
}

export async function chanCollect(c: Extract<M.Command, { cmd: 'chanCollect' }>): Promise<Result<M.ChanCollectResult>> {
  const expected = c.expectedPerConn * live(c.channel).length;
  const deadline = nowMs() + c.timeoutMs;
  while (((groups.get(c.group)?.count ?? 0) < expected || acks + refused < c.expectedAcks) && nowMs() < deadline) await sleep(2);
  const entry = groups.get(c.group) ?? { count: 0, first: NaN, last: NaN, byBase: new Map<string, number>() };
  groups.delete(c.group);
  const subscribers: Record<string, number> = {};
  for (const k of live(c.channel)) subscribers[k.base] = (subscribers[k.base] ?? 0) + 1;
  const byServer = Object.entries(subscribers).map(([base, n]) => ({ base, subscribers: n, received: entry.byBase.get(base) ?? 0 }));
  const out = { received: entry.count, expected, first: entry.first, last: entry.last, acks, refused, byServer, ...(firstRefusal === undefined ? {} : { firstRefusal }) };
  acks = 0;
  refused = 0;
  firstRefusal = undefined;
  return out;
}

/**
 * Closed loop on the first `conns` live connections: each writes `batch` publishes at once,
 * waits for all their answers, and keeps batch × minGapMs between writes (under Beacon's
 * per-socket frame limit whatever the batch).
 */
export async function publishLoad(conns: readonly Conn[], c: Extract<M.Command, { cmd: 'chanPublishLoad' }>): Promise<Result<M.ChanPublishLoadResult>> {
  const pubs = conns.filter((k) => !k.closed).slice(0, c.conns);
  if (pubs.length === 0) throw new Error('no open connections to publish from');
  const hist = newHistogram();
  const offsets: number[] = [];
  let acked = 0;
  let refusedHere = 0;
  let firstRefusalHere: string | undefined;
  let recording = false;
  const gap = c.minGapMs * c.batch;
  const payload = { channel: c.channel, data: { bench: 'history' } };
  const write = (conn: Conn): void => {
    conn.lastSend = nowMs();
    conn.outstanding = c.batch;
    conn.sendBatch('publish', payload, c.batch);
  };
  const mine = new Set(pubs);
  loopAnswer = (conn, offset, refusal) => {
    if (!mine.has(conn)) return;
    const now = nowMs();
    if (offset !== undefined) offsets.push(offset);
    if (refusal !== undefined) {
      refusedHere++;
      firstRefusalHere ??= refusal;
    } else if (recording) {
      acked++;
      hist.recordValue(Math.max(1, Math.round((now - conn.lastSend) * 1000)));
    }
    pacer.answered(conn, now);
  };
  const pacer = createPacer(gap, nowMs, write);
  try {
    for (const conn of pubs) write(conn);
    await sleep(c.warmupMs);
    recording = true;
    const t0 = nowMs();
    await sleep(c.durationMs);
    recording = false;
    const elapsed = nowMs() - t0;
    pacer.stop();
    // Answers still in flight: their offsets belong to the no-gap check.
    const drainUntil = nowMs() + 2_000;
    while (pubs.some((k) => k.outstanding > 0 && !k.closed) && nowMs() < drainUntil) await sleep(5);
    return {
      publishers: pubs.length,
      acked: Math.round((acked * c.durationMs) / elapsed),
      refused: refusedHere,
      ...(firstRefusalHere === undefined ? {} : { firstRefusal: firstRefusalHere }),
      hist: encode(hist),
      offsets,
    };
  } finally {
    pacer.stop();
    loopAnswer = undefined;
  }
}
