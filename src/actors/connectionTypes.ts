// The vocabulary of the connection machine: its input, context, events and the named
// constants its transitions use. Kept apart from the machine so the transport, the hub
// and tests can import types without the machine definition.

import { DEFAULT_AUTH_TIMEOUT_SECONDS } from '../constants.js';
import type { ErrorCode } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Session } from '../auth/session.js';
import type { ConnectionPort } from './ports.js';
import type { ClientFrame } from './frames.js';

/** setTimeout's largest delay (2^31-1 ms, ~24.8 days); longer expiries re-arm. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long `revoked` waits for the transport to confirm the close before giving up on it. */
export const REVOKED_CLOSE_GRACE_MS = 1_000;
export const AUTH_TIMEOUT_REASON = 'Authentication timeout';
export const SHUTDOWN_REASON = 'Server shutting down';
export const CLIENT_CLOSE_REASON = 'Client disconnected';
/** Every connection starts with this one empty set (most never subscribe: no Set each). */
export const NO_CHANNELS: ReadonlySet<string> = new Set<string>();

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

/** Why an authenticated session is ended from outside: revocations, and the admin API's kick and disable. */
export type RevokeCode = 'token_revoked' | 'session_replaced' | 'token_expired' | 'kicked' | 'account_disabled' | 'node_unavailable';

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
  /**
   * The channels this connection is subscribed to (those being set up included). The hub's
   * channel router decides and tells the machine; closing the connection ends them all.
   */
  channels: ReadonlySet<string>;
}

export type ConnectionEvent =
  | ClientFrame
  | { type: 'INVALID'; message: string; id: number | undefined }
  | { type: 'FLOOD' }
  | { type: 'SHUTDOWN' }
  | { type: 'SOCKET_CLOSED'; code: number; reason: string }
  | { type: 'REVOKE'; code: RevokeCode }
  | { type: 'CHANNEL_ADDED'; channel: string }
  | { type: 'CHANNEL_REMOVED'; channel: string }
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
