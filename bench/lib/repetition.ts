// One repetition of the run: every peer freshly started in turn (Beacon, Socket.IO, raw uWS),
// each through every scenario it supports, then the cluster's setups and the event log, on a
// data directory of its own, so no repetition inherits another's users, store or garbage.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from './options.js';
import { PEER_LABELS, startPeer, type Peer, type PeerKind } from './peers.js';
import type { PeerResults, RepResults } from './results.js';
import { handshakes, memory } from '../scenarios/connections.js';
import { connectStorm } from '../scenarios/connstorm.js';
import { closeAllConns, openSpread, type Ctx } from '../scenarios/context.js';
import { echoLadder, loginStorm, saturate } from '../scenarios/echo.js';
import { eventLog } from '../scenarios/eventlog.js';
import { channelFanout } from '../scenarios/channels.js';
import { runCluster } from '../scenarios/clusterRun.js';
import { fanout } from '../scenarios/fanout.js';
import { HISTORY_CHANNEL, NO_HISTORY_CHANNEL, publishLoad } from '../scenarios/history.js';

export interface RepEnv {
  ctx: Ctx;
  /** The run's temporary directory; each repetition works under `rep<N>` in it. */
  dataDir: string;
  /** Peers running now, stopped on Ctrl-C. */
  live: Set<Peer>;
  /** A planned step starts: progress line, and machine load counted under `scenario`. */
  mark(rep: number, who: string, id: string, scenario: string): void;
}

