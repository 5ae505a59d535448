// The realtime side: the bus (in-process), the channel service over its history (SQLite,
// DATA_DIR/channels.db), the hub of connection actors following the log's commits, and the
// /ws and Socket.IO endpoints mounted on every HTTP app. Topic broadcasts reach the
// transports once their apps exist (attach).

import { join } from 'node:path';
import type { TemplatedApp } from 'uWebSockets.js';
import { CHANNELS_DB_FILE, createChannelService, openSqliteHistory, type ChannelHistory, type ChannelService } from '../channels/index.js';
import { createHub, type Hub } from '../actors/index.js';
import { createInProcessBus } from '../bus/index.js';
import { composeBroadcasters, createSocketIoServer, mountWebSocket, serveSocketIo, socketIoBroadcaster, uwsBroadcaster } from '../transports/index.js';
import type { Bus } from '../ports/index.js';
import type { Closers } from './closers.js';
import type { Core } from './core.js';

export interface Sockets {
  readonly bus: Bus;
  readonly hub: Hub;
  /** Channels: what the hub's router and the admin API publish and read through. */
  readonly channels: ChannelService;
  /** Mounts /ws and /socket.io/ on an app before it listens. */
  mount(app: TemplatedApp): void;
  /** Sends the bus's topic broadcasts to the live apps' sockets and to Socket.IO rooms. */
  attach(apps: () => readonly TemplatedApp[]): void;
}

export function buildSockets(core: Core, closers: Closers, opts: { wrapHistory?: (h: ChannelHistory) => ChannelHistory; refreshGraceMs?: number } = {}): Sockets {
  const { config, clock, loggers, store, auth } = core;
  const bus = createInProcessBus({ onError: (err) => loggers.websocket.warn({ err }, 'bus listener failed') });
  const history = openSqliteHistory({
    path: join(config.DATA_DIR, CHANNELS_DB_FILE),
    clock,
    onError: (err) => loggers.websocket.error({ err }, 'channel history failed'),
  });
  const channels = createChannelService({
    history: opts.wrapHistory?.(history) ?? history,
    namespaces: config.CHANNEL_NAMESPACES,
    bus,
    memberships: () => store.projections().memberships,
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) },
    keptByNamespace: () => history.keptByNamespace(),
  });
  const hub = createHub({
    bus,
    channels,
    // Directed messages reach any registered user: the users projection knows them all.
    users: { idOf: (username) => store.projections().users.byName.get(username)?.userId },
    append: (events) => {
      store.append(events).catch((err: unknown) => loggers.websocket.error({ err }, 'connection event not recorded'));
    },
    verifier: auth,
    clock,
    authTimeoutMs: config.AUTH_TIMEOUT_SECONDS * 1000,
    logger: loggers.websocket,
    // The inspector's per-connection history is shown to operators only: kept when they can ask.
    recordTransitions: core.adminKey !== undefined && config.INSPECT,
    ...(opts.refreshGraceMs === undefined ? {} : { refreshGraceMs: opts.refreshGraceMs }),
  });
  const unfollow = store.subscribe((events) => hub.onCommitted(events));
  const io = createSocketIoServer();
  const endpoint = {
    hub,
    ids: core.ids,
    verifier: auth,
    allowedOrigins: config.ALLOWED_ORIGINS,
    trustedProxies: config.TRUSTED_PROXIES,
    logger: loggers.websocket,
    now: () => clock.now(),
    idleTimeoutSeconds: config.WS_IDLE_TIMEOUT_SECONDS,
  };
  const socketIo = serveSocketIo(io, endpoint);
  closers.add({
    name: 'sockets',
    // Clients hear 1001 while the HTTP side drains; the bus stays until in-flight work is done.
    quiesce: async () => {
      await hub.shutdown();
      await socketIo.close();
    },
    close: async () => {
      unfollow();
      // Publishes still in flight are written before the history closes.
      await channels.close();
      await bus.close();
    },
  });
  return {
    bus,
    hub,
    channels,
    mount(app) {
      mountWebSocket(app, endpoint);
      socketIo.mount(app);
    },
    attach(apps) {
      // Serialised once per protocol, for /ws and Socket.IO clients alike.
      const broadcaster = composeBroadcasters(uwsBroadcaster(apps), socketIoBroadcaster(io));
      bus.listen({ topic: (topic, event, data) => broadcaster.publish(topic, event, data) });
    },
  };
}
