// The boundaries of the actor layer: what a connection actor needs from the transport
// (a port per socket, one implementation per protocol) and from the rest of the server
// (token checks, the event log, broadcasts). The actor layer never imports uWS or SQLite.

import type { ErrorCode } from '../errors.js';

/** A verified session: who a token belongs to and when it stops being valid. */
export interface Session {
  readonly username: string;
  readonly userId: number;
  readonly jti: string;
  /** Token expiry, epoch seconds. */
  readonly exp: number;
}

/** One socket, as the actor sees it. Implemented by each transport (/ws, Socket.IO). */
export interface ConnectionPort {
  readonly transport: 'websocket' | 'socket.io';
  readonly remoteAddress: string;
  /**
   * Send one server event. `id` is the client request's id for direct replies.
   * Returns false when the frame was not accepted (socket closed or over backpressure).
   */
  send(event: string, data: unknown, id?: number): boolean;
  /** Close the socket with a WebSocket close code. Idempotent. */
  close(code: number, reason: string): void;
  /** Join / leave a broadcast topic (uWS topics, Socket.IO rooms). */
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Whether the peer answered the last liveness check (for `check_connections`). */
  isAlive(): boolean;
}

/** Publishes one pre-serialised broadcast to every subscriber of a topic, on every transport. */
export interface Broadcaster {
  publish(topic: string, event: string, data: unknown): void;
}

/** A token check failure carries a catalogued code (invalid_token, token_expired, ...). */
export class AuthFailure extends Error {
  constructor(readonly code: ErrorCode) {
    super(code);
    this.name = 'AuthFailure';
  }
}

export interface TokenVerifier {
  /** Resolves with the session or rejects with AuthFailure. Checks signature, claims, blacklist. */
  verify(token: string): Promise<Session>;
}
