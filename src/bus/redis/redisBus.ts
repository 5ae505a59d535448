// The Redis Bus: one node of a cluster. Topic broadcasts and directed messages go over
// Redis pub/sub (this node's own too, so every node sees one topic in one order), on
// channels this node subscribes to only while it has local listeners; presence is kept
// per node in Redis (nodePresence.ts) and heard from the others (clusterView.ts).

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { REDIS_COMMAND_TIMEOUT_MS, REDIS_HEARTBEAT_MS, REDIS_PRESENCE_DEADLINE_MS } from '../../constants.js';
import { systemClock, type Clock } from '../../clock.js';
import { BeaconError } from '../../errors.js';
import { channelTopic, type Publication } from '../../channels/index.js';
import type { BusListener, PresenceChange, SubscriptionChange } from '../../ports/index.js';
import { createChannelPresence } from './channelPresence.js';
import { commandConnection, connectOrFail, reportErrors, subscriberConnection, unavailable } from './connection.js';
import { createClusterView } from './clusterView.js';
import { decodeMessage, encodeMessage, redisKeys } from './keys.js';
import { createNodePresence } from './nodePresence.js';
import { presenceSnapshot } from './presenceLua.js';
import { parseSnapshot } from './presenceWire.js';
import { createSubscriptions } from './subscriptions.js';
import type { RedisBus, RedisBusOptions } from './redisBusTypes.js';

export type { RedisBus, RedisBusOptions, RedisBusStats } from './redisBusTypes.js';

/** What a subscribed pub/sub channel carries: a bus topic, a user's messages, or a channel's publications. */
type Route = { topic: string } | { userId: number } | { channel: string };

