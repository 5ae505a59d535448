// The composition root: builds the core (config, logs, event log, projections, auth), the
// sockets (bus, hub, /ws, Socket.IO), then the HTTP routes, each part adding itself to one
// list of closers; stopping walks that list backwards (src/app/closers.ts).

import type { AuthService } from './auth/service.js';
import type { Config } from './config/index.js';
import { BLACKLIST_PRUNE_INTERVAL_MS } from './constants.js';
import type { Loggers } from './log.js';
import type { Hub } from './actors/index.js';
import type { ChannelHistory, ChannelService } from './channels/index.js';
import type { EventLog, Projections } from './ports/index.js';
import { buildCore, buildSockets, createClosers, startHttp, type CoreOptions, type Phase } from './app/index.js';
import { describeLogHolder } from './store/index.js';
import { listenUrls } from './listenUrls.js';
import { join } from 'node:path';

export const VERSION = '0.1.0';

/** What a start may be given besides the config (clock, ids, ports and loggers for tests). */
export interface BeaconOptions extends CoreOptions {
  /**
   * Wraps the channel history the server uses (tests: a store with latency, as a remote one
   * would have, so that publications land while a subscription is being set up).
   */
  wrapHistory?: (history: ChannelHistory) => ChannelHistory;
}

export interface Beacon {
  readonly config: Config;
  readonly httpPort: number | undefined;
  readonly httpsPort: number | undefined;
  readonly store: EventLog & Projections;
  readonly auth: AuthService;
  readonly loggers: Loggers;
  readonly hub: Hub;
  /** The channel service (publish, list, presence, history, channelsOf): the admin API's way in. */
  readonly channels: ChannelService;
  /** Graceful stop: refuse new work, finish in-flight requests, close the log. Idempotent. */
  stop(reason?: string): Promise<void>;
  /**
   * Re-reads the TLS files (TLS_CERT_FILE/TLS_KEY_FILE, or the generated pair) and serves new
   * HTTPS connections with them; live ones are kept. On failure the old certificate stays,
   * the error is logged, and the promise rejects with it.
   */
  reloadTls(): Promise<void>;
}

export async function startBeacon(options: BeaconOptions): Promise<Beacon> {
  const closers = createClosers();
  let phase: Phase = 'starting';
  const core = await buildCore(options, closers);
  const { config, log, loggers, store, auth } = core;
  const closeAll = () => closers.stopAll((err, name) => log.error({ err, part: name }, 'stopping a part failed'));

  // A start that fails half-way releases what it built (the log above all) before it reports.
  const startParts = async () => {
    const sockets = await buildSockets(core, closers, options.wrapHistory === undefined ? {} : { wrapHistory: options.wrapHistory });
    const http = await startHttp(core, sockets, { phase: () => phase, ephemeralPorts: options.ephemeralPorts === true }, closers);
    sockets.attach(() => http.server.apps);
    await store.append([{ type: 'ServerStarted', data: { pid: process.pid, version: VERSION } }]);
    return { hub: sockets.hub, channels: sockets.channels, http };
  };
  const { hub, channels, http } = await startParts().catch(async (err: unknown) => {
    await closeAll();
    if (core.ownsLoggers) await loggers.close();
    throw err;
  });
  const sweeper = setInterval(() => {
    auth.sweep().catch((err: unknown) => log.error({ err }, 'token sweep failed'));
  }, BLACKLIST_PRUNE_INTERVAL_MS);
  sweeper.unref();
  closers.add({ name: 'token sweep', quiesce: () => clearInterval(sweeper) });
  // A second server or the importer refused on this DATA_DIR names where this one answers.
  describeLogHolder(join(config.DATA_DIR, 'beacon.db'), listenUrls(config.HOST, http.server));
  phase = 'ready';
  const { server } = http;
  log.info(
    { httpPort: server.httpPort, httpsPort: server.httpsPort, host: config.HOST, jwtKey: core.jwtSource, prunedRevocations: core.pruned, version: VERSION },
    'beacon ready',
  );

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stop'): Promise<void> => {
    stopping ??= (async () => {
      phase = 'draining';
      log.info({ reason, inFlight: server.inFlight() }, 'draining');
      await closeAll();
      log.info({ reason }, 'stopped');
      if (core.ownsLoggers) await loggers.close();
    })();
    return stopping;
  };

  return {
    config,
    get httpPort() {
      return server.httpPort;
    },
    get httpsPort() {
      return server.httpsPort;
    },
    store,
    auth,
    loggers,
    hub,
    channels,
    stop,
    reloadTls: () => http.reloadTls(),
  };
}
