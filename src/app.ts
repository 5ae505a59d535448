// The composition root: builds every part from the config (logs, store, hash pool, token
// signer, auth service, HTTP server), starts them in order and stops them in reverse.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuthService, type AuthService } from './auth/service.js';
import { createPasswordHasher, type PasswordHasherOptions } from './auth/passwords.js';
import { createTokenSigner } from './auth/tokens.js';
import { randomIds, systemClock, type Clock, type IdSource } from './clock.js';
import { configWarnings, resolveJwtKey, type Config } from './config/index.js';
import { BLACKLIST_PRUNE_INTERVAL_MS, SHUTDOWN_GRACE_MS } from './constants.js';
import { createMetrics } from './http/metrics.js';
import { createRoutes } from './http/routes.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { staticRoutes } from './http/static.js';
import { resolveTls } from './http/tls.js';
import { createLoggers, type Loggers } from './log.js';
import { createHub, describeMachine, type Hub } from './actors/index.js';
import { mountWebSocket, uwsBroadcaster } from './http/ws.js';
import { composeBroadcasters, createSocketIoServer, serveSocketIo, socketIoBroadcaster } from './http/socketio.js';
import type { TemplatedApp } from 'uWebSockets.js';
import { describeLogHolder, openEventStore, type EventStore } from './store/index.js';
import { listenUrls } from './listenUrls.js';

export const VERSION = '0.1.0';
const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

export interface BeaconOptions {
  config: Config;
  clock?: Clock;
  ids?: IdSource;
  /** Listen on ephemeral ports instead of the configured ones (tests). */
  ephemeralPorts?: boolean;
  hasher?: PasswordHasherOptions;
  loggers?: Loggers;
}

export interface Beacon {
  readonly config: Config;
  readonly httpPort: number | undefined;
  readonly httpsPort: number | undefined;
  readonly store: EventStore;
  readonly auth: AuthService;
  readonly loggers: Loggers;
  readonly hub: Hub;
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
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const loggers =
    options.loggers ?? createLoggers({ dir: config.LOG_DIR, level: config.LOG_LEVEL, stdout: config.LOG_STDOUT });
  const log = loggers.app;

  for (const warning of configWarnings(config)) log.warn(warning);
  const jwt = resolveJwtKey(config);
  if (jwt.source === 'generated') {
    log.warn({ dataDir: config.DATA_DIR }, 'no JWT_SECRET_KEY given: generated a random key into DATA_DIR (set one for production)');
  }
  const tls = config.HTTPS_PORT === 0 && options.ephemeralPorts !== true ? undefined : await resolveTls({
    certFile: config.TLS_CERT_FILE,
    keyFile: config.TLS_KEY_FILE,
    dataDir: config.DATA_DIR,
  });
  if (tls?.generated === true) log.warn({ certFile: tls.certFile }, 'generated a self-signed TLS certificate for localhost');

  const store = openEventStore({
    path: join(config.DATA_DIR, 'beacon.db'),
    clock,
    onError: (err) => log.error({ err }, 'event log commit failed'),
  });
  const hasher = createPasswordHasher({ workers: config.HASH_WORKERS, ...options.hasher });
  const auth = createAuthService({
    store,
    hasher,
    signer: createTokenSigner(jwt.key, clock),
    clock,
    ids,
    tokenTtlSeconds: config.TOKEN_TTL_SECONDS,
    logger: loggers.auth,
  });
  const pruned = store.pruneBlacklist();

  let apps: readonly TemplatedApp[] = [];
  const io = createSocketIoServer();
  const hub = createHub({
    // Presence and messages reach /ws and Socket.IO clients alike, serialised once per protocol.
    broadcaster: composeBroadcasters(uwsBroadcaster(() => apps), socketIoBroadcaster(io)),
    append: (events) => {
      store.append(events).catch((err: unknown) => loggers.websocket.error({ err }, 'connection event not recorded'));
    },
    verifier: { verify: (token) => auth.authenticate(token) },
    clock,
    authTimeoutMs: config.AUTH_TIMEOUT_SECONDS * 1000,
    logger: loggers.websocket,
  });
  store.subscribe((events) => hub.onCommitted(events));

