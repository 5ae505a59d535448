// The boundaries of the actor layer: what a connection actor needs from the transport
// (a port per socket, one implementation per protocol) and from the rest of the server
// (token checks, the event log, broadcasts). The actor layer never imports uWS or SQLite.

/** The first thing a connection is told: `connect`. */
export interface Greeting {
  readonly sid: string;
  readonly state: 'connected';
  readonly server_time: number;
}

/** The last thing a connection the server ends is told: `disconnect`, with its close code. */
export interface Farewell {
  readonly code: number;
  readonly reason: string;
}

/**
 * One socket, as the actor sees it. Implemented by each transport (/ws, Socket.IO). The
 * actor says what each frame is (a reply, a push, a lifecycle frame) and answers every
 * client request it is handed exactly once: with `reply`, with `noReply`, or (for a
 * request that ends the connection) by closing. The transport only renders that.
 */
export interface ConnectionPort {
  readonly transport: 'websocket' | 'socket.io';
  readonly remoteAddress: string;
  /** /ws: a `connect` frame. Socket.IO: its own CONNECT packet already greeted the client. */
  greet(greeting: Greeting): void;
  /**
   * The direct reply to a client request; `id` is the request's, undefined when it carried
   * none. /ws: the frame with that id. Socket.IO: the request's acknowledgement when it
   * asked for one, else the event. False when not accepted (closed, over backpressure).
   */
  reply(event: string, data: unknown, id: number | undefined): boolean;
  /** Request `id` was handled and has no direct reply. Socket.IO: an empty acknowledgement; /ws: nothing. */
  noReply(id: number): void;
  /** A frame that answers no request (a notice, a directed message). False when not accepted. */
  push(event: string, data: unknown): boolean;
  /** Before the server closes: /ws sends `disconnect` {code, reason}; Socket.IO's close() sends its DISCONNECT packet. */
  farewell(farewell: Farewell): void;
  /** Close the socket with a WebSocket close code. Idempotent. */
  close(code: number, reason: string): void;
  /** Join a broadcast topic (uWS topics, Socket.IO rooms); closing the socket leaves them all. */
  subscribe(topic: string): void;
  /** Leave a broadcast topic (a channel the connection unsubscribed from). */
  unsubscribe(topic: string): void;
  /** Whether the peer answered the last liveness check (for `check_connections`). */
  isAlive(): boolean;
}

/** Publishes one pre-serialised broadcast to every subscriber of a topic, on every transport. */
export interface Broadcaster {
  publish(topic: string, event: string, data: unknown): void;
}
