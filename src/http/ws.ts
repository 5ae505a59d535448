// The /ws endpoint on uWS: upgrades (Origin allow-list, optional ?token= checked before
// the upgrade), one connection actor per socket through a small port, frame parsing with
// zod, a per-connection rate limit, backpressure-aware sends and topic broadcasts.

import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_socket_context_t } from 'uWebSockets.js';
import type { ConnectionHandle, Hub } from '../actors/hub.js';
import { parseClientText } from '../actors/frames.js';
import type { Broadcaster, ConnectionPort } from '../actors/ports.js';
import { AuthFailure, authFailureCode, type Session, type TokenVerifier } from '../auth/session.js';
import type { IdSource } from '../clock.js';
import {
  MAX_TOKEN_LENGTH,
  MAX_WS_BACKPRESSURE_BYTES,
  MAX_WS_FRAME_BYTES,
  WS_TRANSPORT_FRAME_LIMIT_BYTES,
  WS_IDLE_TIMEOUT_SECONDS,
} from '../constants.js';
import { CloseCode } from '../constants.js';
import type { Logger } from '../log.js';
import { countFrame } from './rateLimit.js';
import { clientAddress, peerAddress } from './request.js';
import { createReply } from './respond.js';
import { uws } from './uws.js';

interface SocketData {
  sid: string;
  address: string;
  session: Session | undefined;
  handle: ConnectionHandle | undefined;
  closed: boolean;
  windowStart: number;
  frames: number;
  lastSeen: number;
}

/** What every socket transport (/ws, Socket.IO) needs from the server. */
export interface TransportOptions {
  hub: Hub;
  ids: IdSource;
  verifier: TokenVerifier;
  allowedOrigins: readonly string[];
  trustedProxies: readonly string[];
  logger: Logger;
  now(): number;
}

export interface WsOptions extends TransportOptions {
  /** Close a socket silent this long (default WS_IDLE_TIMEOUT_SECONDS; config WS_IDLE_TIMEOUT_SECONDS). */
  idleTimeoutSeconds?: number;
}

const SEND_DROPPED = 2;
const decoder = new TextDecoder();

/** A port over one uWS socket; every call is safe after the socket closed. */
class UwsPort implements ConnectionPort {
  readonly transport = 'websocket' as const;
  constructor(
    private readonly ws: WebSocket<SocketData>,
    private readonly data: SocketData,
    private readonly idleMs: number,
    private readonly now: () => number,
  ) {}
  get remoteAddress(): string {
    return this.data.address;
  }
  send(event: string, data: unknown, id?: number): boolean {
    if (this.data.closed) return false;
    const frame = JSON.stringify(id === undefined ? { event, data } : { event, data, id });
    let result = SEND_DROPPED;
    this.ws.cork(() => {
      result = this.ws.send(frame, false, false);
    });
    return result !== SEND_DROPPED;
  }
  close(code: number, reason: string): void {
    if (this.data.closed) return;
    this.data.closed = true;
    this.ws.end(code, reason);
  }
  subscribe(topic: string): void {
    if (!this.data.closed) this.ws.subscribe(topic);
  }
  unsubscribe(topic: string): void {
    if (!this.data.closed) this.ws.unsubscribe(topic);
  }
  isAlive(): boolean {
    return !this.data.closed && this.now() - this.data.lastSeen < this.idleMs;
  }
}

/** Publishes one serialisation of a broadcast to every app (TLS and plain). */
export function uwsBroadcaster(apps: () => readonly TemplatedApp[]): Broadcaster {
  return {
    publish(topic, event, data) {
      const frame = JSON.stringify({ event, data });
      for (const app of apps()) app.publish(topic, frame, false, false);
    },
  };
}

export function mountWebSocket(app: TemplatedApp, options: WsOptions): void {
  const { hub, logger } = options;
  const idleTimeoutSeconds = options.idleTimeoutSeconds ?? WS_IDLE_TIMEOUT_SECONDS;
  const idleMs = idleTimeoutSeconds * 1000;

  const upgrade = (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
    // Everything needed from `req` is copied now: it is gone after the first await.
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const origin = req.getHeader('origin');
    const token = req.getQuery('token') ?? '';
    const address = clientAddress(peerAddress(res), req.getHeader('x-forwarded-for'), options.trustedProxies);
    // The same JSON error answers as every HTTP route; no request metric for upgrades.
    const reply = createReply(res, () => undefined);
    if (options.allowedOrigins.length > 0 && !options.allowedOrigins.includes(origin)) {
      logger.warn({ address, origin }, 'upgrade refused: origin not allowed');
      return reply.error('forbidden_origin');
    }
    const finish = (session: Session | undefined): void => {
      if (reply.aborted) return;
      const data: SocketData = {
        sid: options.ids.next(),
        address,
        session,
        handle: undefined,
        closed: false,
        windowStart: 0,
        frames: 0,
        lastSeen: options.now(),
      };
      res.cork(() => res.upgrade(data, key, protocol, extensions, context));
    };
    if (token === '') return finish(undefined);
    if (token.length > MAX_TOKEN_LENGTH) return reply.error('invalid_token');
    options.verifier.verify(token).then(finish, (err: unknown) => {
      const code = authFailureCode(err);
      if (!(err instanceof AuthFailure)) logger.warn({ err, address }, 'upgrade token check failed');
      logger.info({ address, code }, 'upgrade refused: bad token');
      reply.error(code);
    });
  };

  app.ws<SocketData>('/ws', {
    compression: uws.DISABLED,
    maxPayloadLength: WS_TRANSPORT_FRAME_LIMIT_BYTES,
    maxBackpressure: MAX_WS_BACKPRESSURE_BYTES,
    closeOnBackpressureLimit: 1,
    idleTimeout: idleTimeoutSeconds,
    sendPingsAutomatically: true,
    upgrade,
    open(ws) {
      const data = ws.getUserData();
      logger.info({ sid: data.sid, address: data.address, preAuthenticated: data.session !== undefined }, 'connection opened');
      const port = new UwsPort(ws, data, idleMs, options.now);
      data.handle = hub.open(port, data.session === undefined ? { sid: data.sid } : { sid: data.sid, session: data.session });
      data.session = undefined;
    },
    message(ws, message, isBinary) {
      const data = ws.getUserData();
      const handle = data.handle;
      if (handle === undefined || data.closed) return;
      if (message.byteLength > MAX_WS_FRAME_BYTES) {
        logger.warn({ sid: data.sid, bytes: message.byteLength }, 'closing: frame too big');
        data.closed = true;
        ws.end(CloseCode.messageTooBig, 'Message too big');
        return;
      }
      const now = options.now();
      data.lastSeen = now;
      // Over the rate: dropped unread. Going on past the second threshold closes with 4008.
      const verdict = countFrame(data, now);
      if (verdict !== 'pass') {
        if (verdict === 'flood') {
          logger.warn({ sid: data.sid, address: data.address }, 'closing flooding connection');
          handle.flood();
        } else if (verdict === 'throttled') {
          handle.throttled();
        }
        return;
      }
      if (isBinary) return handle.invalid('Binary frames are not supported: send JSON text');
      const parsed = parseClientText(decoder.decode(message));
      if (parsed.ok) handle.receive(parsed.frame);
      else handle.invalid(parsed.message, parsed.id);
    },
    pong(ws) {
      ws.getUserData().lastSeen = options.now();
    },
    drain(ws) {
      ws.getUserData().lastSeen = options.now();
    },
    close(ws, code, message) {
      const data = ws.getUserData();
      data.closed = true;
      const reason = decoder.decode(message);
      data.handle?.socketClosed(code, reason);
    },
  });
}
