// `npm run bench [-- --quick] [--peers=beacon,socketio,uws] [--only=echo,fanout,...] [--cpu-prof=dir]`:
// starts each peer pinned to core 0 and the load generators on core 1, runs every scenario
// against every peer that supports it, and writes results/latest.{md,json} and latency.svg.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latencyChart } from './lib/chart.js';
import { parseOptions, type Scenario } from './lib/options.js';
import { PEER_LABELS, startPeer, type Peer, type PeerKind } from './lib/peers.js';
import { fileLimits, nowMs, pinning, pinSelf } from './lib/proc.js';
import { markdown } from './lib/report.js';
import { judgeTargets, type PeerResults, type Results } from './lib/results.js';
import { Workers } from './lib/workers.js';
import { handshakes, memory } from './scenarios/connections.js';
import { closeAllConns, openSpread, type Ctx } from './scenarios/context.js';
import { echoLadder, loginStorm, saturate } from './scenarios/echo.js';
import { eventLog } from './scenarios/eventlog.js';
import { channelFanout } from './scenarios/channels.js';
import { runCluster } from './scenarios/clusterRun.js';
import { fanout } from './scenarios/fanout.js';
import { HISTORY_CHANNEL, NO_HISTORY_CHANNEL, publishLoad } from './scenarios/history.js';

const opts = parseOptions(process.argv.slice(2));
const started = nowMs();
const log = (line: string): void => void process.stdout.write(`[${((nowMs() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
pinSelf();
const limits = fileLimits();
if (limits.hard < opts.memConns + 1_000) log(`warning: open-files hard limit ${limits.hard} is below ${opts.memConns + 1_000}; the memory scenario may fail`);

const results: Results = {
  date: new Date().toISOString(),
  mode: opts.quick ? 'quick' : 'full',
  machine: {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: pinning.cores,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    pinned: pinning.available ? 'server core 0, load generator core 1 (taskset)' : 'no (taskset missing or one core)',
    loadAverageAtStart: loadavg()[0]?.toFixed(2) ?? 'n/a',
  },
  seconds: 0,
  peers: {},
  targets: [],
};

// Children are stopped on Ctrl-C too (workers exit when their IPC channel closes).
const live = new Set<Peer>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping peers`);
    void Promise.all([...live].map((p) => p.proc.stop())).finally(() => process.exit(130));
  });
}

const ctx: Ctx = { opts, workers: await Workers.start(opts.workers), log };
const dataDir = mkdtempSync(join(tmpdir(), 'beacon-bench-'));
const want = (s: Scenario): boolean => opts.scenarios.has(s);

