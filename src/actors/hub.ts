// The hub: runs one connection actor per socket, indexes live actors by sid, user and
// token (jti), binds the machine's effects once per server, and turns committed events
// (revocations, presence) into events for the right actors and broadcasts.

import { fromPromise } from 'xstate';
import { CloseCode } from '../constants.js';
import type { Clock } from '../clock.js';
import type { BeaconEvent, RecordedEvent } from '../events/types.js';
import { connectionMachine } from './connectionMachine.js';
import type { ConnectionContext, ConnectionEnv, RevokeCode } from './connectionMachine.js';
import type { RevocationReason } from '../events/types.js';
import { ConnectionRegistry } from './registry.js';
import { Handle } from './connectionHandle.js';
import type { ConnectionActor, ConnectionHandle } from './connectionHandle.js';
import { authFailureCode, AuthFailure } from '../auth/session.js';
import type { Session, TokenVerifier } from '../auth/session.js';
import type { Broadcaster, ConnectionPort } from './ports.js';
import { createActorPool } from './actorPool.js';
import { portEffects } from './portEffects.js';
import { createPresenceFeed } from './presenceFeed.js';
import type { Timers } from './presenceFeed.js';
import type { OnlineUserView } from './presence.js';

/**
 * Topic of every authenticated connection. Presence is not public information, so
 * `user_status` / `user_count` go to authenticated connections only, like
 * `authenticated_message`; one shared topic keeps one subscription per socket.
 */
export const AUTHENTICATED_TOPIC = 'authenticated';
export const PRESENCE_TOPIC = AUTHENTICATED_TOPIC;
/** shutdown() stops waiting for actors to close after this long. */
export const SHUTDOWN_WAIT_MS = 2_000;
/** Revocations are remembered this long, to catch a token verified just before its revocation committed. */
export const REVOCATION_MEMORY_MS = 60_000;
export const DEAD_CONNECTION_REASON = 'Connection not responding';
/** RFC 6455 "internal error"; TODO(lead): move to CloseCode in constants.ts. */
const INTERNAL_ERROR_CLOSE = CloseCode.internalError;
const INTERNAL_ERROR_REASON = 'Internal error';

export type { ConnectionHandle } from './connectionHandle.js';

export interface HubLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface HubDeps {
  broadcaster: Broadcaster;
  /** Fire-and-forget; the store group-commits and calls `onCommitted` afterwards. */
  append(events: BeaconEvent[]): void;
  verifier: TokenVerifier;
  clock: Clock;
  authTimeoutMs: number;
  logger: HubLogger;
  presenceWindowMs?: number;
  /** Timers for actor delays and presence windows; default the global ones (tests: SimulatedClock). */
  timers?: Timers;
}

export interface ConnectionSummary {
  sid: string;
  state: string;
  username: string | null;
  userId: number | null;
  connectedAt: number;
  ageMs: number;
  transport: ConnectionPort['transport'];
}

export interface Hub {
  open(port: ConnectionPort, opts: { sid: string; session?: Session }): ConnectionHandle;
  onCommitted(events: readonly RecordedEvent[]): void;
  snapshot(): ConnectionSummary[];
  /** Committed presence: for `GET /users` and metrics. */
  presence(): { users: OnlineUserView[]; count: number; connections: number };
  shutdown(): Promise<void>;
  readonly size: number;
}

const globalTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** What a connection is told when its token is revoked, by why it was revoked. */
function revokeCodeOf(reason: RevocationReason): RevokeCode {
  switch (reason) {
    case 'superseded':
      return 'session_replaced';
    case 'expired-cleanup':
      return 'token_expired';
    case 'logout':
    case 'admin':
      return 'token_revoked';
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}

export function createHub(deps: HubDeps): Hub {
  const { broadcaster, clock, logger } = deps;
  const timers = deps.timers ?? globalTimers;
  const env: ConnectionEnv = { clock, authTimeoutMs: deps.authTimeoutMs };
  const feed = createPresenceFeed({ broadcaster, topic: PRESENCE_TOPIC, timers, ...(deps.presenceWindowMs === undefined ? {} : { windowMs: deps.presenceWindowMs }) });

  const live = new ConnectionRegistry();
  /** jti → why it was revoked and when we heard; insertion order is time order. */
  const recentlyRevoked = new Map<string, { code: RevokeCode; at: number }>();
  let draining = false;
  let drained: (() => void) | undefined;

  const guarded = (what: string, fn: () => void): void => {
    // A transport error must not kill the actor (it would never reach `closed` and leak).
    try {
      fn();
    } catch (err) {
      logger.warn({ err }, `port ${what} failed`);
    }
  };

  /** Leaves every index and records the end of an authenticated connection. */
  function forget(actor: ConnectionActor, context: ConnectionContext, code: number, reason: string): void {
    live.remove(context.sid, actor, context.session);
    const s = context.session;
    if (s !== null) deps.append([{ type: 'ConnectionClosed', data: { sid: context.sid, userId: s.userId, code, reason } }]);
    if (drained !== undefined && live.size === 0) drained();
  }

  function checkRevoked(self: ConnectionActor, jti: string): void {
    const hit = recentlyRevoked.get(jti);
    if (hit !== undefined && clock.now() - hit.at < REVOCATION_MEMORY_MS) self.send({ type: 'REVOKE', code: hit.code });
  }

  function dropDead(requester: ConnectionActor): number {
    // Presence entries without a live actor on this server are stale: close them in the log.
    // Scanned first, so the dead closed below (recorded by their own actors) are not counted twice.
    // A close appended but not yet committed may be repeated here; the fold ignores the repeat.
    const stale: BeaconEvent[] = [];
    for (const [sid, userId] of feed.state.sids) {
      if (!live.has(sid)) stale.push({ type: 'ConnectionClosed', data: { sid, userId, code: CloseCode.goingAway, reason: 'reconciled' } });
    }
    if (stale.length > 0) deps.append(stale);
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
        deps.append([
          { type: 'ConnectionAuthenticated', data: { sid: context.sid, userId: s.userId, username: s.username, jti: s.jti, transport: context.port.transport } },
        ]);
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
        if (to === undefined) {
          broadcaster.publish(AUTHENTICATED_TOPIC, 'authenticated_message', payload);
          return;
        }
        // The recipient's connections and the sender's (once, when writing to oneself).
        const recipientId = live.userIdOf(to);
        const targets = live.connectionsOf(s.userId);
        if (recipientId !== undefined && recipientId !== s.userId) targets.push(...live.connectionsOf(recipientId));
        for (const actor of targets) {
          const port = actor.getSnapshot().context.port;
          guarded('push', () => void port.push('authenticated_message', payload));
        }
      },
      sendOnlineUsers: ({ context }, { id }) => {
        const { users, count } = feed.view();
        guarded('reply', () => void context.port.reply('online_users', { users, count }, id));
      },
      checkConnections: ({ context, self }, { id }) => {
        const removed = dropDead(self);
        guarded('reply', () => void context.port.reply('connections_checked', { active: live.size, removed }, id));
      },
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
          return await deps.verifier.verify(input.token);
        } catch (err) {
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
    guarded('close', () => context.port.close(INTERNAL_ERROR_CLOSE, INTERNAL_ERROR_REASON));
    forget(actor, context, INTERNAL_ERROR_CLOSE, INTERNAL_ERROR_REASON);
  }

  const pool = createActorPool({ logic, timers, onError: evict });

  return {
    open(port, opts) {
      const input = { sid: opts.sid, port, connectedAt: clock.now(), env, ...(opts.session === undefined ? {} : { session: opts.session }) };
      const actor = pool.start(opts.sid, input);
      // Starting never ends a connection (every delay is asynchronous); the check keeps it that way.
      if (actor.getSnapshot().status === 'active') live.add(opts.sid, actor);
      if (draining) actor.send({ type: 'SHUTDOWN' });
      return new Handle(opts.sid, actor);
    },

    onCommitted(events) {
      for (const event of events) {
        feed.apply(event);
        if (event.type !== 'TokenRevoked') continue;
        const code = revokeCodeOf(event.data.reason);
        const now = clock.now();
        recentlyRevoked.set(event.data.jti, { code, at: now });
        for (const [jti, hit] of recentlyRevoked) {
          if (now - hit.at < REVOCATION_MEMORY_MS) break;
          recentlyRevoked.delete(jti);
        }
        for (const actor of live.holdersOf(event.data.jti)) actor.send({ type: 'REVOKE', code });
      }
    },

    snapshot() {
      const now = clock.now();
      const out: ConnectionSummary[] = [];
      for (const actor of live.all()) {
        const { value, context } = actor.getSnapshot();
        out.push({
          sid: context.sid,
          state: String(value),
          username: context.session?.username ?? null,
          userId: context.session?.userId ?? null,
          connectedAt: context.connectedAt,
          ageMs: now - context.connectedAt,
          transport: context.port.transport,
        });
      }
      return out;
    },

    presence: () => feed.view(),

    shutdown() {
      draining = true;
      feed.stop();
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
