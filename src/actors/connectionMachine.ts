// One connection's life as an XState v5 machine (PROTOCOL.md §3): connected → registering
// → authenticated → revoked → closed. Pure of I/O: every effect is a named action or actor
// with a harmless default, bound once per server with `.provide()` (see hub.ts).

import { assign, fromPromise, setup, spawnChild, stopChild } from 'xstate';
import { CloseCode, DEFAULT_AUTH_TIMEOUT_SECONDS } from '../constants.js';
import { ERRORS, closeCodeOf } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { Clock } from '../clock.js';
import { AuthFailure } from './ports.js';
import type { ConnectionPort, Session } from './ports.js';
import type { ClientFrame, FrameOf } from './frames.js';

/** setTimeout's largest delay (2^31-1 ms, ~24.8 days); longer expiries re-arm. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long `revoked` waits for the transport to confirm the close before giving up on it. */
export const REVOKED_CLOSE_GRACE_MS = 1_000;
export const AUTH_TIMEOUT_REASON = 'Authentication timeout';
export const SHUTDOWN_REASON = 'Server shutting down';
export const CLIENT_CLOSE_REASON = 'Client disconnected';

/** Per-server settings every connection shares (one object, referenced from each context). */
export interface ConnectionEnv {
  readonly clock: Clock;
  readonly authTimeoutMs: number;
}

export const defaultEnv: ConnectionEnv = {
  clock: { now: () => Date.now() },
  authTimeoutMs: DEFAULT_AUTH_TIMEOUT_SECONDS * 1000,
};

export interface ConnectionInput {
  sid: string;
  port: ConnectionPort;
  /** Epoch ms; the auth timeout counts from here across `connected` and `registering`. */
  connectedAt: number;
  /** A session verified at upgrade: the connection starts authenticated. */
  session?: Session;
  env?: ConnectionEnv;
}

export type RevokeCode = 'token_revoked' | 'session_replaced';

export interface ConnectionContext {
  readonly sid: string;
  readonly port: ConnectionPort;
  readonly connectedAt: number;
  readonly env: ConnectionEnv;
  session: Session | null;
  /** The register_user in flight: its reply carries `id`; `username` is what was claimed. */
  pending: { id: number | undefined; username: string } | null;
  /** Why the session ended (state `revoked`), and the request id to answer, if any. */
  failure: { code: ErrorCode; id: number | undefined } | null;
  /** How the socket ended, recorded in ConnectionClosed. The first cause wins. */
  closing: { code: number; reason: string } | null;
}

export type ConnectionEvent =
  | ClientFrame
  | { type: 'INVALID'; message: string; id: number | undefined }
  | { type: 'FLOOD' }
  | { type: 'SHUTDOWN' }
  | { type: 'SOCKET_CLOSED'; code: number; reason: string }
  | { type: 'REVOKE'; code: RevokeCode }
  | { type: 'xstate.done.actor.refresh'; output: Session }
  | { type: 'xstate.error.actor.refresh'; error: unknown };

export interface VerifyInput {
  token: string;
  username: string;
}

export interface SendParams {
  event: string;
  data: unknown;
  id: number | undefined;
}

const failureCodeOf = (error: unknown): ErrorCode => (error instanceof AuthFailure ? error.code : 'invalid_token');
const clampDelay = (ms: number): number => Math.min(MAX_TIMER_MS, Math.max(0, ms));
const reply = (event: string, data: unknown, id: number | undefined): SendParams => ({ event, data, id });

/** The state name debug_connection reports, derived from context (live states only). */
function liveState(context: ConnectionContext): 'connected' | 'registering' | 'authenticated' {
  if (context.session !== null) return 'authenticated';
  return context.pending !== null ? 'registering' : 'connected';
}

const noop = (): void => {};

