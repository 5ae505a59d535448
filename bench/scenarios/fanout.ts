// Scenario 4: one `authenticated_message` delivered to every one of N authenticated
// connections (sender included). Single messages give the time to the last recipient; a
// burst gives deliveries per second and per server CPU-second.

import type { FanoutCollectResult, FanoutSendResult } from '../loadgen/messages.js';
import type { Peer } from '../lib/peers.js';
import { cpuMeter, sleep, type Ctx } from './context.js';

export interface FanoutFigures {
  connections: number;
  /** Median and worst time from send to the last recipient, single messages, ms. */
  lastP50: number;
  lastMax: number;
  /** Burst: deliveries per second, and per server CPU-second. */
  deliveriesPerSecond: number;
  deliveriesPerCpuSecond: number;
  lost: number;
}

let nextGroup = 1;

/** Messages one sender sends in a burst: well under Beacon's 100 frames/s per socket. */
const PER_SENDER = 40;

async function broadcast(ctx: Ctx, burst: number): Promise<{ ms: number; received: number; expected: number }> {
  const group = nextGroup++;
  const collecting = ctx.workers.all<FanoutCollectResult>({ cmd: 'fanoutCollect', group, expectedPerConn: burst, timeoutMs: 30_000 });
  const sent = await ctx.workers.call<FanoutSendResult>(0, { cmd: 'fanoutSend', group, burst, perSender: PER_SENDER });
  const rs = await collecting;
  const last = Math.max(...rs.map((r) => r.last));
  return { ms: last - sent.t0, received: rs.reduce((a, r) => a + r.received, 0), expected: rs.reduce((a, r) => a + r.expected, 0) };
}

export async function fanout(ctx: Ctx, peer: Peer, connections: number): Promise<FanoutFigures> {
  const { opts } = ctx;
  await broadcast(ctx, 1); // warm-up
  const times: number[] = [];
  let lost = 0;
  for (let i = 0; i < opts.fanoutReps; i++) {
    const r = await broadcast(ctx, 1);
    times.push(r.ms);
    lost += r.expected - r.received;
    await sleep(50);
  }
  times.sort((a, b) => a - b);
  // Enough deliveries for the server's CPU time to be read precisely.
  const meter = cpuMeter(peer);
  const burst = await broadcast(ctx, Math.ceil(opts.fanoutDeliveries / connections));
  const server = meter.stop();
  lost += burst.expected - burst.received;
  return {
    connections,
    lastP50: round(times[Math.floor(times.length / 2)] ?? NaN),
    lastMax: round(times[times.length - 1] ?? NaN),
    deliveriesPerSecond: burst.received / (burst.ms / 1000),
    deliveriesPerCpuSecond: burst.received / server.cpuSeconds,
    lost,
  };
}

const round = (x: number): number => Math.round(x * 100) / 100;
