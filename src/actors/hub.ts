// The hub: runs one connection actor per socket, indexes live actors by sid, user and
// token (jti), binds the machine's effects once per server, turns committed revocations
// into events for the right actors, and talks to the Bus for presence and messages.

import { fromPromise } from 'xstate';
import { CloseCode, REFRESH_GRACE_SECONDS } from '../constants.js';
import type { EventOf } from '../events/index.js';
import { connectionMachine } from './connectionMachine.js';
import type { ConnectionContext, ConnectionEnv } from './connectionMachine.js';
import { createRevocationMemory } from './revocations.js';
import { applyCommitted } from './committed.js';
import { createRefreshGrace } from './refreshGrace.js';
import { createTransitionLog } from './transitions.js';
import { summarize } from './summary.js';
import { ConnectionRegistry } from './registry.js';
import { Handle } from './connectionHandle.js';
import type { ConnectionActor } from './connectionHandle.js';
import { AuthFailure } from '../auth/session.js';
import { BeaconError, ERRORS } from '../errors.js';
import type { Session } from '../auth/session.js';
import { createActorPool } from './actorPool.js';
import { portEffects } from './portEffects.js';
import { createPresenceFeed } from './presenceFeed.js';
import type { Timers } from './presenceFeed.js';
import { createChannelRouter, refusingRouter } from './channelRouter.js';
import { createFencing } from './fencing.js';
import { createSetupLane } from './setupLane.js';

/**
 * Topic of every authenticated connection. Presence is not public information, so
 * `user_status` / `user_count` go to authenticated connections only, like
 * `authenticated_message`; one shared topic keeps one subscription per socket.
 */
export const AUTHENTICATED_TOPIC = 'authenticated';
export const PRESENCE_TOPIC = AUTHENTICATED_TOPIC;
/** shutdown() stops waiting for actors to close after this long. */
export const SHUTDOWN_WAIT_MS = 2_000;
export const DEAD_CONNECTION_REASON = 'Connection not responding';
const INTERNAL_ERROR_REASON = 'Internal error';

export type { ConnectionHandle } from './connectionHandle.js';
export type { ConnectionSummary } from './summary.js';

export type { Hub, HubDeps, HubLogger, UserDirectory } from './hubTypes.js';

const globalTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

import type { Hub, HubDeps } from './hubTypes.js';

