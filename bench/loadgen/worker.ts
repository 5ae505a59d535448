// A load-generator worker process (pinned to the client core by the orchestrator): holds its
// share of the connections and runs one command at a time: open, open-loop echo, closed-loop
// saturation, handshake churn, broadcast send/collect, channel commands (channels.ts),
// cross-node revocation rounds (revoke.ts).

import { createPacer } from './pacer.js';
import { cpuUsage } from 'node:process';
import type { Histogram } from 'hdr-histogram-js';
import { encode, newHistogram } from '../lib/hist.js';
import { nowMs } from '../lib/proc.js';
import type { Frame } from './codec.js';
import { closeAll, connect, Conn } from './conn.js';
import type * as M from './messages.js';
import { runHandshakes } from './handshake.js';
import { revokeRounds } from './revoke.js';
import { chanCollect, chanSend, channelFrame, forgetSubscriptions, publishLoad, subscribeConns } from './channels.js';

let conns: Conn[] = [];

// Echo state: the active run's schedule, indexed by sequence number (the ping's `t`).
let intended = new Float64Array(0);
let sentAt = new Float64Array(0);
let recordFrom = 0;
let echoHist: Histogram = newHistogram();
let serviceHist: Histogram = newHistogram();
let echoReceived = 0;
let onPong: ((conn: Conn, seq: number) => void) | undefined;

// Broadcast deliveries by group (the `text` of authenticated_message is `f:<group>`).
const fanout = new Map<number, { count: number; first: number; last: number }>();

function onFrame(conn: Conn, frame: Frame): void {
  if (frame.event === 'pong_manual') {
    const seq = (frame.data as { t: number }).t;
    onPong?.(conn, seq);
  } else if (frame.event === 'authenticated_message') {
    const text = (frame.data as { text: string | null }).text;
    if (text === null || !text.startsWith('f:')) return;
    const group = Number(text.slice(2));
    const now = nowMs();
    const entry = fanout.get(group);
    if (entry === undefined) fanout.set(group, { count: 1, first: now, last: now });
    else {
      entry.count++;
      entry.last = now;
    }
  } else channelFrame(conn, frame);
}

function usage<T extends object>(start: { cpu: NodeJS.CpuUsage; wall: number }, result: T): T & M.Usage {
  const cpu = cpuUsage(start.cpu);
  return { ...result, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: nowMs() - start.wall };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function open(c: Extract<M.Command, { cmd: 'open' }>): Promise<Omit<M.OpenResult, keyof M.Usage>> {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const deadline = nowMs() + c.deadlineMs;
  const slot = async (): Promise<void> => {
    while (next < c.count) {
      if (nowMs() > deadline) {
        // Bounded in time: what is left is counted as failed.
        failed += c.count - next;
        firstError ??= `not all opened within ${c.deadlineMs} ms`;
        next = c.count;
        break;
      }
      const i = next++;
      const cred = c.creds[i % c.creds.length] as M.Cred;
      try {
        conns.push(await connect(c.target, cred, onFrame));
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(c.concurrency, c.count) }, slot));
  return { opened: c.count - failed, failed, total: conns.length, ...(firstError === undefined ? {} : { firstError }) };
}

async function echo(c: Extract<M.Command, { cmd: 'echo' }>): Promise<Omit<M.EchoResult, keyof M.Usage>> {
  const interval = 1000 / c.rate;
  const total = Math.floor((c.rate * (c.warmupMs + c.durationMs)) / 1000);
  recordFrom = Math.floor((c.rate * c.warmupMs) / 1000);
  intended = new Float64Array(total);
  sentAt = new Float64Array(total);
  echoHist = newHistogram();
  serviceHist = newHistogram();
  echoReceived = 0;
  let maxLag = 0;
  onPong = (_conn, seq) => {
    const now = nowMs();
    echoReceived++;
    if (seq >= recordFrom && seq < total) {
      echoHist.recordValue(Math.max(1, Math.round((now - (intended[seq] as number)) * 1000)));
      serviceHist.recordValue(Math.max(1, Math.round((now - (sentAt[seq] as number)) * 1000)));
    }
  };
  const live = conns.filter((k) => !k.closed);
  if (live.length === 0) throw new Error('no open connections');
  const start = nowMs() + 5;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = nowMs();
      while (next < total && start + next * interval <= now) {
        const due = start + next * interval;
        intended[next] = due;
        sentAt[next] = now;
        if (now - due > maxLag) maxLag = now - due;
        (live[next % live.length] as Conn).send('ping_manual', { t: next });
        next++;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * interval - nowMs()));
    };
    setTimeout(tick, 5);
  });
  const deadline = nowMs() + c.drainMs;
  while (echoReceived < total && nowMs() < deadline) await sleep(5);
  onPong = undefined;
  // Replies that never came count as the longest wait observed (never as fast answers).
  const missing = (total - recordFrom) - (echoHist.totalCount);
  if (missing > 0) echoHist.recordValueWithCount(Math.round((nowMs() - start) * 1000), missing);
  return { sent: total - recordFrom, received: echoHist.totalCount - Math.max(0, missing), hist: encode(echoHist), serviceHist: encode(serviceHist), maxSendLagMs: maxLag };
}