export async function createRedisBus(options: RedisBusOptions): Promise<RedisBus> {
  const nodeId = options.nodeId ?? randomUUID();
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const heartbeatMs = options.heartbeatMs ?? REDIS_HEARTBEAT_MS;
  const deadlineMs = options.deadlineMs ?? REDIS_PRESENCE_DEADLINE_MS;
  const keys = redisKeys(options.prefix);
  const cmd = commandConnection(options.url, `beacon:${nodeId}:cmd`);
  const sub = subscriberConnection(options.url, `beacon:${nodeId}:sub`);
  const listeners = new Set<BusListener>();
  const subs = createSubscriptions(sub, logger);
  /** Pub/sub channel -> what it carries, for the channels this node subscribes to. */
  const routes = new Map<string, Route>();
  const connectionTopics = options.connectionTopics ?? [];
  let closed = false;

  const each = (fn: (l: BusListener) => void): void => {
    for (const listener of listeners) {
      try {
        fn(listener);
      } catch (err) {
        logger.warn({ err }, 'bus listener failed');
      }
    }
  };
  const toPresence = (change: PresenceChange): void => each((l) => l.presence?.(change));
  const toTopic = (topic: string, event: string, data: unknown): void => each((l) => l.topic?.(topic, event, data));
  const toSubscription = (change: SubscriptionChange): void => each((l) => l.subscription?.(change));
  const channels = createChannelPresence({ cmd, sub, keys, nodeId, logger, emit: toSubscription });

  const view = createClusterView({
    nodeId,
    clock,
    graceMs: deadlineMs,
    emit: (change) => {
      // A connection of another node gone (closed, or its node reaped): its subscriptions too.
      if (change.type === 'ConnectionClosed') channels.connectionLost(change.data.sid);
      toPresence(change);
    },
    onBad: (raw) => logger.warn({ raw }, 'malformed presence entry ignored'),
    onGap: () => {
      logger.warn({ nodeId }, 'presence changes were lost; re-reading the cluster presence');
      void rebase();
    },
  });
  const counters = { published: 0, received: 0, refused: 0, reaped: 0, rebases: 0 };
  const presence = createNodePresence({
    cmd,
    keys,
    nodeId,
    deadlineMs,
    logger,
    onReaped: (n) => void (counters.reaped += n),
    onSynced: () => void channels.sync(),
  });

  // ---- health
  /** Since when the command connection has been up without a break (reaping waits a deadline). */
  let connectedSince: number | undefined;
  let lastHealthy = false;
  const healthy = (): boolean => !closed && cmd.status === 'ready' && sub.status === 'ready' && presence.registered && view.synced;
  const checkHealth = (): void => {
    const now = healthy();
    if (now === lastHealthy) return;
    lastHealthy = now;
    if (now) logger.info({ nodeId }, 'redis bus healthy');
    else logger.warn({ nodeId }, 'redis bus unhealthy: publishes answer unavailable');
    options.onHealth?.(now);
  };

  // ---- the presence stream and its snapshot
  let rebasing: Promise<void> | undefined;
  function rebase(): Promise<void> {
    if (rebasing !== undefined) return rebasing;
    view.invalidate();
    // The subscription must be in place before the snapshot is read, or a change between them is lost.
    const run = sub
      .subscribe(keys.presenceChannel)
      .then(() => presenceSnapshot(cmd, [keys.nodes, keys.presenceSeq], [keys.nodePrefix]))
      .then((reply) => {
        view.rebase(parseSnapshot(reply, (raw) => logger.warn({ raw }, 'malformed presence entry ignored')));
        counters.rebases++;
      })
      // After the connections: a subscription is never known before its connection.
      .then(() => channels.rebase())
      .catch((err: unknown) => logger.warn({ err, nodeId }, 'redis presence snapshot failed'))
      .finally(() => {
        rebasing = undefined;
        checkHealth();
      });
    rebasing = run;
    return run;
  }

  sub.on('message', (channel: string, raw: string) => {
    if (channel === keys.presenceChannel) return view.message(raw);
    if (channel === keys.channelPresenceChannel) return channels.message(raw);
    const route = routes.get(channel);
    if (route === undefined) return;
    counters.received++;
    const message = decodeMessage(raw);
    if (message === undefined) return logger.warn({ channel }, 'malformed bus message ignored');
    if ('topic' in route) toTopic(route.topic, message.event, message.data);
    else if ('channel' in route) {
      // Nodes write these (the history's append script, publishChannel): trusted, in offset order.
      if (message.event === 'publication') each((l) => l.publication?.(message.data as Publication));
    } else each((l) => l.users?.([route.userId], message.event, message.data));
  });
  // ioredis reconnects by itself; its errors are reported once per outage.
  reportErrors(cmd, logger, 'command', { nodeId });
  reportErrors(sub, logger, 'subscriber', { nodeId });
  cmd.on('close', () => {
    connectedSince = undefined;
    checkHealth();
  });
  sub.on('close', () => {
    view.invalidate();
    checkHealth();
  });
  cmd.on('ready', () => {
    connectedSince = clock.now();
    void presence.sync().then(() => (view.synced ? checkHealth() : rebase()));
  });
  sub.on('ready', () => void rebase());

  try {
    await Promise.all([connectOrFail(cmd), connectOrFail(sub)]);
    connectedSince = clock.now();
    await presence.sync();
    await rebase();
    if (!healthy()) throw new Error('REDIS_URL: could not register this node with Redis');
  } catch (err) {
    // Neither connection may go on reconnecting behind a start that failed.
    closed = true;
    cmd.disconnect();
    sub.disconnect();
    throw err;
  }

  let beating = false;
  const tick = async (): Promise<void> => {
    if (beating || closed) return;
    beating = true;
    try {
      const steady = connectedSince !== undefined && clock.now() - connectedSince >= deadlineMs;
      await presence.beat(steady);
      const due = view.orphansDueAt();
      if (!view.synced || (due !== undefined && due <= clock.now())) await rebase();
    } finally {
      beating = false;
      checkHealth();
    }
  };
  const timer = setInterval(() => void tick(), heartbeatMs);
  timer.unref();
  lastHealthy = true;

  // ---- fan-out
  const join = (channel: string, route: Route): Promise<void> => {
    routes.set(channel, route);
    return subs.acquire(channel);
  };
  const leave = (channel: string): Promise<void> => {
    const done = subs.release(channel);
    if (!subs.has(channel)) routes.delete(channel);
    return done;
  };
  const send = (channel: string, message: string): Promise<unknown> => {
    counters.published++;
    const waiting = subs.pending(channel);
    return waiting === undefined ? cmd.publish(channel, message) : waiting.then(() => cmd.publish(channel, message));
  };
  /** Rejects `unavailable` when unhealthy; a rejection nobody awaits is logged, not thrown. */
  const guarded = (what: string, run: () => Promise<unknown>): Promise<void> => {
    const out = healthy()
      ? run().then(
          () => undefined,
          (err: unknown) => {
            throw unavailable(err);
          },
        )
      : Promise.reject(new BeaconError('unavailable', { message: 'Shared store unavailable' }));
    out.catch((err: unknown) => {
      counters.refused++;
      logger.warn({ err, nodeId }, `bus ${what} not delivered`);
    });
    return out;
  };

  const stop = (): void => {
    closed = true;
    clearInterval(timer);
    listeners.clear();
  };

  return {
    nodeId,
    connectionUp(change) {
      if (closed || presence.has(change.data.sid)) return;
      presence.up(change);
      void join(keys.user(change.data.userId), { userId: change.data.userId });
      for (const topic of connectionTopics) void join(keys.topic(topic), { topic });
      toPresence(change);
    },
    connectionDown(change) {
      if (closed || !presence.has(change.data.sid)) return;
      presence.down(change);
      if (change.data.userId !== null) void leave(keys.user(change.data.userId));
      for (const topic of connectionTopics) void leave(keys.topic(topic));
      toPresence(change);
    },
    ownsConnection: (sid) => presence.has(sid),
    publish: (topic, event, data) => guarded('publish', () => send(keys.topic(topic), encodeMessage(event, data))),
    announce: toTopic,
    deliver(userIds, event, data) {
      const message = encodeMessage(event, data);
      return guarded('deliver', () => Promise.all([...new Set(userIds)].map((id) => send(keys.user(id), message))));
    },
    // For a history that does not publish in its append script; callers keep offset order.
    publishChannel: (publication) =>
      guarded('publication', () => send(keys.topic(channelTopic(publication.channel)), encodeMessage('publication', publication))),
    subscriptionChanged(change) {
      if (closed) return;
      // A channel's publications are heard while this node has a local subscriber of it.
      const pubsub = keys.topic(channelTopic(change.channel));
      if (change.kind === 'up') void join(pubsub, { channel: change.channel });
      else void leave(pubsub);
      channels.local(change);
      toSubscription(change);
    },
    channelReady(channel) {
      const waiting = subs.pending(keys.topic(channelTopic(channel)));
      if (waiting === undefined) return Promise.resolve();
      // A subscribe Redis never confirms must not hold the subscriber's answer for ever.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          logger.warn({ nodeId, channel }, 'redis subscribe unconfirmed: subscription refused');
          reject(new BeaconError('unavailable', { message: 'Shared store unavailable' }));
        }, REDIS_COMMAND_TIMEOUT_MS);
      });
      return Promise.race([waiting, late]).finally(() => clearTimeout(timer));
    },
    join: (topic) => join(keys.topic(topic), { topic }),
    leave: (topic) => leave(keys.topic(topic)),
    healthy,
    remoteConnections: () => view.size,
    stats: () => ({ ...counters, subscriptions: subs.size }),
    listen(listener) {
      listeners.add(listener);
      // Presence heard before this listener came (the snapshot at start) is told to it now.
      try {
        for (const known of [...presence.current(), ...view.current()]) listener.presence?.(known);
        for (const known of [...channels.current()]) listener.subscription?.(known);
      } catch (err) {
        logger.warn({ err }, 'bus listener failed');
      }
      return () => void listeners.delete(listener);
    },
    abandon() {
      stop();
      cmd.disconnect();
      sub.disconnect();
    },
    async close() {
      if (closed) return;
      stop();
      try {
        await channels.leave();
        await presence.leave();
      } catch (err) {
        logger.warn({ err, nodeId }, 'redis presence leave failed; the others will reap this node');
      }
      await Promise.allSettled([quit(cmd), quit(sub)]);
    },
  };
}

async function quit(redis: Redis): Promise<void> {
  // A QUIT sent while the connection is down waits in the subscriber's offline queue for ever.
  if (redis.status !== 'ready') return void redis.disconnect();
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
