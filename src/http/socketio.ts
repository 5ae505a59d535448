// The Socket.IO compatibility endpoint (PROTOCOL.md §5): Socket.IO v5 over Engine.IO v4 at
// /socket.io/ on every uWS app, websocket and long-polling with upgrade, driving the same
// connection actor as /ws through a port of its own (acks stand in for request ids).

import type { IncomingMessage } from 'node:http';
import { uServer, type Socket as EngineConnection } from 'engine.io';
import { Server, type DefaultEventsMap, type Socket } from 'socket.io';
import type { TemplatedApp } from 'uWebSockets.js';
import { z } from 'zod';
import type { ConnectionHandle } from '../actors/hub.js';
import { parseClientFrame } from '../actors/frames.js';
import type { Broadcaster, ConnectionPort } from '../actors/ports.js';
import { AuthFailure, authFailureCode, type Session } from '../auth/session.js';
import { CloseCode, MAX_TOKEN_LENGTH, MAX_WS_BACKPRESSURE_BYTES, MAX_WS_FRAME_BYTES } from '../constants.js';
import { ERRORS, type ErrorCode } from '../errors.js';
import { countFrame, type RateWindow } from './rateLimit.js';
import { clientAddress, normaliseAddress } from './request.js';
import { uws } from './uws.js';
import type { TransportOptions } from './ws.js';

/** Engine.IO heartbeat (the socket.io defaults): a peer silent for their sum is dropped. TODO(lead): constants.ts. */
export const SOCKETIO_PING_INTERVAL_MS = 25_000;
export const SOCKETIO_PING_TIMEOUT_MS = 20_000;
export const SOCKETIO_PATH = '/socket.io';
/** RFC 6455 1006: the transport went away without a closing handshake (as uWS reports it on /ws). */
const ABNORMAL_CLOSURE = 1006;
const CLIENT_DISCONNECT_REASON = 'client namespace disconnect';
/** How long shutdown waits for polling clients to collect their last packets. */
export const SOCKETIO_CLOSE_WAIT_MS = 1_000;

/** `auth` of the handshake: the token, or nothing (then register_user, as on /ws). */
const HandshakeAuth = z.strictObject({ token: z.string().max(MAX_TOKEN_LENGTH).optional() });

interface SocketData {
  session?: Session;
}
/** Event names are checked by parseClientFrame, not by types: any name, any arguments. */
export type SocketIoServer = Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>;
type BeaconSocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>;
type Ack = (...args: unknown[]) => void;

export type SocketIoOptions = TransportOptions;

export interface SocketIoEndpoint {
  /** Serves /socket.io/ on one uWS app; call before it listens (for each app, TLS reloads too). */
  mount(app: TemplatedApp): void;
  /**
   * After the hub's shutdown: lets every Engine.IO connection write what it holds (the
   * DISCONNECT packets) for up to SOCKETIO_CLOSE_WAIT_MS, then drops whatever is left.
   */
  close(): Promise<void>;
}

/**
 * A port over one Socket.IO socket. A client request with an acknowledgement callback is
 * given a request id; the direct reply to that id goes to the callback instead of an event.
 */
class SocketIoPort implements ConnectionPort {
  readonly transport = 'socket.io' as const;
  readonly rate: RateWindow = { windowStart: 0, frames: 0 };
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

  /** Calls a still-pending acknowledgement without data: the request had no direct reply. */
  settle(id: number): void {
    const ack = this.acks.get(id);
    if (ack === undefined) return;
    this.acks.delete(id);
    ack();
  }

