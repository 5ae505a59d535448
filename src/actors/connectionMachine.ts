// One connection's life as an XState v5 machine (docs/protocol.md §3): connected → registering
// → authenticated → revoked → closed. Pure of I/O: every effect is a named action or actor
// with a harmless default, bound once per server with `.provide()` (see hub.ts). Each client
// request gets exactly one answer, a `reply` or a `noReply`, unless the connection closes first.

import { spawnChild, stopChild } from 'xstate';
import { CloseCode } from '../constants.js';
import { ERRORS } from '../errors.js';
import { AUTH_TIMEOUT_REASON, CLIENT_CLOSE_REASON, NO_CHANNELS, SHUTDOWN_REASON, defaultEnv } from './connectionTypes.js';
import { authFailureCode } from '../auth/session.js';
import { base, echoOf, endOf, liveState, pongOf, reply } from './connectionSetup.js';
import { channelRequests, channelsNotAuthenticated } from './channelTransitions.js';

export * from './connectionTypes.js';

/** Handlers every live state shares (connected, registering, authenticated). */
const live = base.createStateConfig({
  on: {
    // Handle.receive answers these two itself on the hot path, with the same echoOf / pongOf.
    message: { actions: { type: 'reply', params: ({ context, event }) => reply('message', echoOf(context, event), event.id) } },
    ping_manual: {
      actions: {
        type: 'reply',
        params: ({ context, event }) => reply('pong_manual', pongOf(context, event), event.id),
      },
    },
    debug_connection: {
      actions: {
        type: 'reply',
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
        type: 'reply',
        params: ({ event }) => reply('response', { ok: false, code: 'invalid_message', message: event.message }, event.id),
      },
    },
    // The polite close: the request ends the connection, and the close is its only answer.
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
        // A notice, not an answer: the frames that flooded are dropped unanswered.
        { type: 'push', params: { event: 'response', data: { ok: false, code: 'rate_limited', message: ERRORS.rate_limited.message } } },
        { type: 'farewell', params: { code: CloseCode.rateLimited, reason: ERRORS.rate_limited.message } },
        { type: 'noteClose', params: { code: CloseCode.rateLimited, reason: ERRORS.rate_limited.message } },
        { type: 'close', params: { code: CloseCode.rateLimited, reason: ERRORS.rate_limited.message } },
      ],
    },
    SHUTDOWN: {
      target: 'closed',
      actions: [
        { type: 'farewell', params: { code: CloseCode.goingAway, reason: SHUTDOWN_REASON } },
        { type: 'noteClose', params: { code: CloseCode.goingAway, reason: SHUTDOWN_REASON } },
        { type: 'close', params: { code: CloseCode.goingAway, reason: SHUTDOWN_REASON } },
      ],
    },
  },
});

const notAuthenticated = {
  type: 'reply',
  params: ({ event }: { event: { id: number | undefined } }) =>
    reply('response', { ok: false, code: 'not_authenticated', message: ERRORS.not_authenticated.message }, event.id),
} as const;

const authTimedOut = {
  target: 'closed',
  actions: [
    { type: 'farewell', params: { code: CloseCode.authTimeout, reason: AUTH_TIMEOUT_REASON } },
    { type: 'noteClose', params: { code: CloseCode.authTimeout, reason: AUTH_TIMEOUT_REASON } },
    { type: 'close', params: { code: CloseCode.authTimeout, reason: AUTH_TIMEOUT_REASON } },
  ],
} as const;

const registrationBusy = {
  type: 'reply',
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
    channels: NO_CHANNELS,
  }),
  entry: {
    type: 'greet',
    params: ({ context }) => ({ sid: context.sid, state: 'connected', server_time: context.env.clock.now() }),
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
        ...channelsNotAuthenticated,
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
                type: 'reply',
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
          actions: { type: 'fail', params: ({ context, event }) => ({ code: authFailureCode(event.error), id: context.pending?.id }) },
        },
      },
      after: { authTimeout: authTimedOut },
      on: {
        ...live.on,
        register_user: { actions: registrationBusy },
        authenticated_message: { actions: notAuthenticated },
        ...channelsNotAuthenticated,
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
        // Delivered as broadcasts or pushes (the sender's copy among them), so the request
        // itself has no direct reply: say so (Socket.IO acknowledges it empty).
        authenticated_message: {
          actions: [
            { type: 'publishMessage', params: ({ event }) => ({ frame: event }) },
            { type: 'noReply', params: ({ event }) => ({ id: event.id }) },
          ],
        },
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
                type: 'reply',
                params: ({ context, event }) =>
                  reply(
                    'response',
                    { ok: true, code: 'token_refreshed', message: 'Token refreshed', username: event.output.username, user_id: event.output.userId },
                    context.pending?.id,
                  ),
              },
              // Context still holds the old session here: hand both over before adopting the new one.
              { type: 'sessionRefreshed', params: ({ context, event }) => ({ previous: context.session ?? event.output, next: event.output }) },
              { type: 'adoptSession', params: ({ event }) => ({ session: event.output }) },
            ],
          },
          {
            // Only a refresh this connection started counts; anything else is ignored.
            guard: 'refreshInFlight',
            target: 'revoked',
            actions: [stopChild('refresh'), { type: 'fail', params: ({ context }) => ({ code: 'username_mismatch', id: context.pending?.id }) }],
          },
        ],
        'xstate.error.actor.refresh': {
          guard: 'refreshInFlight',
          target: 'revoked',
          actions: [
            stopChild('refresh'),
            { type: 'fail', params: ({ context, event }) => ({ code: authFailureCode(event.error), id: context.pending?.id }) },
          ],
        },
        REVOKE: { target: 'revoked', actions: { type: 'fail', params: ({ event }) => ({ code: event.code, id: undefined }) } },
        ...channelRequests,
      },
    },
    revoked: {
      // Answer, announce, close; then wait for the transport to confirm (or give up after a grace).
      entry: [
        // The session is over: its channels end now, not when the transport confirms the close.
        'endChannels',
        {
          type: 'reply',
          params: ({ context }) => {
            const code = context.failure?.code ?? 'invalid_token';
            return reply('response', { ok: false, code, message: ERRORS[code].message }, context.failure?.id);
          },
        },
        { type: 'farewell', params: ({ context }) => endOf(context) },
        { type: 'noteClose', params: ({ context }) => endOf(context) },
        { type: 'close', params: ({ context }) => endOf(context) },
      ],
      after: { closeGrace: 'closed' },
      // The close is already under way; shutdown need not wait for the transport's confirmation.
      on: { SHUTDOWN: 'closed' },
    },
    closed: {
      type: 'final',
      entry: 'connectionClosed',
    },
  },
});

export type ConnectionMachine = typeof connectionMachine;
