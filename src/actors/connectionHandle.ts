// The transport's grip on one connection actor: a small object per socket whose methods
// turn transport happenings (a parsed frame, a bad frame, a flood, the socket closing)
// into machine events. Methods live on the prototype so each handle costs two fields.

import type { ConnectionContext, ConnectionEvent } from './connectionTypes.js';
import type { ClientFrame } from './frames.js';

export interface ConnectionHandle {
  readonly sid: string;
  /** The machine's state: connected, registering, authenticated, revoked or closed. */
  readonly state: string;
  receive(frame: ClientFrame): void;
  /** A frame failed to parse: answered with invalid_message, nothing else changes. */
  invalid(message: string, id?: number): void;
  /** The transport's rate limit tripped: rate_limited, then close 4008. */
  flood(): void;
  /** The socket is gone (any cause); the actor reaches `closed`. Idempotent. */
  socketClosed(code: number, reason: string): void;
}

/** What the hub needs of a live actor (both the created actor and an action's `self` fit). */
export interface ConnectionActor {
  send(event: ConnectionEvent): void;
  getSnapshot(): { value: unknown; context: ConnectionContext };
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
    this.actor.send(frame);
  }
  invalid(message: string, id?: number): void {
    this.actor.send({ type: 'INVALID', message, id });
  }
  flood(): void {
    this.actor.send({ type: 'FLOOD' });
  }
  socketClosed(code: number, reason: string): void {
    this.actor.send({ type: 'SOCKET_CLOSED', code, reason });
  }
}
