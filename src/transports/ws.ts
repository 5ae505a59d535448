// The /ws endpoint on uWS: upgrades pass the shared checks (origin, token at upgrade), each
// socket drives one connection actor through a UwsPort, frames pass the shared admission
// (size, rate, flood) and are parsed with zod before they reach the actor.

import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t } from 'uWebSockets.js';
import { parseClientText } from '../actors/frames.js';
import { MAX_WS_BACKPRESSURE_BYTES, WS_IDLE_TIMEOUT_SECONDS, WS_TRANSPORT_FRAME_LIMIT_BYTES } from '../constants.js';
import type { Session } from '../auth/session.js';
import { clientAddress, peerAddress } from '../http/request.js';
import { createReply } from '../http/respond.js';
import { uws } from '../http/uws.js';
import { admitFrame, newRateWindow, refundSubscription } from './admission.js';
import type { TransportOptions } from './options.js';
import { checkOrigin, checkUpgradeToken, isRefusal } from './upgrade.js';
import { handlingSocket, UwsPort, type WsSocketData } from './wsPort.js';

export interface WsOptions extends TransportOptions {
  /** Close a socket silent this long (default WS_IDLE_TIMEOUT_SECONDS; config WS_IDLE_TIMEOUT_SECONDS). */
  idleTimeoutSeconds?: number;
}

const decoder = new TextDecoder();

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
    const asker = { transport: 'websocket', address } as const;
    // The same JSON error answers as every HTTP route; no request metric for upgrades.
    const reply = createReply(res, () => undefined);
    const refused = checkOrigin(options, origin, asker);
    if (refused !== undefined) return reply.error(refused.code);
    // A fenced cluster node (it cannot follow the log) takes no new socket: 503, try another node.
    if (hub.fenced) return reply.error('node_unavailable');
    const finish = (session: Session | undefined): void => {
      if (reply.aborted) return;
      const data: WsSocketData = {
        sid: options.ids.next(),
        address,
        session,
        conn: undefined,
        closed: false,
        rate: newRateWindow(),
        lastSeen: options.now(),
      };
      res.cork(() => res.upgrade(data, key, protocol, extensions, context));
    };
    if (token === '') return finish(undefined);
    void checkUpgradeToken(options, token, asker).then(async (checked) => {
      if (isRefusal(checked)) return reply.error(checked.code);
      // Opening an authenticated socket is a session setup: it takes its turn like register_user's.
      await hub.setupTurn();
      finish(checked);
    });
  };

  app.ws<WsSocketData>('/ws', {
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
      port.handle = hub.open(port, data.session === undefined ? { sid: data.sid } : { sid: data.sid, session: data.session });
      data.session = undefined;
      data.conn = port;
    },
    message(ws, message, isBinary) {
      const data = ws.getUserData();
      const conn = data.conn;
      if (conn === undefined || data.closed) return;
      const now = options.now();
      data.lastSeen = now;
      if (!admitFrame(conn, now, message.byteLength, logger)) return;
      const handle = conn.handle;
      if (isBinary) return handle.invalid('Binary frames are not supported: send JSON text');
      const parsed = parseClientText(decoder.decode(message));
      handlingSocket(ws);
      try {
        if (parsed.ok) {
          refundSubscription(conn.rate, parsed.frame);
          handle.receive(parsed.frame);
        } else handle.invalid(parsed.message, parsed.id);
      } finally {
        handlingSocket(undefined);
      }
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
      data.conn?.handle.socketClosed(code, reason);
    },
  });
}
