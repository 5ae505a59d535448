// The connection port over one Socket.IO socket. A client request with an acknowledgement
// callback is given a request id; the direct reply to that id goes to the callback instead
// of an event, and its rate window and liveness live here beside it.

import type { DefaultEventsMap, Socket } from 'socket.io';
import type { ConnectionPort, Farewell, Greeting } from '../actors/ports.js';
import type { Session } from '../auth/session.js';
import { CloseCode, SOCKETIO_PING_INTERVAL_MS, SOCKETIO_PING_TIMEOUT_MS } from '../constants.js';
import { newRateWindow, type RateWindow } from './admission.js';

/** What a socket carries from the handshake middleware to the connection handler. */
export interface SocketIoSocketData {
  session?: Session;
}
export type BeaconSocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketIoSocketData>;
export type Ack = (...args: unknown[]) => void;

export class SocketIoPort implements ConnectionPort {
  readonly transport = 'socket.io' as const;
  readonly rate: RateWindow = newRateWindow();
  lastSeen: number;
  private readonly acks = new Map<number, Ack>();
  private nextId = 0;
  private ended = false;

  constructor(
    private readonly socket: BeaconSocket,
    readonly remoteAddress: string,
    private readonly now: () => number,
  ) {
    this.lastSeen = now();
  }

  /** Remembers an acknowledgement callback and returns the request id standing for it. */
  expect(ack: Ack): number {
    const id = this.nextId++;
    this.acks.set(id, ack);
    return id;
  }

  greet(_greeting: Greeting): void {
    // Socket.IO's own CONNECT packet, sent before the connection reached the actor, is the
    // greeting (and `connect` is a name reserved to it).
  }

  reply(event: string, data: unknown, id: number | undefined): boolean {
    if (this.ended || !this.socket.connected) return false;
    const ack = id === undefined ? undefined : this.acks.get(id);
    if (ack === undefined || id === undefined) return this.push(event, data);
    this.acks.delete(id);
    ack(data);
    return true;
  }

  noReply(id: number): void {
    // An empty acknowledgement, as Flask-SocketIO gave for a handler that returned nothing.
    const ack = this.acks.get(id);
    if (ack === undefined) return;
    this.acks.delete(id);
    ack();
  }

  push(event: string, data: unknown): boolean {
    if (this.ended || !this.socket.connected) return false;
    this.socket.emit(event, data);
    return true;
  }

  farewell(_farewell: Farewell): void {
    // close() sends Socket.IO's DISCONNECT packet, which is the farewell here (the client
    // sees `io server disconnect`); `disconnect` is a name reserved to it.
  }

  close(code: number, _reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.acks.clear();
    // Going away (shutdown, dead peer): drop the transport at once (discard: a long-polling
    // transport would otherwise wait up to 30 s for a poll that may never come), so clients
    // reconnect by themselves, as they did when the Flask server restarted. Anything else:
    // a DISCONNECT packet (`io server disconnect`, no automatic reconnect), and the
    // Engine.IO connection goes too once what it holds (the `response`) is written.
    if (code === CloseCode.goingAway) this.socket.conn.close(true);
    else this.socket.disconnect(true);
  }

  subscribe(topic: string): void {
    if (!this.ended) void this.socket.join(topic);
  }

  unsubscribe(topic: string): void {
    if (!this.ended) void this.socket.leave(topic);
  }

  isAlive(): boolean {
    return !this.ended && this.socket.connected && this.now() - this.lastSeen < SOCKETIO_PING_INTERVAL_MS + SOCKETIO_PING_TIMEOUT_MS;
  }
}
