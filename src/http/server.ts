// The HTTP(S) front: builds a uWS app per port (TLS and plain), dispatches every request
// through the route table with metrics and error mapping, swaps the TLS certificate without
// a restart (a second SSLApp on the same port takes over new connections), and drains.

import type { HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { AuthFailure } from '../auth/session.js';
import { BeaconError } from '../errors.js';
import type { Logger } from '../log.js';
import { createReply } from './respond.js';
import { readRequest } from './request.js';
import { ALWAYS_ON, type RouteLookup } from './routes.js';
import type { TlsFiles } from './tls.js';
import { uws } from './uws.js';
import { assertPortFree } from './portCheck.js';

export interface HttpServerOptions {
  host: string;
  /** undefined: off; 0: an ephemeral port (tests). */
  httpPort: number | undefined;
  httpsPort: number | undefined;
  tls: TlsFiles | undefined;
  trustedProxies: readonly string[];
  routes: RouteLookup;
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
  /**
   * Every app that may hold live sockets, for broadcasts. A live array: a TLS reload adds
   * the new app and keeps the old one, whose WebSockets stay open until they close.
   */
  readonly apps: readonly TemplatedApp[];
  inFlight(): number;
  /** Resolves once no request is in flight (at once if none is). */
  idle(): Promise<void>;
  /**
   * Serves new HTTPS connections with these files; live connections keep the old
   * certificate. Rejects (and keeps the old certificate) when the files do not load.
   */
  reloadTls(files: TlsFiles): Promise<void>;
  /** Stops accepting connections; live ones (and WebSockets) stay until closed. */
  stopListening(): void;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { logger, routes } = options;
  let inFlight = 0;
  const idleWaiters: Array<() => void> = [];
  let httpSocket: us_listen_socket | undefined;
  let httpsSocket: us_listen_socket | undefined;
  let stopped = false;
  const apps: TemplatedApp[] = [];

  const dispatch = (res: HttpResponse, req: Parameters<Parameters<TemplatedApp['any']>[1]>[1]): void => {
    const info = readRequest(res, req, options.trustedProxies);
    const methods = routes.get(info.path);
    // Paths that carry names (the admin API's) are labelled by their pattern, so the metric stays bounded.
    const routeLabel = methods === undefined ? 'unmatched' : (routes.label?.(info.path) ?? info.path);
    inFlight++;
    const reply = createReply(res, (status) => {
      inFlight--;
      if (inFlight === 0 && idleWaiters.length > 0) {
        for (const wake of idleWaiters.splice(0)) wake();
      }
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

  const listen = (app: TemplatedApp, port: number, secure: boolean): Promise<us_listen_socket> =>
    new Promise((resolve, reject) => {
      options.mount?.(app, secure);
      app.any('/*', dispatch);
      app.listen(options.host, port, (socket) => {
        if (socket === false) return reject(new Error(`cannot listen on ${options.host}:${port}`));
        apps.push(app);
        resolve(socket);
      });
    });

  let httpsPort: number | undefined;
  let httpPort: number | undefined;
  if (options.httpsPort !== undefined) {
    if (options.tls === undefined) throw new Error('HTTPS port without TLS files');
    await assertPortFree(options.host, options.httpsPort, 'HTTPS_PORT');
    httpsSocket = await listen(sslApp(options.tls), options.httpsPort, true);
    httpsPort = uws.us_socket_local_port(httpsSocket);
  }
  if (options.httpPort !== undefined) {
    await assertPortFree(options.host, options.httpPort, 'HTTP_PORT');
    httpSocket = await listen(uws.App(), options.httpPort, false);
    httpPort = uws.us_socket_local_port(httpSocket);
  }

  // Reloads run one at a time, so two quick SIGHUPs never leave two listeners behind.
  let reloading: Promise<void> = Promise.resolve();
  const reload = async (files: TlsFiles): Promise<void> => {
    if (httpsPort === undefined || httpsSocket === undefined) throw new Error('HTTPS is off: no certificate to reload');
    if (stopped) throw new Error('the server is draining');
    const app = sslApp(files);
    // Linux SO_REUSEPORT (uSockets' default) lets the new socket bind the port the old one
    // holds; once the old one closes, the kernel hands every new connection to the new one.
    const socket = await listen(app, httpsPort, true);
    uws.us_listen_socket_close(httpsSocket);
    httpsSocket = socket;
    logger.info({ certFile: files.certFile, port: httpsPort, apps: apps.length }, 'TLS certificate reloaded');
  };

  return {
    httpPort,
    httpsPort,
    apps,
    inFlight: () => inFlight,
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    reloadTls(files) {
      const next = reloading.then(() => reload(files));
      // The chain only orders reloads; the caller gets (and logs) this one's failure.
      reloading = next.catch(() => undefined);
      return next;
    },
    stopListening() {
      stopped = true;
      for (const socket of [httpsSocket, httpSocket]) if (socket !== undefined) uws.us_listen_socket_close(socket);
      httpsSocket = httpSocket = undefined;
    },
  };
}

/** uWS reads both files here and throws a bare "App construction failed" when they do not load. */
function sslApp(files: TlsFiles): TemplatedApp {
  try {
    return uws.SSLApp({ cert_file_name: files.certFile, key_file_name: files.keyFile });
  } catch (err) {
    throw new Error(`cannot load ${files.certFile} and ${files.keyFile} (missing, unreadable, not PEM, or a key that does not match): ${(err as Error).message}`, { cause: err });
  }
}
