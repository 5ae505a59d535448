// The HTTP(S) front: builds a uWS app per port (TLS and plain), dispatches every request
// through the route table with metrics and error mapping, and drains on shutdown.

import type { HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { AuthFailure } from '../actors/ports.js';
import { BeaconError } from '../errors.js';
import type { Logger } from '../log.js';
import { createReply } from './respond.js';
import { readRequest } from './request.js';
import { ALWAYS_ON, type RouteTable } from './routes.js';
import type { TlsFiles } from './tls.js';
import { uws } from './uws.js';

export interface HttpServerOptions {
  host: string;
  /** undefined: off; 0: an ephemeral port (tests). */
  httpPort: number | undefined;
  httpsPort: number | undefined;
  tls: TlsFiles | undefined;
  trustedProxies: readonly string[];
  routes: RouteTable;
  logger: Logger;
  /** False while starting or draining: only ALWAYS_ON routes answer. */
  accepting(): boolean;
  onRequest(route: string, method: string, status: number): void;
  /** Mounts more handlers (WebSockets) on each app before it listens. */
  mount?: (app: TemplatedApp, secure: boolean) => void;
}

export interface HttpServer {
  readonly httpPort: number | undefined;
  readonly httpsPort: number | undefined;
  readonly apps: readonly TemplatedApp[];
  inFlight(): number;
  /** Stops accepting connections; live ones (and WebSockets) stay until closed. */
  stopListening(): void;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { logger, routes } = options;
  let inFlight = 0;
  const listenSockets: us_listen_socket[] = [];
  const apps: TemplatedApp[] = [];

  const dispatch = (res: HttpResponse, req: Parameters<Parameters<TemplatedApp['any']>[1]>[1]): void => {
    const info = readRequest(res, req, options.trustedProxies);
    const methods = routes.get(info.path);
    const routeLabel = methods === undefined ? 'unmatched' : info.path;
    inFlight++;
    const reply = createReply(res, (status) => {
      inFlight--;
      options.onRequest(routeLabel, info.method, status);
      const level = status >= 500 ? 'error' : 'info';
      logger[level]({ method: info.method, path: info.path, status, address: info.address }, 'http request');
    });
    const handler = methods?.[info.method];
    if (methods === undefined) return reply.error('not_found');
    if (handler === undefined) return reply.error('method_not_allowed', { Allow: Object.keys(methods).join(', ') });
    if (!options.accepting() && !ALWAYS_ON.has(info.path)) return reply.error('unavailable');
    let result: Promise<void> | void;
    try {
      result = handler({ req: info, res, reply });
    } catch (err) {
      return fail(err);
    }
    if (result instanceof Promise) result.catch(fail);

    function fail(err: unknown): void {
      if (err instanceof BeaconError) return reply.error(err);
      if (err instanceof AuthFailure) return reply.error(err.code);
      logger.error({ err, method: info.method, path: info.path }, 'request failed');
      reply.error('internal_error');
    }
  };

  const listen = (app: TemplatedApp, port: number, secure: boolean): Promise<number> =>
    new Promise((resolve, reject) => {
      options.mount?.(app, secure);
      app.any('/*', dispatch);
      app.listen(options.host, port, (socket) => {
        if (socket === false) return reject(new Error(`cannot listen on ${options.host}:${port}`));
        listenSockets.push(socket);
        apps.push(app);
        resolve(uws.us_socket_local_port(socket));
      });
    });

  let httpsPort: number | undefined;
  let httpPort: number | undefined;
  if (options.httpsPort !== undefined) {
    if (options.tls === undefined) throw new Error('HTTPS port without TLS files');
    const app = uws.SSLApp({ cert_file_name: options.tls.certFile, key_file_name: options.tls.keyFile });
    httpsPort = await listen(app, options.httpsPort, true);
  }
  if (options.httpPort !== undefined) httpPort = await listen(uws.App(), options.httpPort, false);

  return {
    httpPort,
    httpsPort,
    apps,
    inFlight: () => inFlight,
    stopListening() {
      for (const socket of listenSockets.splice(0)) uws.us_listen_socket_close(socket);
    },
  };
}
