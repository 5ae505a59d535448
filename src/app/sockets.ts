// The realtime side: the bus and the channel history (shared.ts: in-process and SQLite, or
// Redis), the channel service over them, the hub of connection actors following the log's
// commits, and the /ws and Socket.IO endpoints mounted on every HTTP app. Topic broadcasts
// reach the transports once their apps exist (attach).

import type { TemplatedApp } from 'uWebSockets.js';
import { createChannelService, type ChannelHistory, type ChannelService } from '../channels/index.js';
import { createHub, type Hub } from '../actors/index.js';
import { openShared, type Shared } from './shared.js';
import { composeBroadcasters, createSocketIoServer, mountWebSocket, serveSocketIo, socketIoBroadcaster, uwsBroadcaster } from '../transports/index.js';
import type { Bus } from '../ports/index.js';
import type { Closers } from './closers.js';
import type { Core } from './core.js';

export interface Sockets {
  readonly bus: Bus;
  /** Redis, when this node is part of a cluster (health and metrics read it). */
  readonly redis: Shared['redis'];
  readonly hub: Hub;
  /** Channels: what the hub's router and the admin API publish and read through. */
  readonly channels: ChannelService;
  /** Mounts /ws and /socket.io/ on an app before it listens. */
  mount(app: TemplatedApp): void;
  /** Sends the bus's topic broadcasts to the live apps' sockets and to Socket.IO rooms. */
  attach(apps: () => readonly TemplatedApp[]): void;
}

export async function buildSockets(core: Core, closers: Closers, opts: { wrapHistory?: (h: ChannelHistory) => ChannelHistory } = {}): Promise<Sockets> {
  const { config, clock, loggers, store, auth } = core;
  const shared = await openShared(core);
  const { bus, history } = shared;
  const channels = createChannelService({
    history: opts.wrapHistory?.(history) ?? history,
    namespaces: config.CHANNEL_NAMESPACES,
    historyPublishes: shared.historyPublishes,
    bus,
    memberships: () => store.projections().memberships,
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) },
    ...(shared.keptByNamespace === undefined ? {} : { keptByNamespace: shared.keptByNamespace }),
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
    redis: shared.redis,
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