/** Runs one scenario; a failure is recorded and the run goes on with a clean slate. */
async function step<T>(res: PeerResults, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  log(`  ${name}`);
  try {
    return await fn();
  } catch (err) {
    const msg = `${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    res.errors.push(msg);
    log(`    FAILED ${msg}`);
    await closeAllConns(ctx).catch(() => undefined);
    return undefined;
  }
}

async function runPeer(kind: PeerKind): Promise<void> {
  const res: PeerResults = { label: PEER_LABELS[kind], errors: [] };
  results.peers[kind] = res;
  log(`${PEER_LABELS[kind]}: starting`);
  let peer: Peer;
  try {
    const nodeArgs = kind === 'beacon' && opts.cpuProfDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
    peer = await startPeer(kind, { users: opts.users, stormUsers: opts.stormUsers, dataDir, nodeArgs });
    live.add(peer);
  } catch (err) {
    res.errors.push(`start: ${(err as Error).message}`);
    log(`  FAILED to start: ${(err as Error).message}`);
    return;
  }
  try {
    // Memory first, on the fresh process, so earlier scenarios' garbage does not blur it.
    if (want('memory')) res.memory = await step(res, `memory (${opts.memConns} idle connections)`, () => memory(ctx, peer));
    if (want('handshake')) res.handshake = await step(res, 'handshakes', () => handshakes(ctx, peer, peer.target));
    // Beacon's history loop runs on its own process (runBeaconHistory); the peers' on this one.
    const needConns = want('echo') || want('saturate') || want('storm') || want('fanout') || want('channels') || (want('history') && kind !== 'beacon');
    const opened = needConns ? await step(res, `open ${opts.echoConns} connections`, () => openSpread(ctx, peer.target, peer.creds, opts.echoConns)) : undefined;
    if (opened !== undefined) {
      if (want('echo')) res.echo = await step(res, 'echo ladder', () => echoLadder(ctx, peer, opts.echoRates));
      if (want('saturate')) res.saturate = await step(res, 'saturated echo', () => saturate(ctx, peer, 1));
      if (want('storm') && kind === 'beacon') res.storm = await step(res, 'login storm', () => loginStorm(ctx, peer));
      // Larger connection counts next, in increasing order, opening only what is missing.
      let open = opened.opened;
      const ensure = async (n: number): Promise<number> => {
        if (n > open) open += (await openSpread(ctx, peer.target, peer.creds, n - open)).opened;
        return open;
      };
      const tasks: Array<{ conns: number; run: () => Promise<void> }> = [];
      if (want('fanout')) {
        res.fanout = [];
        for (const n of opts.fanoutSizes) {
          tasks.push({
            conns: n,
            run: async () => {
              const f = await step(res, `fan-out to ${n}`, async () => fanout(ctx, peer, await ensure(n)));
              if (f !== undefined) res.fanout?.push(f);
            },
          });
        }
      }
      if (want('channels')) {
        res.channels = [];
        for (const n of opts.fanoutSizes) {
          tasks.push({
            conns: n,
            run: async () => {
              const f = await step(res, `channel fan-out to ${n} subscribers of one channel`, async () => channelFanout(ctx, peer, Math.min(n, await ensure(n))));
              if (f !== undefined) res.channels?.push(f);
            },
          });
        }
      }
      if (want('saturate')) {
        tasks.push({
          conns: opts.pipelineConns,
          run: async () => {
            res.pipelined = await step(res, `saturated echo, ${opts.pipelineDepth} frames per write, ${opts.pipelineConns} connections`, async () => {
              await ensure(opts.pipelineConns);
              return saturate(ctx, peer, opts.pipelineDepth);
            });
          },
        });
      }
      for (const task of tasks.sort((a, b) => a.conns - b.conns)) {
        const errors = res.errors.length;
        await task.run();
        // A failed step closed every connection (step's clean slate): the next one reopens.
        if (res.errors.length > errors) open = 0;
      }
      if (want('history') && kind !== 'beacon') {
        const h = await step(res, `publish loop (${HISTORY_CHANNEL}, nothing kept)`, async () => {
          await ensure(opts.historyConns);
          return publishLoad(ctx, peer, HISTORY_CHANNEL, false);
        });
        if (h !== undefined) res.history = [h];
      }
      await closeAllConns(ctx);
    }
    if (want('tls') && kind === 'beacon' && peer.tlsTarget !== undefined) await runTls(peer, peer.tlsTarget);
  } finally {
    await closeAllConns(ctx).catch(() => undefined);
    await peer.proc.stop();
    live.delete(peer);
  }
}

/**
 * Publish with history on a Beacon of its own: a fresh store, and the bench's CHANNELS_FILE
 * (the built-in namespaces plus `hist`, history kept, and `nohist`, none kept).
 */
async function runBeaconHistory(): Promise<void> {
  const res = results.peers.beacon ?? { label: PEER_LABELS.beacon, errors: [] };
  results.peers.beacon = res;
  log(`${PEER_LABELS.beacon}: starting a second process for publish with history`);
  const channelsFile = fileURLToPath(new URL('./peers/channels.json', import.meta.url));
  let peer: Peer;
  try {
    peer = await startPeer('beacon', { users: 4, stormUsers: 0, dataDir: join(dataDir, 'history'), env: { CHANNELS_FILE: channelsFile } });
    live.add(peer);
  } catch (err) {
    res.errors.push(`publish with history: start: ${(err as Error).message.split('\n')[0]}`);
    log(`  FAILED to start: ${(err as Error).message}`);
    return;
  }
  try {
    res.history = [];
    let open = false;
    for (const [channel, keeps] of [[HISTORY_CHANNEL, true], [NO_HISTORY_CHANNEL, false]] as const) {
      const h = await step(res, `publish ${keeps ? 'with' : 'without'} history (${channel}, ${opts.historyConns} publishers)`, async () => {
        if (!open) await openSpread(ctx, peer.target, peer.creds, opts.historyConns);
        open = true;
        return publishLoad(ctx, peer, channel, keeps);
      });
      if (h !== undefined) res.history.push(h);
      else open = false; // the failed step closed every connection
    }
  } finally {
    await closeAllConns(ctx).catch(() => undefined);
    await peer.proc.stop();
    live.delete(peer);
  }
}

async function runTls(peer: Peer, target: NonNullable<Peer['tlsTarget']>): Promise<void> {
  const res: PeerResults = { label: PEER_LABELS['beacon-tls'], errors: [] };
  results.peers['beacon-tls'] = res;
  log(`${PEER_LABELS['beacon-tls']} (same process, wss://)`);
  res.handshake = await step(res, 'handshakes', () => handshakes(ctx, peer, target));
  const tlsPeer: Peer = { ...peer, target };
  if ((await step(res, `open ${opts.echoConns} connections`, () => openSpread(ctx, target, peer.creds, opts.echoConns))) !== undefined) {
    res.echo = await step(res, 'echo ladder', () => echoLadder(ctx, tlsPeer, opts.tlsRates));
    res.saturate = await step(res, 'saturated echo', () => saturate(ctx, tlsPeer, 1));
    res.pipelined = await step(res, `saturated echo, ${opts.pipelineDepth} frames per write`, async () => {
      await openSpread(ctx, target, peer.creds, opts.pipelineConns - opts.echoConns);
      return saturate(ctx, tlsPeer, opts.pipelineDepth);
    });
    await closeAllConns(ctx);
  }
}

try {
  // Scenarios that start servers of their own (the cluster's, the event log's) need no peer here.
  const perPeer = [...opts.scenarios].some((s) => s !== 'cluster' && s !== 'eventlog');
  for (const kind of perPeer ? opts.peers : []) {
    await runPeer(kind);
    if (kind === 'beacon' && want('history')) await runBeaconHistory();
  }
  if (want('cluster')) {
    results.cluster = {};
    await runCluster(ctx, dataDir, opts.peers, results.cluster, (p) => live.add(p), (p) => live.delete(p));
  }
  if (want('eventlog')) {
    log('event log appends');
    try {
      results.eventlog = await eventLog(ctx);
    } catch (err) {
      log(`  FAILED: ${(err as Error).message}`);
    }
  }
} finally {
  await ctx.workers.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

results.seconds = (nowMs() - started) / 1000;
results.targets = judgeTargets(results);
mkdirSync(opts.outDir, { recursive: true });
const md = markdown(results);
writeFileSync(join(opts.outDir, 'latest.md'), md);
writeFileSync(join(opts.outDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
const series = (['beacon', 'socketio', 'uws', 'beacon-tls'] as const).flatMap((k) => {
  const steps = results.peers[k]?.echo?.steps;
  return steps === undefined ? [] : [{ label: PEER_LABELS[k], steps }];
});
writeFileSync(join(opts.outDir, 'latency.svg'), latencyChart(series, `Echo latency against rate (${results.mode} run, ${results.date.slice(0, 10)})`));
process.stdout.write('\n' + md.split('\n## 1.')[0] + '\n');
log(`wrote ${opts.outDir}/latest.md, latest.json, latency.svg`);