const base = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
  },
  actors: {
    /** Resolves the token's session or rejects with AuthFailure. Default: refuse everything. */
    verifyToken: fromPromise<Session, VerifyInput>(async () => {
      throw new AuthFailure('invalid_token');
    }),
  },
  actions: {
    // Effects, bound by the hub. Defaults do nothing.
    send: (_: unknown, _params: SendParams) => noop(),
    close: (_: unknown, _params: { code: number; reason: string }) => noop(),
    /** Index the actor by user and jti, subscribe it to broadcasts, record ConnectionAuthenticated. */
    sessionStarted: noop,
    /** The session's token was swapped: re-index the previous jti under the new one. */
    sessionRefreshed: (_: unknown, _params: { previous: Session }) => noop(),
    publishMessage: (_: unknown, _params: { frame: FrameOf<'authenticated_message'> }) => noop(),
    sendOnlineUsers: (_: unknown, _params: { id: number | undefined }) => noop(),
    checkConnections: (_: unknown, _params: { id: number | undefined }) => noop(),
    /** Leave every index and record ConnectionClosed. */
    connectionClosed: noop,
    // Context updates.
    startPending: assign((_, params: { id: number | undefined; username: string }) => ({ pending: params })),
    adoptSession: assign((_, params: { session: Session }) => ({ session: params.session, pending: null })),
    fail: assign((_, params: { code: ErrorCode; id: number | undefined }) => ({ failure: params, pending: null })),
    noteClose: assign(({ context }, params: { code: number; reason: string }) => ({
      closing: context.closing ?? params,
    })),
  },
  guards: {
    hasSession: ({ context }) => context.session !== null,
    refreshInFlight: ({ context }) => context.pending !== null,
    /** The verified token belongs to the claimed username, and to the current user on refresh. */
    sessionMatches: ({ context }, params: { session: Session }) =>
      params.session.username === context.pending?.username &&
      (context.session === null || context.session.userId === params.session.userId),
    tokenExpired: ({ context }) => context.session !== null && context.env.clock.now() >= context.session.exp * 1000,
  },
  delays: {
    authTimeout: ({ context }) => clampDelay(context.connectedAt + context.env.authTimeoutMs - context.env.clock.now()),
    tokenExpiry: ({ context }) => clampDelay((context.session?.exp ?? 0) * 1000 - context.env.clock.now()),
    closeGrace: REVOKED_CLOSE_GRACE_MS,
  },
});

/** Handlers every live state shares (connected, registering, authenticated). */
const live = base.createStateConfig({
  on: {
    message: {
      actions: {
        type: 'send',
        params: ({ context, event }) =>
          reply('message', { from: context.session?.username ?? null, data: event.data ?? null }, event.id),
      },
    },
    ping_manual: {
      actions: {
        type: 'send',
        params: ({ context, event }) =>
          reply('pong_manual', { t: event.data?.t ?? null, server_time: context.env.clock.now() }, event.id),
      },
    },
    debug_connection: {
      actions: {
        type: 'send',
        params: ({ context, event }) =>
          reply(
            'debug_connection',
            {
              sid: context.sid,
              state: liveState(context),
              username: context.session?.username ?? null,
              user_id: context.session?.userId ?? null,
              connected_at: context.connectedAt,
              token_expires_at: context.session === null ? null : context.session.exp * 1000,
              remote_address: context.port.remoteAddress,
              transport: context.port.transport,
            },
            event.id,
          ),
      },
    },
    get_online_users: { actions: { type: 'sendOnlineUsers', params: ({ event }) => ({ id: event.id }) } },
    check_connections: { actions: { type: 'checkConnections', params: ({ event }) => ({ id: event.id }) } },
    INVALID: {
      actions: {
        type: 'send',
        params: ({ event }) => reply('response', { ok: false, code: 'invalid_message', message: event.message }, event.id),
      },
    },
    disconnect: {
      target: 'closed',
      actions: [
        { type: 'noteClose', params: ({ event }) => ({ code: CloseCode.normal, reason: event.data?.reason ?? CLIENT_CLOSE_REASON }) },
        { type: 'close', params: { code: CloseCode.normal, reason: CLIENT_CLOSE_REASON } },
      ],
    },
    FLOOD: {
      target: 'closed',
      actions: [
        { type: 'send', params: reply('response', { ok: false, code: 'rate_limited', message: ERRORS.rate_limited.message }, undefined) },
        { type: 'send', params: reply('disconnect', { code: CloseCode.rateLimited, reason: ERRORS.rate_limited.message }, undefined) },
        { type: 'noteClose', params: { code: CloseCode.rateLimited, reason: ERRORS.rate_limited.message } },
        { type: 'close', params: { code: CloseCode.rateLimited, reason: ERRORS.rate_limited.message } },
      ],
    },
    SHUTDOWN: {
      target: 'closed',
      actions: [
        { type: 'send', params: reply('disconnect', { code: CloseCode.goingAway, reason: SHUTDOWN_REASON }, undefined) },
        { type: 'noteClose', params: { code: CloseCode.goingAway, reason: SHUTDOWN_REASON } },
        { type: 'close', params: { code: CloseCode.goingAway, reason: SHUTDOWN_REASON } },
      ],
    },
  },
});

