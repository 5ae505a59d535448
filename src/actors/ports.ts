// The boundaries of the actor layer: what a connection actor needs from the transport
// (a port per socket, one implementation per protocol) and from the rest of the server
// (token checks, the event log, broadcasts). The actor layer never imports uWS or SQLite.

import type { Session } from '../auth/session.js';

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
