// The HTTP side: metrics, the REST routes and the web console, served on the configured
// ports with the sockets mounted, and the TLS reload. Only ALWAYS_ON routes answer
// unless the server is ready.

import { fileURLToPath } from 'node:url';
import { describeMachine } from '../actors/index.js';
import { SHUTDOWN_GRACE_MS } from '../constants.js';
import { createMetrics } from '../http/metrics.js';
import { composeRoutes, createRoutes } from '../http/routes.js';
import { buildAdmin } from './admin.js';
import { startHttpServer, type HttpServer } from '../http/server.js';
import { staticRoutes } from '../http/static.js';
import { resolveTls } from '../http/tls.js';
import type { Closers } from './closers.js';
import type { Core } from './core.js';
import type { Sockets } from './sockets.js';
import { startFence, type Fence } from './fence.js';

const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

export type Phase = 'starting' | 'ready' | 'draining';

export interface Http {
  readonly server: HttpServer;
  /** Re-reads the TLS files; on failure the old certificate stays and the promise rejects. */
  reloadTls(): Promise<void>;
}

export async function startHttp(
  core: Core,
  sockets: Sockets,
  opts: { phase(): Phase; ephemeralPorts: boolean },
  closers: Closers,
): Promise<Http> {
  const { config, store, auth, hasher, log } = core;
  const { hub } = sockets;
  const redis = sockets.redis;
  // A cluster node (PostgreSQL and Redis) fences itself when it cannot follow the log.
  const fence: Fence | undefined =
    redis === undefined
      ? undefined
      : startFence({
          node: config.NODE_ID,
          log: store,
          redisHealthy: () => redis.bus.healthy() && redis.history.healthy(),
          hub,
          fenceMs: config.CLUSTER_FENCE_SECONDS * 1000,
        });
  if (fence !== undefined) closers.add({ name: 'fence', quiesce: () => fence.stop() });
  const metrics = createMetrics({
    logins: () => ({ ok: auth.metrics.loginsOk, failed: auth.metrics.loginsFailed, throttled: auth.metrics.loginsThrottled }),
    hashQueue: () => ({ queued: hasher.queueDepth(), busy: hasher.busy() }),
    eventLog: () => store.stats(),
    connections: () => hub.size,
    channels: () => sockets.channels.stats,
    ...(fence === undefined ? {} : { cluster: () => fence.health() }),
  });
  const admin = buildAdmin(core, sockets, metrics);
  const table = createRoutes({
    auth,
    onlineUserIds: () => new Set(hub.presence().users.map((u) => u.user_id)),
    machine: () => describeMachine(),
    inspect:
      config.INSPECT && admin.key !== undefined
        ? { key: admin.key, actors: () => hub.snapshot(), transitions: (sid) => hub.transitionsOf(sid) }
        : undefined,
    health: () => {
      const phase = opts.phase();
      if (fence !== undefined) {
        // Live sockets stay through an outage of either engine: only the fence fails the check
        // (a load balancer would otherwise cut every node's tunnels at once).
        const { node, fenced, logLagMs, postgres, redis: r } = fence.health();
        const status = phase !== 'ready' ? phase : fenced ? 'fenced' : 'ok';
        return { ok: status === 'ok', status, node, postgres, redis: r, log_lag_ms: logLagMs };
      }
      if (phase !== 'ready') return { ok: false, status: phase };
      return store.healthy() ? { ok: true, status: 'ok' } : { ok: false, status: 'unhealthy' };
    },
    metricsText: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    web: staticRoutes(WEB_DIR),
  });
  const routes = composeRoutes(table, admin.routes);

  const port = (configured: number): number | undefined => (opts.ephemeralPorts ? 0 : configured === 0 ? undefined : configured);
  const server = await startHttpServer({
    host: config.HOST,
    httpPort: port(config.HTTP_PORT),
    httpsPort: core.tls === undefined ? undefined : port(config.HTTPS_PORT),
    tls: core.tls,
    trustedProxies: config.TRUSTED_PROXIES,
    routes,
    logger: log,
    // A fenced node takes no new work (its log may be missing a revocation).
    accepting: () => opts.phase() === 'ready' && fence?.fenced !== true,
    onRequest: (route, method, status) => metrics.httpRequest(route, method, status),
    mount: (app) => sockets.mount(app),
  });
  closers.add({
    name: 'http',
    quiesce: () => server.stopListening(),
    // In-flight requests finish (their events commit) before the log closes, within a bound.
    close: async () => {
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([server.idle(), new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
      clearTimeout(graceTimer);
    },
  });

  return {
    server,
    async reloadTls() {
      if (server.httpsPort === undefined) return void log.warn('TLS reload asked for, but HTTPS is off');
      try {
        const files = await resolveTls({ certFile: config.TLS_CERT_FILE, keyFile: config.TLS_KEY_FILE, dataDir: config.DATA_DIR });
        await server.reloadTls(files);
      } catch (err) {
        log.error({ err }, 'TLS reload failed: still serving the previous certificate');
        throw err;
      }
    },
  };
}
