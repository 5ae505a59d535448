// The Socket.IO compatibility endpoint: Socket.IO v5 over Engine.IO v4 at /socket.io/ on
// every uWS app, websocket and long-polling with upgrade, driving the same connection actor
// as /ws through a port of its own, behind the same upgrade checks and frame admission.

import type { IncomingMessage } from 'node:http';
import { uServer, type Socket as EngineConnection } from 'engine.io';
import { Server, type DefaultEventsMap } from 'socket.io';
import type { TemplatedApp } from 'uWebSockets.js';
import { z } from 'zod';
import { parseClientFrame } from '../actors/frames.js';
import {
  CloseCode,
  MAX_TOKEN_LENGTH,
  MAX_WS_BACKPRESSURE_BYTES,
  MAX_WS_FRAME_BYTES,
  SOCKETIO_PING_INTERVAL_MS,
  SOCKETIO_PING_TIMEOUT_MS,
} from '../constants.js';
import { clientAddress, normaliseAddress } from '../http/request.js';
import { uws } from '../http/uws.js';
import { admitFrame, refundSubscription, type AdmittedConnection } from './admission.js';
import type { TransportOptions } from './options.js';
import { SocketIoPort, type Ack, type SocketIoSocketData } from './socketIoPort.js';
import { ERRORS } from '../errors.js';
import { checkOrigin, checkUpgradeToken, isRefusal, refusal, type Refusal } from './upgrade.js';

export const SOCKETIO_PATH = '/socket.io';
/** RFC 6455 1006: the transport went away without a closing handshake (as uWS reports it on /ws). */
const ABNORMAL_CLOSURE = 1006;
const CLIENT_DISCONNECT_REASON = 'client namespace disconnect';
/** How long shutdown waits for polling clients to collect their last packets. */
export const SOCKETIO_CLOSE_WAIT_MS = 1_000;
/**
 * Engine.IO enforces the size limit itself (maxHttpBufferSize = MAX_WS_FRAME_BYTES, for a
 * websocket message and a polling body alike): what reaches admission is within it.
 */
const WITHIN_ENGINE_LIMIT = 0;

/** `auth` of the handshake: the token, or nothing (then register_user, as on /ws). */
const HandshakeAuth = z.strictObject({ token: z.string().max(MAX_TOKEN_LENGTH).optional() });

/** Event names are checked by parseClientFrame, not by types: any name, any arguments. */
export type SocketIoServer = Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketIoSocketData>;

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

/** The Socket.IO server, before any app serves it (the hub's broadcaster needs it first). */
export function createSocketIoServer(): SocketIoServer {
  return new Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketIoSocketData>({ serveClient: false, path: SOCKETIO_PATH });
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

/** A refused namespace connection as the client sees it: an error with the message and `data: {code}`. */
function connectError(refused: Refusal): Error & { data: { code: Refusal['code'] } } {
  return Object.assign(new Error(refused.message), { data: { code: refused.code } });
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
    const asker = { transport: 'socket.io', address: socket.handshake.address } as const;
    const auth = HandshakeAuth.safeParse(socket.handshake.auth);
    if (!auth.success) {
      logger.info(asker, 'upgrade refused: bad handshake auth');
      return next(connectError(auth.error.issues.some((i) => i.path[0] === 'token') ? refusal('invalid_token') : refusal('invalid_request', 'Handshake auth may only hold a token')));
    }
    const token = auth.data.token;
    if (token === undefined || token === '') return next();
    void checkUpgradeToken(options, token, asker).then(async (checked) => {
      if (isRefusal(checked)) return next(connectError(checked));
      socket.data.session = checked;
      // A session setup, like register_user's: it takes its turn (setupLane.ts).
      await hub.setupTurn();
      next();
    });
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
    const conn: AdmittedConnection = {
      sid,
      address,
      rate: port.rate,
      handle,
      // Not reached while the engine enforces the size (WITHIN_ENGINE_LIMIT); kept truthful anyway.
      closeTooBig: () => port.close(CloseCode.messageTooBig, 'Message too big'),
    };
    socket.onAny((event: unknown, ...args: unknown[]) => receive(conn, port, event, args));
    socket.on('error', (err) => logger.warn({ err, sid }, 'socket.io socket error'));
    socket.on('disconnect', (reason) => handle.socketClosed(closeCodeOf(reason), reason));
  });

  function receive(conn: AdmittedConnection, port: SocketIoPort, event: unknown, args: unknown[]): void {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (args.pop() as Ack) : undefined;
    if (!admitFrame(conn, options.now(), WITHIN_ENGINE_LIMIT, logger)) return;
    const handle = conn.handle;
    const id = ack === undefined ? undefined : port.expect(ack);
    if (args.length > 1) return handle.invalid('One data argument expected', id);
    if (hasBinary(args[0])) return handle.invalid('Binary data is not supported: send JSON', id);
    const envelope: Record<string, unknown> = { event };
    if (args.length === 1) envelope['data'] = args[0];
    if (id !== undefined) envelope['id'] = id;
    const parsed = parseClientFrame(envelope);
    // The actor answers the id (the acknowledgement) once: a reply, an empty ack, or the close.
    if (parsed.ok) {
      refundSubscription(conn.rate, parsed.frame);
      handle.receive(parsed.frame);
    } else handle.invalid(parsed.message, id);
  }

  const allowRequest = (req: IncomingMessage, callback: (err: string | null, ok: boolean) => void): void => {
    const origin = typeof req.headers['origin'] === 'string' ? req.headers['origin'] : '';
    const refused = checkOrigin(options, origin, { transport: 'socket.io', address: normaliseAddress(req.connection?.remoteAddress ?? '') });
    // uServer fills `connection.remoteAddress` only; Engine.IO answers the refusal 403 with this message.
    if (refused !== undefined) return callback(refused.message, false);
    // A fenced cluster node takes no new session (Engine.IO answers the refusal with this message).
    if (hub.fenced) return callback(ERRORS.node_unavailable.message, false);
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
