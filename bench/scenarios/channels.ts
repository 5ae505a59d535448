// Scenario 8: channel fan-out. N connections subscribe to one channel (`room:bench`); one
// publication at a time gives the time from publish to the last subscriber, and a burst
// from a few subscribed publishers gives deliveries per second and per server CPU-second.

import type { ChanCollectResult, ChanSendResult, ChanSubscribeResult } from '../loadgen/messages.js';
import type { Peer } from '../lib/peers.js';
import { clientUtilisation, cpuMeter, sleep, type Ctx } from './context.js';

/** A `room` channel: any user may subscribe, subscribers may publish (so publishers are subscribed). */
export const FANOUT_CHANNEL = 'room:bench';
/** Publications one publisher sends in a burst: well under Beacon's 100 frames/s per socket. */
export const PER_PUBLISHER = 40;
/** A step whose generator used more of its core than this also measures the generator. */
const CLIENT_BOUND = 0.85;

export interface ChannelFanoutFigures {
  subscribers: number;
  /** Seconds to subscribe the connections not yet subscribed (answers awaited, 64 at a time per worker). */
  subscribeSeconds: number;
  /** Median and worst time from a single publish to its last delivery, ms. */
  lastP50: number;
  lastMax: number;
  /** The burst: publications, how many subscribed publishers sent them, and the deliveries. */
  publications: number;
  publishers: number;
  deliveries: number;
  deliveriesPerSecond: number;
  deliveriesPerCpuSecond: number;
  serverCpu: number;
  serverThreads: Record<string, number>;
  clientCpu: number;
  /** Deliveries that never came, over the single publications and the burst. */
  lost: number;
  /** Publishes answered with a refusal instead of `published`. */
  refused: number;
  firstRefusal?: string;
  clientBound: boolean;
}

let nextGroup = 1_000_000; // apart from the broadcast scenario's groups

interface Round {
  ms: number;
  received: number;
  expected: number;
  refused: number;
  firstRefusal: string | undefined;
  publishers: number;
  clientCpu: number;
}

async function publishRound(ctx: Ctx, burst: number): Promise<Round> {
  const group = nextGroup++;
  const collecting = ctx.workers.all<ChanCollectResult>((i) => ({
    cmd: 'chanCollect',
    channel: FANOUT_CHANNEL,
    group,
    expectedPerConn: burst,
    expectedAcks: i === 0 ? burst : 0,
    timeoutMs: 30_000,
  }));
  const sent = await ctx.workers.call<ChanSendResult>(0, { cmd: 'chanSend', channel: FANOUT_CHANNEL, group, burst, perSender: PER_PUBLISHER });
  const rs = await collecting;
  return {
    ms: Math.max(...rs.map((r) => r.last)) - sent.t0,
    received: rs.reduce((a, r) => a + r.received, 0),
    expected: rs.reduce((a, r) => a + r.expected, 0),
    refused: rs.reduce((a, r) => a + r.refused, 0),
    firstRefusal: rs.find((r) => r.firstRefusal !== undefined)?.firstRefusal,
    publishers: sent.publishers,
    clientCpu: clientUtilisation(rs),
  };
}

/** Subscribes `subscribers` connections in all (they must be open), then measures. */
export async function channelFanout(ctx: Ctx, peer: Peer, subscribers: number): Promise<ChannelFanoutFigures> {
  const { opts } = ctx;
  const w = ctx.workers.size;
  const t0 = performance.now();
  const subs = await ctx.workers.all<ChanSubscribeResult>((i) => ({
    cmd: 'chanSubscribe',
    channel: FANOUT_CHANNEL,
    count: Math.floor(subscribers / w) + (i < subscribers % w ? 1 : 0),
    concurrency: 64,
    timeoutMs: 15_000,
  }));
  const subscribeSeconds = (performance.now() - t0) / 1000;
  const total = subs.reduce((a, r) => a + r.subscribed, 0);
  ctx.log(`    ${total} subscribed to ${FANOUT_CHANNEL} in ${subscribeSeconds.toFixed(1)} s`);
  await sleep(300); // join/presence pushes of the subscribe storm settle before timing

  let lost = 0;
  let refused = 0;
  let firstRefusal: string | undefined;
  const tally = (r: Round): void => {
    lost += r.expected - r.received;
    refused += r.refused;
    firstRefusal ??= r.firstRefusal;
  };
  const warm = await publishRound(ctx, 1);
  if (warm.received === 0) throw new Error(`no publication delivered to ${warm.expected} subscribers${warm.firstRefusal === undefined ? '' : `; publish refused: ${warm.firstRefusal}`}`);
  const times: number[] = [];
  for (let i = 0; i < opts.fanoutReps; i++) {
    const r = await publishRound(ctx, 1);
    tally(r);
    times.push(r.ms);
    await sleep(50);
  }
  times.sort((a, b) => a - b);
  const publications = Math.ceil(opts.fanoutDeliveries / total);
  const meter = cpuMeter(peer);
  const burst = await publishRound(ctx, publications);
  const server = meter.stop();
  tally(burst);
  return {
    subscribers: total,
    subscribeSeconds,
    lastP50: round(times[Math.floor(times.length / 2)] ?? NaN),
    lastMax: round(times[times.length - 1] ?? NaN),
    publications,
    publishers: burst.publishers,
    deliveries: burst.received,
    deliveriesPerSecond: burst.received / (burst.ms / 1000),
    deliveriesPerCpuSecond: burst.received / server.cpuSeconds,
    serverCpu: server.utilisation,
    serverThreads: server.byThread,
    clientCpu: burst.clientCpu,
    lost,
    refused,
    ...(firstRefusal === undefined ? {} : { firstRefusal }),
    clientBound: burst.clientCpu > CLIENT_BOUND,
  };
}

const round = (x: number): number => Math.round(x * 100) / 100;