const notAuthenticated = {
  type: 'send',
  params: ({ event }: { event: { id: number | undefined } }) =>
    reply('response', { ok: false, code: 'not_authenticated', message: ERRORS.not_authenticated.message }, event.id),
} as const;

const authTimedOut = {
  target: 'closed',
  actions: [
    { type: 'send', params: reply('disconnect', { code: CloseCode.authTimeout, reason: AUTH_TIMEOUT_REASON }, undefined) },
    { type: 'noteClose', params: { code: CloseCode.authTimeout, reason: AUTH_TIMEOUT_REASON } },
    { type: 'close', params: { code: CloseCode.authTimeout, reason: AUTH_TIMEOUT_REASON } },
  ],
} as const;

const registrationBusy = {
  type: 'send',
  params: ({ event }: { event: { id: number | undefined } }) =>
    reply('response', { ok: false, code: 'invalid_message', message: 'Registration already in progress' }, event.id),
} as const;

export const connectionMachine = base.createMachine({
  id: 'connection',
  context: ({ input }) => ({
    sid: input.sid,
    port: input.port,
    connectedAt: input.connectedAt,
    env: input.env ?? defaultEnv,
    session: input.session ?? null,
    pending: null,
    failure: null,
    closing: null,
  }),
  entry: {
    type: 'send',
    params: ({ context }) =>
      reply('connect', { sid: context.sid, state: 'connected', server_time: context.env.clock.now() }, undefined),
  },
  initial: 'connected',
  on: {
    SOCKET_CLOSED: {
      target: '.closed',
      actions: { type: 'noteClose', params: ({ event }) => ({ code: event.code, reason: event.reason }) },
    },
  },
  states: {
    connected: {
      // A token given at upgrade was verified before the socket opened.
      always: { guard: 'hasSession', target: 'authenticated', actions: 'sessionStarted' },
      after: { authTimeout: authTimedOut },
      on: {
        ...live.on,
        register_user: {
          target: 'registering',
          actions: { type: 'startPending', params: ({ event }) => ({ id: event.id, username: event.data.username }) },
        },
        authenticated_message: { actions: notAuthenticated },
      },
    },
    registering: {
      invoke: {
        id: 'verify',
        src: 'verifyToken',
        input: ({ event }) =>
          event.type === 'register_user' ? { token: event.data.token, username: event.data.username } : { token: '', username: '' },
        onDone: [
          {
            guard: { type: 'sessionMatches', params: ({ event }) => ({ session: event.output }) },
            target: 'authenticated',
            actions: [
              {
                type: 'send',
                params: ({ context, event }) =>
                  reply(
                    'response',
                    { ok: true, code: 'registered', message: 'User registered', username: event.output.username, user_id: event.output.userId },
                    context.pending?.id,
                  ),
              },
              { type: 'adoptSession', params: ({ event }) => ({ session: event.output }) },
              'sessionStarted',
            ],
          },
          { target: 'revoked', actions: { type: 'fail', params: ({ context }) => ({ code: 'username_mismatch', id: context.pending?.id }) } },
        ],
        onError: {
          target: 'revoked',
          actions: { type: 'fail', params: ({ context, event }) => ({ code: failureCodeOf(event.error), id: context.pending?.id }) },
        },
      },
      after: { authTimeout: authTimedOut },
      on: {
        ...live.on,
        register_user: { actions: registrationBusy },
        authenticated_message: { actions: notAuthenticated },
      },
    },
    authenticated: {
      after: {
        tokenExpiry: [
          { guard: 'tokenExpired', target: 'revoked', actions: { type: 'fail', params: { code: 'token_expired', id: undefined } } },
          // Expiry beyond setTimeout's range: re-enter to arm the next slice.
          { target: 'authenticated', reenter: true },
        ],
      },
      on: {
        ...live.on,
        authenticated_message: { actions: { type: 'publishMessage', params: ({ event }) => ({ frame: event }) } },
        register_user: [
          { guard: 'refreshInFlight', actions: registrationBusy },
          {
            actions: [
              { type: 'startPending', params: ({ event }) => ({ id: event.id, username: event.data.username }) },
              spawnChild('verifyToken', {
                id: 'refresh',
                input: ({ event }) =>
                  event.type === 'register_user' ? { token: event.data.token, username: event.data.username } : { token: '', username: '' },
              }),
            ],
          },
        ],
        'xstate.done.actor.refresh': [
          {
            guard: { type: 'sessionMatches', params: ({ event }) => ({ session: event.output }) },
            // Re-entering restarts the expiry timer for the new token.
            target: 'authenticated',
            reenter: true,
            actions: [
              stopChild('refresh'),
              {
                type: 'send',
                params: ({ context, event }) =>
                  reply(
                    'response',
                    { ok: true, code: 'token_refreshed', message: 'Token refreshed', username: event.output.username, user_id: event.output.userId },
                    context.pending?.id,
                  ),
              },
              // Context still holds the old session here: hand it over before adopting the new one.
              { type: 'sessionRefreshed', params: ({ context }) => ({ previous: context.session as Session }) },
              { type: 'adoptSession', params: ({ event }) => ({ session: event.output }) },
            ],
          },
          {
            target: 'revoked',
            actions: [stopChild('refresh'), { type: 'fail', params: ({ context }) => ({ code: 'username_mismatch', id: context.pending?.id }) }],
          },
        ],
        'xstate.error.actor.refresh': {
          target: 'revoked',
          actions: [
            stopChild('refresh'),
            { type: 'fail', params: ({ context, event }) => ({ code: failureCodeOf(event.error), id: context.pending?.id }) },
          ],
        },
        REVOKE: { target: 'revoked', actions: { type: 'fail', params: ({ event }) => ({ code: event.code, id: undefined }) } },
      },
    },
    revoked: {
      // Answer, announce, close; then wait for the transport to confirm (or give up after a grace).
      entry: [
        {
          type: 'send',
          params: ({ context }) => {
            const code = context.failure?.code ?? 'invalid_token';
            return reply('response', { ok: false, code, message: ERRORS[code].message }, context.failure?.id);
          },
        },
        { type: 'send', params: ({ context }) => reply('disconnect', endOf(context), undefined) },
        { type: 'noteClose', params: ({ context }) => endOf(context) },
        { type: 'close', params: ({ context }) => endOf(context) },
      ],
      after: { closeGrace: 'closed' },
    },
    closed: {
      type: 'final',
      entry: 'connectionClosed',
    },
  },
});

/** The close code and reason for the failure that ended a session. */
function endOf(context: ConnectionContext): { code: number; reason: string } {
  const code = context.failure?.code ?? 'invalid_token';
  return { code: closeCodeOf(code) ?? CloseCode.invalidToken, reason: ERRORS[code].message };
}

export type ConnectionMachine = typeof connectionMachine;
