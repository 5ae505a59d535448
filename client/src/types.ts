// The events a BeaconClient emits, and its options: the application's side of the library.

import type { Greeting, Publication, PresenceList, ServerEvents, StreamPosition } from '../../src/protocol/index.js';
import type { BackoffOptions } from './backoff.js';
import type { BeaconError } from './errors.js';
import type { Timers, WebSocketConstructor } from './host.js';

/**
 * What getToken gives: a token (its `username` claim is sent with it), a token with the
 * username to claim, or null to connect without one.
 */
export type TokenAnswer = string | { token: string; username: string } | null;

export type ClientState = 'idle' | 'connecting' | 'connected' | 'authenticated' | 'disconnected';

export interface ClientOptions {
  /** `ws://host:5001/ws` or `wss://host:5000/ws`. */
  url: string;
  /**
   * Returns a token for the user. Called at the first connect, a margin before the token
   * expires, and when reconnecting without a token that is still good, with `current`, the
   * token the client holds (undefined at connect()). To refresh without reconnecting,
   * exchange `current` with `POST /refresh-token` (see loginTokens); a `POST /login-token`
   * instead replaces the token and closes its connections (4004), so the client reconnects.
   * Without getToken (or when it answers null) the connection stays anonymous.
   */
  getToken?: (current?: string) => TokenAnswer | Promise<TokenAnswer>;
  /** The WebSocket class: the global one by default; pass `ws`'s in Node 20. */
  WebSocket?: WebSocketConstructor;
  /** Backoff of reconnections (full jitter), or false never to reconnect. */
  reconnect?: BackoffOptions | false;
  /** A request not answered within this rejects with `timeout`. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Ask for a fresh token this long before `exp` (at most a quarter of its lifetime). Default 60 000 ms. */
  refreshMarginMs?: number;
  /** Injected for tests: the clock and timers, and the jitter's random source. */
  timers?: Timers;
  random?: () => number;
}

export interface Disconnected {
  /** The close code; 0 when no socket was opened (getToken failed, the token had expired). */
  code: number;
  reason: string;
  /** The close code in words. */
  meaning: string;
  /** Whether the client comes back by itself, and after how long. */
  reconnect: boolean;
  delayMs: number | null;
}

export interface SubscribedEvent {
  channel: string;
  epoch: string;
  offset: number;
  /** The position a resubscription asked to recover from, null on a first subscribe. */
  since: StreamPosition | null;
  /** With `since`: false when what came after it is lost (reload the channel's state). */
  recovered: boolean;
  /** The recovered publications not seen before, in order; each also follows as a `publication` event. */
  publications: Publication[];
  presence: PresenceList | null;
}

export interface IncomingFrame {
  event: string;
  data: unknown;
  id?: number;
  raw: string;
}

/** Pushes handed on as they are; `channel_presence` here is the server's snapshot under a join/leave storm. */
type Pushes = Pick<ServerEvents, 'message' | 'authenticated_message' | 'user_status' | 'user_count' | 'join' | 'leave' | 'channel_presence'>;

export interface BeaconClientEvents extends Pushes {
  state: { state: ClientState; previous: ClientState };
  connecting: { attempt: number };
  connected: Greeting;
  authenticated: { username: string; user_id: number };
  /** A fresh token is in use; `reconnected` when getting it ended the old connection (4004). */
  token_refreshed: { username: string; user_id: number; reconnected: boolean };
  /** The token expired before a fresh one took its place; said once per token. */
  token_expired: { message: string };
  disconnected: Disconnected;
  subscribed: SubscribedEvent;
  /** Each publication once, in order; `recovered` for those a resubscription brought back. */
  publication: Publication & { recovered: boolean };
  /** The subscription ended: `client` (unsubscribe), the server's reason, or why resubscribing was refused. */
  unsubscribed: { channel: string; reason: string };
  error: BeaconError;
  /** Every frame received, and every frame sent, as they are (logs, consoles). */
  frame: IncomingFrame;
  sent: { raw: string };
}