  let phase: 'starting' | 'ready' | 'draining' = 'starting';
  const metrics = createMetrics({
    logins: () => ({ ok: auth.metrics.loginsOk, failed: auth.metrics.loginsFailed, throttled: auth.metrics.loginsThrottled }),
    hashQueue: () => ({ queued: hasher.queueDepth(), busy: hasher.busy() }),
    eventLog: () => store.stats(),
    connections: () => hub.size,
  });
  const routes = createRoutes({
    auth,
    onlineUserIds: () => new Set(hub.presence().users.map((u) => u.user_id)),
    inspect: config.INSPECT ? { machine: () => describeMachine(), actors: () => hub.snapshot() } : undefined,
    health: () => {
      if (phase !== 'ready') return { ok: false, status: phase };
      return store.healthy() ? { ok: true, status: 'ok' } : { ok: false, status: 'unhealthy' };
    },
    metricsText: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    web: staticRoutes(WEB_DIR),
  });

  const port = (configured: number): number | undefined => (options.ephemeralPorts === true ? 0 : configured === 0 ? undefined : configured);
  const sockets = {
    hub,
    ids,
    authenticate: (token: string) => auth.authenticate(token),
    allowedOrigins: config.ALLOWED_ORIGINS,
    trustedProxies: config.TRUSTED_PROXIES,
    logger: loggers.websocket,
    now: () => clock.now(),
    idleTimeoutSeconds: config.WS_IDLE_TIMEOUT_SECONDS,
  };
  const socketIo = serveSocketIo(io, sockets);
  const http: HttpServer = await startHttpServer({
    host: config.HOST,
    httpPort: port(config.HTTP_PORT),
    httpsPort: tls === undefined ? undefined : port(config.HTTPS_PORT),
    tls,
    trustedProxies: config.TRUSTED_PROXIES,
    routes,
    logger: loggers.app,
    accepting: () => phase === 'ready',
    onRequest: (route, method, status) => metrics.httpRequest(route, method, status),
    mount: (app) => {
      mountWebSocket(app, sockets);
      socketIo.mount(app);
    },
  });
  apps = http.apps;

  await store.append([{ type: 'ServerStarted', data: { pid: process.pid, version: VERSION } }]);
  const sweeper = setInterval(() => {
    auth.sweep().catch((err: unknown) => log.error({ err }, 'token sweep failed'));
  }, BLACKLIST_PRUNE_INTERVAL_MS);
  sweeper.unref();
  // A second server or the importer refused on this DATA_DIR names where this one answers.
  describeLogHolder(join(config.DATA_DIR, 'beacon.db'), listenUrls(config.HOST, http));
  phase = 'ready';
  log.info(
    { httpPort: http.httpPort, httpsPort: http.httpsPort, host: config.HOST, jwtKey: jwt.source, prunedRevocations: pruned, version: VERSION },
    'beacon ready',
  );

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stop'): Promise<void> => {
    stopping ??= (async () => {
      phase = 'draining';
      log.info({ reason, inFlight: http.inFlight() }, 'draining');
      clearInterval(sweeper);
      http.stopListening();
      await hub.shutdown();
      await socketIo.close();
      // In-flight requests finish (their events commit) before the store closes, within a bound.
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([http.idle(), new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
      clearTimeout(graceTimer);
      await hasher.close();
      await store.close();
      log.info({ reason }, 'stopped');
      if (options.loggers === undefined) await loggers.close();
    })();
    return stopping;
  };

  return {
    config,
    get httpPort() {
      return http.httpPort;
    },
    get httpsPort() {
      return http.httpsPort;
    },
    store,
    auth,
    loggers,
    hub,
    stop,
    async reloadTls() {
      if (http.httpsPort === undefined) return void log.warn('TLS reload asked for, but HTTPS is off');
      try {
        const files = await resolveTls({ certFile: config.TLS_CERT_FILE, keyFile: config.TLS_KEY_FILE, dataDir: config.DATA_DIR });
        await http.reloadTls(files);
      } catch (err) {
        log.error({ err }, 'TLS reload failed: still serving the previous certificate');
        throw err;
      }
    },
  };
}
