// The connection port over one uWS socket of /ws: frames are `{event, data, id?}` JSON text,
// written corked, with uWS's backpressure verdict as the send result. Every call is safe
// after the socket closed.

import type { WebSocket } from 'uWebSockets.js';
import type { ConnectionHandle } from '../actors/hub.js';
import type { ConnectionPort, Farewell, Greeting } from '../actors/ports.js';
import { CloseCode } from '../constants.js';
import { WIDE_TOPICS, wideShardTopic } from './wideTopics.js';
import type { Session } from '../auth/session.js';
import type { AdmittedConnection, RateWindow } from './admission.js';

/** What uWS keeps for one /ws socket (its user data). */
export interface WsSocketData {
  sid: string;
  address: string;
  /** A session verified at upgrade, handed to the actor when the socket opens. */
  session: Session | undefined;
  /** The socket's port, which is also what frame admission acts on; set when the socket opens. */
  conn: UwsPort | undefined;
  closed: boolean;
  rate: RateWindow;
  lastSeen: number;
}

/**
 * The socket whose uWS message callback is running. uWS corks a socket for the length of its
 * own callbacks, so a frame to that socket is sent directly; any other send (another socket,
 * a timer, after an await) corks itself. Saves a closure and a native call per echo.
 */
let handling: WebSocket<WsSocketData> | undefined;
export function handlingSocket(ws: WebSocket<WsSocketData> | undefined): void {
  handling = ws;
}

/** uWS's send result for a frame it did not take (closed, or over backpressure). */
const SEND_DROPPED = 2;

/**
 * The actor's port and frame admission's view of the socket in one object per connection
 * (a separate admission record with its own closure cost ~170 bytes per idle connection).
 */
export class UwsPort implements ConnectionPort, AdmittedConnection {
  readonly transport = 'websocket' as const;
  /** The socket's actor; set by the transport right after the hub opened it (no frame is admitted before). */
  handle!: ConnectionHandle;
  constructor(
    private readonly ws: WebSocket<WsSocketData>,
    private readonly data: WsSocketData,
    private readonly idleMs: number,
    private readonly now: () => number,
  ) {}
  get remoteAddress(): string {
    return this.data.address;
  }
  get sid(): string {
    return this.data.sid;
  }
  get address(): string {
    return this.data.address;
  }
  get rate(): RateWindow {
    return this.data.rate;
  }
  closeTooBig(): void {
    this.data.closed = true;
    this.ws.end(CloseCode.messageTooBig, 'Message too big');
  }
  greet(greeting: Greeting): void {
    this.write(JSON.stringify({ event: 'connect', data: greeting }));
  }
  reply(event: string, data: unknown, id: number | undefined): boolean {
    return this.write(JSON.stringify(id === undefined ? { event, data } : { event, data, id }));
  }
  noReply(_id: number): void {
    // A request without a direct reply gets nothing on /ws: its id simply has no answer frame.
  }
  push(event: string, data: unknown): boolean {
    return this.write(JSON.stringify({ event, data }));
  }
  farewell(farewell: Farewell): void {
    this.write(JSON.stringify({ event: 'disconnect', data: farewell }));
  }
  close(code: number, reason: string): void {
    if (this.data.closed) return;
    this.data.closed = true;
    this.ws.end(code, reason);
  }
  subscribe(topic: string): void {
    if (!this.data.closed) this.ws.subscribe(WIDE_TOPICS.has(topic) ? wideShardTopic(topic, this.data.sid) : topic);
  }
  unsubscribe(topic: string): void {
    if (!this.data.closed) this.ws.unsubscribe(WIDE_TOPICS.has(topic) ? wideShardTopic(topic, this.data.sid) : topic);
  }
  isAlive(): boolean {
    return !this.data.closed && this.now() - this.data.lastSeen < this.idleMs;
  }
  private write(frame: string): boolean {
    if (this.data.closed) return false;
    if (handling === this.ws) return this.ws.send(frame, false, false) !== SEND_DROPPED;
    let result = SEND_DROPPED;
    this.ws.cork(() => {
      result = this.ws.send(frame, false, false);
    });
    return result !== SEND_DROPPED;
  }
}