  send(event: string, data: unknown, id?: number): boolean {
    if (this.ended || !this.socket.connected) return false;
    const ack = id === undefined ? undefined : this.acks.get(id);
    if (ack !== undefined && id !== undefined) {
      this.acks.delete(id);
      ack(data);
      return true;
    }
    // Socket.IO's own CONNECT and DISCONNECT packets play these two roles (and the names
    // are reserved): the client sees `connect`, and `io server disconnect` after close().
    if (event === 'connect' || event === 'disconnect') return true;
    this.socket.emit(event, data);
    return true;
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

/** Publishes to the Socket.IO room named like the topic: one encoding for all its sockets. */
export function socketIoBroadcaster(io: SocketIoServer): Broadcaster {
  return {
    publish(topic, event, data) {
      io.to(topic).emit(event, data);
    },
  };
}

/** Sends every broadcast through each transport's broadcaster (each serialises once). */
export function composeBroadcasters(...broadcasters: readonly Broadcaster[]): Broadcaster {
  return {
    publish(topic, event, data) {
      for (const b of broadcasters) b.publish(topic, event, data);
    },
  };
}

/** The Socket.IO server, before any app serves it (the hub's broadcaster needs it first). */
export function createSocketIoServer(): SocketIoServer {
  return new Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>({ serveClient: false, path: SOCKETIO_PATH });
}

/** Binary attachments are refused like binary /ws frames; walked without recursion. */
function hasBinary(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push(child);
  }
  return false;
}

function refusal(code: ErrorCode, message: string = ERRORS[code].message): Error & { data: { code: ErrorCode } } {
  return Object.assign(new Error(message), { data: { code } });
}

function closeCodeOf(reason: string): number {
  // Server-side ends were already recorded by the actor (the first cause wins).
  return reason === CLIENT_DISCONNECT_REASON ? CloseCode.normal : ABNORMAL_CLOSURE;
}

/** Wires the namespace (auth middleware, one actor per socket) and returns how to mount it. */
export function serveSocketIo(io: SocketIoServer, options: SocketIoOptions): SocketIoEndpoint {
  const { hub, logger } = options;
  const nsp = io.of('/');
  const engines: uServer[] = [];
  /** Engine.IO connections, namespace joined or not (the engine keeps its own list private). */
  const connections = new Set<EngineConnection>();

  nsp.use((socket, next) => {
    const auth = HandshakeAuth.safeParse(socket.handshake.auth);
    if (!auth.success) {
      logger.info({ address: socket.handshake.address }, 'socket.io connect refused: bad handshake auth');
      return next(auth.error.issues.some((i) => i.path[0] === 'token') ? refusal('invalid_token') : refusal('invalid_request', 'Handshake auth may only hold a token'));
    }
    const token = auth.data.token;
    if (token === undefined || token === '') return next();
    options.verifier.verify(token).then(
      (session) => {
        socket.data.session = session;
        next();
      },
      (err: unknown) => {
        const code = authFailureCode(err);
        if (!(err instanceof AuthFailure)) logger.warn({ err }, 'socket.io handshake token check failed');
        logger.info({ address: socket.handshake.address, code }, 'socket.io connect refused: bad token');
        next(refusal(code));
      },
    );
  });

  nsp.on('connection', (socket) => {
    const sid = options.ids.next();
    const forwardedFor = socket.handshake.headers['x-forwarded-for'];
    const address = clientAddress(normaliseAddress(socket.handshake.address), typeof forwardedFor === 'string' ? forwardedFor : '', options.trustedProxies);
    const session = socket.data.session;
    delete socket.data.session;
    logger.info({ sid, address, transport: 'socket.io', preAuthenticated: session !== undefined }, 'connection opened');
    const port = new SocketIoPort(socket, address, options.now);
    const handle = hub.open(port, session === undefined ? { sid } : { sid, session });
    socket.conn.on('packet', () => {
      port.lastSeen = options.now();
    });
    socket.onAny((event: unknown, ...args: unknown[]) => receive(handle, port, sid, event, args));
    socket.on('error', (err) => logger.warn({ err, sid }, 'socket.io socket error'));
    socket.on('disconnect', (reason) => handle.socketClosed(closeCodeOf(reason), reason));
  });

  function receive(handle: ConnectionHandle, port: SocketIoPort, sid: string, event: unknown, args: unknown[]): void {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (args.pop() as Ack) : undefined;
    const verdict = countFrame(port.rate, options.now());
    if (verdict === 'flood') {
      logger.warn({ sid, address: port.remoteAddress }, 'closing flooding connection');
      return handle.flood();
    }
    if (verdict === 'throttled') return handle.throttled();
    if (verdict === 'dropped') return;
    const id = ack === undefined ? undefined : port.expect(ack);
    if (args.length > 1) return handle.invalid('One data argument expected', id);
    if (hasBinary(args[0])) return handle.invalid('Binary data is not supported: send JSON', id);
    const envelope: Record<string, unknown> = { event };
    if (args.length === 1) envelope['data'] = args[0];
    if (id !== undefined) envelope['id'] = id;
    const parsed = parseClientFrame(envelope);
    if (parsed.ok) handle.receive(parsed.frame);
    else handle.invalid(parsed.message, id);
    // Only register_user is answered later (its token check is asynchronous); any other
    // request without a direct reply gets an empty acknowledgement, as Flask-SocketIO gives.
    if (id !== undefined && !(parsed.ok && parsed.frame.type === 'register_user')) port.settle(id);
  }

  const allowRequest = (req: IncomingMessage, callback: (err: string | null, ok: boolean) => void): void => {
    const origin = typeof req.headers['origin'] === 'string' ? req.headers['origin'] : '';
    if (options.allowedOrigins.length > 0 && !options.allowedOrigins.includes(origin)) {
      logger.warn({ origin }, 'socket.io handshake refused: origin not allowed');
      return callback(ERRORS.forbidden_origin.message, false);
    }
    callback(null, true);
  };

  return {
    mount(app) {
      // One engine per app, all bound to the one server: its rooms span every port. Not
      // io.attachApp(): that patches the adapter to publish through one app's uWS topics,
      // which misses sockets of the other app (TLS and plain) and of a reloaded TLS app.
      const engine = new uServer({
        pingInterval: SOCKETIO_PING_INTERVAL_MS,
        pingTimeout: SOCKETIO_PING_TIMEOUT_MS,
        maxHttpBufferSize: MAX_WS_FRAME_BYTES,
        allowRequest,
        cors: { origin: options.allowedOrigins.length === 0 ? true : [...options.allowedOrigins] },
      });
      engine.attach(app, { path: SOCKETIO_PATH, compression: uws.DISABLED, maxBackpressure: MAX_WS_BACKPRESSURE_BYTES });
      io.bind(engine);
      engine.on('connection', (conn: EngineConnection) => {
        connections.add(conn);
        conn.once('close', () => connections.delete(conn));
      });
      engines.push(engine);
    },
    async close() {
      const closed = [...connections].map((conn) => new Promise<void>((resolve) => {
        if (conn.readyState === 'closed') return resolve();
        conn.once('close', () => resolve());
        conn.close();
      }));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SOCKETIO_CLOSE_WAIT_MS);
      });
      await Promise.race([Promise.all(closed), deadline]);
      clearTimeout(timer);
      for (const engine of engines.splice(0)) engine.close();
    },
  };
}