export async function runRepetition(env: RepEnv, rep: number): Promise<RepResults> {
  const { ctx, live } = env;
  const { opts, log } = ctx;
  const dataDir = join(env.dataDir, `rep${rep}`);
  const mark = (who: string, id: string, scenario: string): void => env.mark(rep, who, id, scenario);
  const want = (s: Scenario): boolean => opts.scenarios.has(s);
  const results: RepResults = { peers: {} };

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
    const who = PEER_LABELS[kind];
    mark(who, 'start', 'start');
    log(`${PEER_LABELS[kind]}: starting (rep ${rep})`);
    let peer: Peer;
    try {
      const nodeArgs = kind === 'beacon' && opts.cpuProfDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
      const env = {
        ...(opts.heapSnapshotDir === undefined ? {} : { BENCH_HEAP_SNAPSHOTS: join(opts.heapSnapshotDir, `${kind}-rep${rep}`) }),
        ...(opts.diagDir === undefined ? {} : { BENCH_DIAG_FILE: join(opts.diagDir, `${kind}-rep${rep}.jsonl`) }),
      };
      peer = await startPeer(kind, { users: opts.users, stormUsers: opts.stormUsers, dataDir, nodeArgs, env });
      live.add(peer);
    } catch (err) {
      res.errors.push(`start: ${(err as Error).message}`);
      log(`  FAILED to start: ${(err as Error).message}`);
      return;
    }
    try {
      // Memory first, on the fresh process, so earlier scenarios' garbage does not blur it.
      if (want('memory')) mark(who, 'memory', 'memory');
      if (want('memory')) res.memory = await step(res, `memory (${opts.memConns} idle connections)`, () => memory(ctx, peer));
      if (want('handshake')) mark(who, 'handshake', 'handshake');
      if (want('handshake')) res.handshake = await step(res, 'handshakes', () => handshakes(ctx, peer, peer.target));
      // Beacon's history loop runs on its own process (runBeaconHistory); the peers' on this one.
      const needConns = want('echo') || want('saturate') || want('storm') || want('fanout') || want('channels') || (want('history') && kind !== 'beacon');
      if (want('echo')) mark(who, 'echo', 'echo');
      // Sockets that failed to open are not a figure: they mark the scenarios that use them.
      const openFailed = (scenarios: string[], o: { opened: number; failed: number; firstError?: string }): void => {
        if (o.failed > 0) for (const scenario of scenarios) (res.openFailures ??= []).push({ scenario, message: `${o.failed} of ${o.opened + o.failed} connections failed to open (${o.firstError ?? 'no error text'})` });
      };
      const opened = needConns ? await step(res, `open ${opts.echoConns} connections`, () => openSpread(ctx, peer.target, peer.creds, opts.echoConns)) : undefined;
      if (opened !== undefined) openFailed(['echo', 'saturate', 'storm'], opened);
      if (opened !== undefined) {
        if (want('echo')) res.echo = await step(res, 'echo ladder', () => echoLadder(ctx, peer, opts.echoRates));
        if (want('saturate')) mark(who, 'saturate', 'saturate');
        if (want('saturate')) res.saturate = await step(res, 'saturated echo', () => saturate(ctx, peer, 1));
        if (want('storm') && kind === 'beacon') mark(who, 'storm', 'storm');
        if (want('storm') && kind === 'beacon') res.storm = await step(res, 'login storm', () => loginStorm(ctx, peer));
        // Larger connection counts next, in increasing order, opening only what is missing.
        let open = opened.opened;
        const ensure = async (n: number, scenario: string): Promise<number> => {
          if (n > open) {
            const o = await openSpread(ctx, peer.target, peer.creds, n - open);
            openFailed([scenario], o);
            open += o.opened;
          }
          return open;
        };
        const tasks: Array<{ conns: number; run: () => Promise<void> }> = [];
        if (want('fanout')) {
          res.fanout = [];
          for (const n of opts.fanoutSizes) {
            tasks.push({
              conns: n,
              run: async () => {
                mark(who, `fanout ${n}`, 'fanout');
                const f = await step(res, `fan-out to ${n}`, async () => fanout(ctx, peer, await ensure(n, 'fanout')));
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
                mark(who, `channels ${n}`, 'channels');
                const f = await step(res, `channel fan-out to ${n} subscribers of one channel`, async () => channelFanout(ctx, peer, Math.min(n, await ensure(n, 'channels'))));
                if (f !== undefined) res.channels?.push(f);
              },
            });
          }
        }
        if (want('saturate')) {
          tasks.push({
            conns: opts.pipelineConns,
            run: async () => {
              mark(who, 'pipelined', 'saturate');
              res.pipelined = await step(res, `saturated echo, ${opts.pipelineDepth} frames per write, ${opts.pipelineConns} connections`, async () => {
                await ensure(opts.pipelineConns, 'saturate');
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
          mark(who, 'history', 'history');
          const h = await step(res, `publish loop (${HISTORY_CHANNEL}, nothing kept)`, async () => {
            await ensure(opts.historyConns, 'history');
            return publishLoad(ctx, peer, HISTORY_CHANNEL, false);
          });
          if (h !== undefined) res.history = [h];
        }
        await closeAllConns(ctx);
      }
      if (want('connstorm') && kind === 'beacon') mark(who, 'connect storm', 'connstorm');
      if (want('connstorm') && kind === 'beacon') res.connstorm = await step(res, `connect storm (${opts.memConns} sockets)`, () => connectStorm(ctx, peer));
      if (want('tls') && kind === 'beacon' && peer.tlsTarget !== undefined) mark(who, 'tls', 'tls');
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
    mark(PEER_LABELS.beacon, 'history (own process)', 'history');
    log(`${PEER_LABELS.beacon}: starting a second process for publish with history`);
    const channelsFile = fileURLToPath(new URL('../peers/channels.json', import.meta.url));
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
          if (!open) {
          const o = await openSpread(ctx, peer.target, peer.creds, opts.historyConns);
          if (o.failed > 0) (res.openFailures ??= []).push({ scenario: 'history', message: `${o.failed} of ${opts.historyConns} publishers failed to open (${o.firstError ?? 'no error text'})` });
        }
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
  // Scenarios that start servers of their own (the cluster's, the event log's) need no peer here.
  const perPeer = [...opts.scenarios].some((s) => s !== 'cluster' && s !== 'eventlog');
  for (const kind of perPeer ? opts.peers : []) {
    await runPeer(kind);
    if (kind === 'beacon' && want('history')) await runBeaconHistory();
  }
  if (want('cluster')) {
    mark('cluster setups', 'cluster', 'cluster');
    results.cluster = {};
    await runCluster(ctx, dataDir, opts.peers, results.cluster, (p) => live.add(p), (p) => live.delete(p));
  }
  if (want('eventlog')) {
    mark('event log', 'eventlog', 'eventlog');
    log('event log appends');
    try {
      results.eventlog = await eventLog(ctx);
    } catch (err) {
      log(`  FAILED: ${(err as Error).message}`);
    }
  }
  return results;
}