export function createHub(deps: HubDeps): Hub {
  const { bus, clock, logger } = deps;
  const timers = deps.timers ?? globalTimers;
  const env: ConnectionEnv = { clock, authTimeoutMs: deps.authTimeoutMs };
  // Every node derives the same announcements from the same transitions: each tells only its own listeners.
  const feed = createPresenceFeed({
    broadcaster: { publish: (topic, event, data) => bus.announce(topic, event, data) },
    topic: PRESENCE_TOPIC,
    timers,
    ...(deps.presenceWindowMs === undefined ? {} : { windowMs: deps.presenceWindowMs }),
  });

  const live = new ConnectionRegistry();
  const revoked = createRevocationMemory(clock);
  const refreshGraceMs = deps.refreshGraceMs ?? REFRESH_GRACE_SECONDS * 1000;
  // Connections still on a refreshed token when its grace ends are closed like a revocation.
  const grace = createRefreshGrace({ clock, timers, expire: (jti) => live.holdersOf(jti).forEach((a) => a.send({ type: 'REVOKE', code: 'token_revoked' })) });
  const transitions = deps.recordTransitions === true ? createTransitionLog(clock) : undefined;
  let draining = false;
  const setups = createSetupLane();
  let drained: (() => void) | undefined;

  const guarded = (what: string, fn: () => void): void => {
    // A transport error must not kill the actor (it would never reach `closed` and leak).
    try {
      fn();
    } catch (err) {
      logger.warn({ err }, `port ${what} failed`);
    }
  };

  /** A connection went down: the audit trail records it, the bus tells presence. */
  function down(closed: EventOf<'ConnectionClosed'>): void {
    deps.append([closed]);
    bus.connectionDown(closed);
  }

  /** Leaves every index and records the end of an authenticated connection. */
  function forget(actor: ConnectionActor, context: ConnectionContext, code: number, reason: string): void {
    live.remove(context.sid, actor, context.session);
    transitions?.forget(context.sid);
    router.dropAll(context.sid);
    const s = context.session;
    if (s !== null) down({ type: 'ConnectionClosed', data: { sid: context.sid, userId: s.userId, code, reason } });
    if (drained !== undefined && live.size === 0) drained();
  }

  /** A directed message from the bus: every local connection of these users, each once. */
  function deliverLocally(userIds: readonly number[], event: string, data: unknown): void {
    for (const userId of new Set(userIds)) {
      for (const actor of live.connectionsOf(userId)) {
        const port = actor.getSnapshot().context.port;
        guarded('push', () => void port.push(event, data));
      }
    }
  }
  bus.listen({ presence: (change) => feed.apply(change), users: deliverLocally });
  const router = deps.channels === undefined ? refusingRouter() : createChannelRouter({ channels: deps.channels, bus, logger });

  function checkRevoked(self: ConnectionActor, jti: string): void {
    const code = revoked.recent(jti);
    if (code !== undefined) self.send({ type: 'REVOKE', code });
  }

  function dropDead(requester: ConnectionActor): number {
    // This node's presence entries without a live actor here are stale: close them (log and
    // bus). Only its own: a cluster's view also holds other nodes' connections, which are
    // theirs to close (or the reaper's). Scanned first, so the dead closed below (recorded
    // by their own actors) are not counted twice.
    const stale: Array<EventOf<'ConnectionClosed'>> = [];
    for (const [sid, userId] of feed.state.sids) {
      if (live.has(sid) || bus.ownsConnection?.(sid) === false) continue;
      stale.push({ type: 'ConnectionClosed', data: { sid, userId, code: CloseCode.goingAway, reason: 'reconciled' } });
    }
    if (stale.length > 0) deps.append(stale);
    for (const closed of stale) bus.connectionDown(closed);
    const dead = live.all().filter((a) => a !== requester && !a.getSnapshot().context.port.isAlive());
    for (const actor of dead) {
      guarded('close', () => actor.getSnapshot().context.port.close(CloseCode.goingAway, DEAD_CONNECTION_REASON));
      actor.send({ type: 'SOCKET_CLOSED', code: CloseCode.goingAway, reason: DEAD_CONNECTION_REASON });
    }
    return dead.length + stale.length;
  }

  const logic = connectionMachine.provide({
    actions: {
      ...portEffects(logger),
      sessionStarted: ({ context, self }) => {
        const s = context.session;
        if (s === null) return;
        live.indexSession(self, s);
        guarded('subscribe', () => context.port.subscribe(AUTHENTICATED_TOPIC));
        const up: EventOf<'ConnectionAuthenticated'> = {
          type: 'ConnectionAuthenticated',
          data: { sid: context.sid, userId: s.userId, username: s.username, jti: s.jti, transport: context.port.transport },
        };
        deps.append([up]);
        bus.connectionUp(up);
        logger.info({ sid: context.sid, userId: s.userId, transport: context.port.transport }, 'connection authenticated');
        checkRevoked(self, s.jti);
      },
      sessionRefreshed: ({ context, self }, { previous, next }) => {
        live.reindexToken(self, previous.jti, next.jti);
        logger.info({ sid: context.sid, userId: next.userId }, 'token refreshed');
        checkRevoked(self, next.jti);
      },
      publishMessage: ({ context }, { frame }) => {
        const s = context.session;
        if (s === null) return;
        const payload = { from: s.username, data: frame.data.data ?? null, text: frame.data.text ?? null, ts: clock.now() };
        const to = frame.data.to;
        // The recipient's connections, wherever they are, and the sender's (once, when writing
        // to oneself). The recipient is any registered user, online here or not.
        const recipientId = to === undefined ? undefined : deps.users.idOf(to);
        const sent =
          to === undefined
            ? bus.publish(AUTHENTICATED_TOPIC, 'authenticated_message', payload)
            : bus.deliver(recipientId === undefined ? [s.userId] : [s.userId, recipientId], 'authenticated_message', { ...payload, to });
        // A bus that could not carry it (Redis down) says so: the sender hears `unavailable`.
        const port = context.port;
        sent?.catch(() => guarded('reply', () => void port.reply('response', { ok: false, code: 'unavailable', message: ERRORS.unavailable.message }, frame.id)));
      },
      sendOnlineUsers: ({ context }, { id }) => {
        const { users, count } = feed.view();
        guarded('reply', () => void context.port.reply('online_users', { users, count }, id));
      },
      checkConnections: ({ context, self }, { id }) => {
        const removed = dropDead(self);
        guarded('reply', () => void context.port.reply('connections_checked', { active: live.size, removed }, id));
      },
      endChannels: ({ context }) => router.dropAll(context.sid),
      channelRequest: ({ context, self }, { frame }) => router.handle(self, context, frame),
      connectionClosed: ({ context, self }) => {
        const closing = context.closing ?? { code: CloseCode.normal, reason: '' };
        forget(self, context, closing.code, closing.reason);
        const fields = { sid: context.sid, userId: context.session?.userId ?? null, code: closing.code, failure: context.failure?.code };
        if (context.failure === null) logger.info(fields, 'connection closed');
        else logger.warn(fields, 'connection closed on auth failure');
      },
    },
    actors: {
      verifyToken: fromPromise<Session, { token: string; username: string }>(async ({ input }) => {
        try {
          const session = await deps.verifier.verify(input.token);
          // The setup that follows (transition, append, presence, answer) takes its turn.
          await setups.pass();
          return session;
        } catch (err) {
          // The log could not be read to check an unknown token: this node cannot tell, another may.
          if (err instanceof BeaconError && err.code === 'unavailable') throw new AuthFailure('node_unavailable');
          if (!(err instanceof AuthFailure)) logger.warn({ err }, 'token verification failed unexpectedly');
          throw err;
        }
      }),
    },
  });

  function evict(sid: string, error: unknown): void {
    // An action threw: the actor stopped without reaching `closed`. Do what `closed` would have.
    const actor = live.get(sid);
    logger.warn({ err: error, sid }, 'connection actor failed');
    if (actor === undefined) return;
    const { context } = actor.getSnapshot();
    guarded('close', () => context.port.close(CloseCode.internalError, INTERNAL_ERROR_REASON));
    forget(actor, context, CloseCode.internalError, INTERNAL_ERROR_REASON);
  }

  const fencing = createFencing({ logger, guarded });
  const pool = createActorPool({ logic, timers, onError: evict, ...(transitions === undefined ? {} : { inspect: transitions.observe }) });

  return {
    open(port, opts) {
      const input = { sid: opts.sid, port, connectedAt: clock.now(), env, ...(opts.session === undefined ? {} : { session: opts.session }) };
      const actor = pool.start(opts.sid, input);
      // Starting never ends a connection (every delay is asynchronous); the check keeps it that way.
      if (actor.getSnapshot().status === 'active') live.add(opts.sid, actor);
      if (draining) actor.send({ type: 'SHUTDOWN' });
      else if (fencing.on) fencing.refuse(actor);
      return new Handle(opts.sid, actor);
    },

    onCommitted(events) {
      applyCommitted(events, { live, router, revoked, grace, refreshGraceMs });
    },

    snapshot() {
      const now = clock.now();
      return live.all().map((actor) => summarize(actor, now));
    },

    sessionsOf: (userId) => live.connectionsOf(userId).length,

    transitionsOf: (sid) => transitions?.of(sid) ?? [],

    fence: (on) => fencing.set(on, live.all()),
    setupTurn: () => setups.pass(),
    get fenced() {
      return fencing.on;
    },

    presence: () => feed.view(),
    endSubscriptions: (userId, reason) => router.endUser(userId, reason),

    shutdown() {
      draining = true;
      feed.stop();
      grace.stop();
      return new Promise<void>((resolve) => {
        let timer: unknown = undefined;
        const done = (): void => {
          drained = undefined;
          if (timer !== undefined) timers.clearTimeout(timer);
          resolve();
        };
        drained = done;
        for (const actor of live.all()) actor.send({ type: 'SHUTDOWN' });
        if (live.size === 0) return done();
        timer = timers.setTimeout(() => {
          logger.warn({ remaining: live.size }, 'shutdown: connections still open after the wait');
          done();
        }, SHUTDOWN_WAIT_MS);
      });
    },

    get size() {
      return live.size;
    },
  };
}
