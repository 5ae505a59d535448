// The connection machine's setup: its types and the named actions, guards, delays and
// actors it may use, each with a harmless default (effects do nothing, verification
// refuses). The hub binds the real effects once with `.provide()`.

import { assign, fromPromise, setup } from 'xstate';
import { CloseCode } from '../constants.js';
import { ERRORS, closeCodeOf } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { AuthFailure, type Session } from '../auth/session.js';
import type { ChannelEventName, FrameOf } from './frames.js';
import type { Farewell, Greeting } from './ports.js';
import { MAX_TIMER_MS, REVOKED_CLOSE_GRACE_MS } from './connectionTypes.js';
import type { ConnectionContext, ConnectionEvent, ConnectionInput, SendParams, VerifyInput } from './connectionTypes.js';

const clampDelay = (ms: number): number => Math.min(MAX_TIMER_MS, Math.max(0, ms));
export const reply = (event: string, data: unknown, id: number | undefined): SendParams => ({ event, data, id });

/** The `message` echo: to the sender only, from its user (null before authentication). */
export const echoOf = (context: ConnectionContext, frame: FrameOf<'message'>): { from: string | null; data: unknown } => ({
  from: context.session?.username ?? null,
  data: frame.data ?? null,
});

/** The `ping_manual` answer: the client's `t` back, and the server's clock. */
export const pongOf = (context: ConnectionContext, frame: FrameOf<'ping_manual'>): { t: string | number | null; server_time: number } => ({
  t: frame.data?.t ?? null,
  server_time: context.env.clock.now(),
});

/** States that answer client frames (`revoked` and `closed` ignore them). */
export const LIVE_STATES: ReadonlySet<unknown> = new Set(['connected', 'registering', 'authenticated']);

/** The state name debug_connection reports, derived from context (live states only). */
export function liveState(context: ConnectionContext): 'connected' | 'registering' | 'authenticated' {
  if (context.session !== null) return 'authenticated';
  return context.pending !== null ? 'registering' : 'connected';
}

const noop = (): void => {};

export const base = setup({
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
    // Effects, bound by the hub to the port (see ports.ts for what each means). Defaults do nothing.
    greet: (_: unknown, _params: Greeting) => noop(),
    /** The direct reply to the request `id` (undefined: the request carried none, or the answer is to no request). */
    reply: (_: unknown, _params: SendParams) => noop(),
    /** The request `id` is handled and has no direct reply (undefined: nothing to acknowledge). */
    noReply: (_: unknown, _params: { id: number | undefined }) => noop(),
    push: (_: unknown, _params: { event: string; data: unknown }) => noop(),
    farewell: (_: unknown, _params: Farewell) => noop(),
    close: (_: unknown, _params: { code: number; reason: string }) => noop(),
    /** Index the actor by user and jti, subscribe it to broadcasts, record ConnectionAuthenticated. */
    sessionStarted: noop,
    /** The session's token was swapped: re-index the previous jti under the new one. */
    sessionRefreshed: (_: unknown, _params: { previous: Session; next: Session }) => noop(),
    publishMessage: (_: unknown, _params: { frame: FrameOf<'authenticated_message'> }) => noop(),
    sendOnlineUsers: (_: unknown, _params: { id: number | undefined }) => noop(),
    checkConnections: (_: unknown, _params: { id: number | undefined }) => noop(),
    /** Every subscription of the connection ends (revoked, expired, closing). */
    endChannels: noop,
    /** A channel request of an authenticated connection, for the hub's channel router. */
    channelRequest: (_: unknown, _params: { frame: FrameOf<ChannelEventName> }) => noop(),
    /** Leave every index and record ConnectionClosed. */
    connectionClosed: noop,
    // Context updates.
    startPending: assign((_, params: { id: number | undefined; username: string }) => ({ pending: params })),
    adoptSession: assign((_, params: { session: Session }) => ({ session: params.session, pending: null })),
    fail: assign((_, params: { code: ErrorCode; id: number | undefined }) => ({ failure: params, pending: null })),
    channelAdded: assign(({ context }, params: { channel: string }) => ({ channels: new Set(context.channels).add(params.channel) })),
    channelRemoved: assign(({ context }, params: { channel: string }) => {
      const channels = new Set(context.channels);
      channels.delete(params.channel);
      return { channels };
    }),
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

/** The close code and reason for the failure that ended a session. */
export function endOf(context: ConnectionContext): { code: number; reason: string } {
  const code = context.failure?.code ?? 'invalid_token';
  return { code: closeCodeOf(code) ?? CloseCode.invalidToken, reason: ERRORS[code].message };
}