async function saturate(c: Extract<M.Command, { cmd: 'saturate' }>): Promise<Omit<M.SaturateResult, keyof M.Usage>> {
  const hist = newHistogram();
  const live = conns.filter((k) => !k.closed);
  let received = 0;
  let recording = false;
  // Each connection sends `batch` pings in one write, waits for all of them, and keeps at
  // least batch × minGapMs between writes: at most 1000/minGapMs frames per second per socket
  // (Beacon's per-socket limit), whatever the batch.
  const gap = c.minGapMs * c.batch;
  const ping = (conn: Conn): void => {
    conn.lastSend = nowMs();
    conn.outstanding = c.batch;
    conn.sendBatch('ping_manual', { t: 0 }, c.batch);
  };
  onPong = (conn) => {
    const now = nowMs();
    if (recording) {
      received++;
      hist.recordValue(Math.max(1, Math.round((now - conn.lastSend) * 1000)));
    }
    pacer.answered(conn, now);
  };
  const pacer = createPacer(gap, nowMs, ping);
  for (const conn of live) ping(conn);
  await sleep(c.warmupMs);
  recording = true;
  const t0 = nowMs();
  await sleep(c.durationMs);
  recording = false;
  const elapsed = nowMs() - t0;
  pacer.stop();
  await sleep(200);
  onPong = undefined;
  return { received: Math.round((received * c.durationMs) / elapsed), hist: encode(hist) };
}

function fanoutSend(c: Extract<M.Command, { cmd: 'fanoutSend' }>): M.FanoutSendResult {
  const senders = conns.filter((k) => !k.closed);
  if (senders.length === 0) throw new Error('no sender');
  const t0 = nowMs();
  // Spread over several senders so none passes a per-socket frame limit.
  for (let i = 0; i < c.burst; i++) (senders[Math.floor(i / c.perSender) % senders.length] as Conn).send('authenticated_message', { text: `f:${c.group}` });
  return { t0 };
}

async function fanoutCollect(c: Extract<M.Command, { cmd: 'fanoutCollect' }>): Promise<M.FanoutCollectResult> {
  const expected = c.expectedPerConn * conns.filter((k) => !k.closed).length;
  const deadline = nowMs() + c.timeoutMs;
  while ((fanout.get(c.group)?.count ?? 0) < expected && nowMs() < deadline) await sleep(2);
  const entry = fanout.get(c.group) ?? { count: 0, first: NaN, last: NaN };
  fanout.delete(c.group);
  return { received: entry.count, expected, first: entry.first, last: entry.last };
}

async function handle(req: M.Request): Promise<unknown> {
  const start = { cpu: cpuUsage(), wall: nowMs() };
  switch (req.cmd) {
    case 'open':
      return usage(start, await open(req));
    case 'closeAll': {
      const all = conns;
      conns = [];
      forgetSubscriptions();
      await closeAll(all);
      return usage(start, { closed: all.length });
    }
    case 'echo':
      return usage(start, await echo(req));
    case 'count':
      return { open: conns.filter((k) => !k.closed).length } satisfies M.CountResult;
    case 'saturate':
      return usage(start, await saturate(req));
    case 'handshake':
      return usage(start, await runHandshakes(req));
    case 'fanoutSend':
      return fanoutSend(req);
    case 'fanoutCollect':
      return fanoutCollect(req);
    case 'chanSubscribe':
      return usage(start, await subscribeConns(conns, req));
    case 'chanSend':
      return chanSend(req);
    case 'chanCollect':
      return usage(start, await chanCollect(req));
    case 'chanPublishLoad':
      return usage(start, await publishLoad(conns, req));
    case 'revoke':
      return usage(start, await revokeRounds(req));
    default: {
      const unknown: never = req;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

process.on('message', (msg: M.Request) => {
  handle(msg).then(
    (result) => process.send?.({ id: msg.id, ok: true, result } satisfies M.Reply),
    (err: unknown) => process.send?.({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies M.Reply),
  );
});
process.on('disconnect', () => process.exit(0));
process.stdout.write('BENCH_WORKER {}\n');
