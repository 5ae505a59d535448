// Scenario 2 (open-loop echo at fixed rates over 1,000 connections), scenario 3 (saturated
// closed-loop echo: messages per server CPU-second) and scenario 6 (logins through the hash
// pool, and the echo p99 of other connections during that storm against none).

import type { EchoResult, SaturateResult } from '../loadgen/messages.js';
import { merge, newHistogram, summarize, type Latency } from '../lib/hist.js';
import { login, type Peer } from '../lib/peers.js';
import { nowMs } from '../lib/proc.js';
import { clientUtilisation, cpuMeter, sleep, type Ctx } from './context.js';

/** p99 under this holds a rate (issue 5). */
export const P99_BOUND_MS = 10;

export interface EchoStep extends Latency {
  rate: number;
  achieved: number;
  sent: number;
  received: number;
  serviceP99: number;
  serverCpu: number;
  clientCpu: number;
  sendLagMs: number;
  /** The generator itself was near its limit: figures at this step measure it too. */
  clientBound: boolean;
}

export async function echoStep(ctx: Ctx, peer: Peer, rate: number, durationMs = ctx.opts.stepMs): Promise<EchoStep> {
  const w = ctx.workers.size;
  const meter = cpuMeter(peer);
  const rs = await ctx.workers.all<EchoResult>({ cmd: 'echo', rate: rate / w, durationMs, warmupMs: ctx.opts.warmupMs, drainMs: 3_000 });
  const server = meter.stop();
  const lat = summarize(merge(rs.map((r) => r.hist)));
  const sent = rs.reduce((a, r) => a + r.sent, 0);
  const received = rs.reduce((a, r) => a + r.received, 0);
  const clientCpu = clientUtilisation(rs);
  const sendLagMs = Math.max(...rs.map((r) => r.maxSendLagMs));
  return {
    rate,
    ...lat,
    achieved: (received / sent) * rate,
    sent,
    received,
    serviceP99: summarize(merge(rs.map((r) => r.serviceHist))).p99,
    serverCpu: server.utilisation,
    clientCpu,
    sendLagMs,
    clientBound: clientCpu > 0.85 || sendLagMs > 20,
  };
}

export interface Ladder {
  steps: EchoStep[];
  /** Highest offered rate with p99 under P99_BOUND_MS and (almost) nothing lost. */
  heldRate: number;
}

export async function echoLadder(ctx: Ctx, peer: Peer, rates: readonly number[]): Promise<Ladder> {
  const steps: EchoStep[] = [];
  for (const rate of rates) {
    const step = await echoStep(ctx, peer, rate);
    steps.push(step);
    ctx.log(`    ${rate}/s: p50 ${step.p50} p99 ${step.p99} p999 ${step.p999} ms, server ${pct(step.serverCpu)}, client ${pct(step.clientCpu)}`);
    // Past saturation every step only queues more: stop climbing.
    if (step.p99 > 500 || step.received < 0.9 * step.sent) break;
  }
  const held = steps.filter((s) => s.p99 < P99_BOUND_MS && s.received >= 0.99 * s.sent);
  return { steps, heldRate: held.length === 0 ? 0 : Math.max(...held.map((s) => s.rate)) };
}

export interface SaturateFigures extends Latency {
  batch: number;
  perSecond: number;
  serverCpuSeconds: number;
  serverCpu: number;
  serverThreads: Record<string, number>;
  perCpuSecond: number;
  clientCpu: number;
}

/** Closed loop; `batch` pings per write per connection (1: one frame per syscall; more: pipelined). */
export async function saturate(ctx: Ctx, peer: Peer, batch: number): Promise<SaturateFigures> {
  const { opts } = ctx;
  const running = ctx.workers.all<SaturateResult>({ cmd: 'saturate', durationMs: opts.saturateMs, warmupMs: opts.warmupMs, minGapMs: opts.saturateGapMs, batch });
  // The server's CPU is read over the workers' recording window (warm-up excluded).
  await sleep(opts.warmupMs);
  const meter = cpuMeter(peer);
  await sleep(opts.saturateMs);
  const server = meter.stop();
  const rs = await running;
  const received = rs.reduce((a, r) => a + r.received, 0);
  return {
    ...summarize(merge(rs.map((r) => r.hist))),
    batch,
    perSecond: received / (opts.saturateMs / 1000),
    serverCpuSeconds: server.cpuSeconds,
    serverCpu: server.utilisation,
    serverThreads: server.byThread,
    perCpuSecond: received / server.cpuSeconds,
    clientCpu: clientUtilisation(rs),
  };
}

export interface StormFigures {
  loginsPerSecond: number;
  logins: number;
  refused: number;
  login: Latency;
  echoRate: number;
  calm: EchoStep;
  storm: EchoStep;
}

export async function loginStorm(ctx: Ctx, peer: Peer): Promise<StormFigures> {
  const { opts } = ctx;
  const calm = await echoStep(ctx, peer, opts.stormEchoRate, opts.stormMs);
  const hist = newHistogram();
  let ok = 0;
  let refused = 0;
  let counting = false;
  let stop = false;
  const loops = peer.stormUsers.map(async (user) => {
    while (!stop) {
      const t0 = nowMs();
      const status = await login(peer.httpBase, user);
      if (!counting) continue;
      if (status === 200) {
        ok++;
        hist.recordValue(Math.max(1, Math.round((nowMs() - t0) * 1000)));
      } else refused++;
    }
  });
  await sleep(500); // the hash queue fills before the echo starts
  counting = true;
  const t0 = nowMs();
  const storm = await echoStep(ctx, peer, opts.stormEchoRate, opts.stormMs);
  const seconds = (nowMs() - t0) / 1000;
  counting = false;
  stop = true;
  await Promise.all(loops);
  return { loginsPerSecond: ok / seconds, logins: ok, refused, login: summarize(hist), echoRate: opts.stormEchoRate, calm, storm };
}

export const pct = (x: number): string => `${Math.round(x * 100)}%`;
