// The transport's grip on one connection actor: a small object per socket whose methods
// turn transport happenings (a parsed frame, a bad frame, a flood, the socket closing)
// into machine events. Methods live on the prototype so each handle costs two fields.

import type { ConnectionContext, ConnectionEvent } from './connectionTypes.js';
import type { ClientFrame } from './frames.js';
import { LIVE_STATES, echoOf, pongOf } from './connectionSetup.js';
import { ERRORS } from '../errors.js';

export interface ConnectionHandle {
  readonly sid: string;
  /** The machine's state: connected, registering, authenticated, revoked or closed. */
  readonly state: string;
  receive(frame: ClientFrame): void;
  /** A frame failed to parse: answered with invalid_message, nothing else changes. */
  invalid(message: string, id?: number): void;
  /** Frames are being dropped by the transport's rate limit: tell the client, keep the connection. */
  throttled(): void;
  /** The client went on flooding: rate_limited, then close 4008. */
  flood(): void;
  /** The socket is gone (any cause); the actor reaches `closed`. Idempotent. */
  socketClosed(code: number, reason: string): void;
}

/** What the hub needs of a live actor (both the created actor and an action's `self` fit). */
export interface ConnectionActor {
  send(event: ConnectionEvent): void;
  getSnapshot(): { value: unknown; status: string; context: ConnectionContext };
}

export class Handle implements ConnectionHandle {
  constructor(
    readonly sid: string,
    private readonly actor: ConnectionActor,
  ) {}
  get state(): string {
    return String(this.actor.getSnapshot().value);
  }
  receive(frame: ClientFrame): void {
    if (frame.type === 'message' || frame.type === 'ping_manual') {
      // Hot path: the echo and the ping are stateless, so they skip the interpreter (about
      // 40% of the per-frame cost) while answering exactly as the machine's transitions.
      const { status, value, context } = this.actor.getSnapshot();
      if (status !== 'active' || !LIVE_STATES.has(value)) return;
      if (frame.type === 'message') context.port.reply('message', echoOf(context, frame), frame.id);
      else context.port.reply('pong_manual', pongOf(context, frame), frame.id);
      return;
    }
    this.actor.send(frame);
  }
  invalid(message: string, id?: number): void {
    this.actor.send({ type: 'INVALID', message, id });
  }
  throttled(): void {
    // A notice from the transport, like the echo: no state changes, so no interpreter.
    const { status, context } = this.actor.getSnapshot();
    if (status === 'active') {
      context.port.push('response', { ok: false, code: 'rate_limited', message: ERRORS.rate_limited.message });
    }
  }
  flood(): void {
    this.actor.send({ type: 'FLOOD' });
  }
  socketClosed(code: number, reason: string): void {
    // Usually the actor closed first (the server ended the socket); nothing left to tell it.
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'SOCKET_CLOSED', code, reason });
  }
}
