// How a node keeps up with the log others append to: LISTEN wakes it on every commit, a
// periodic catch-up covers a notification lost with its connection, both run the same read
// from the node's last position, and reads never overlap (one asked meanwhile runs next).

import pg from 'pg';
import { NOTIFY_CHANNEL } from './schema.js';

export interface FollowerOptions {
  url: string;
  /** Reads from the node's last position to the head; rejects when the log is unreachable. */
  readToHead(): Promise<void>;
  /** The last position the node has; a notification of a head not past it needs no read. */
  known(): number;
  /** The mark this node's own commits notify with: they are delivered by the append itself. */
  origin: string;
  intervalMs: number;
  retryMs: number;
  connectTimeoutMs: number;
  onError(err: unknown, what: string): void;
}

export interface Follower {
  /** Resolves once a read that began after this call has reached the head. */
  catchUp(): Promise<void>;
  /** True while the LISTEN connection is up. */
  listening(): boolean;
  /** How many times the LISTEN connection was lost. */
  drops(): number;
  /** Starts listening (resolves when LISTEN is in place or the first try failed). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createFollower(options: FollowerOptions): Follower {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let client: pg.Client | undefined;
  let isListening = false;
  let dropped = 0;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const begin = (): Promise<void> => {
    const read: Promise<void> = options.readToHead().finally(() => {
      if (running === read) running = undefined;
    });
    running = read;
    return read;
  };
  const catchUp = (): Promise<void> => {
    if (running === undefined) return begin();
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return begin();
      });
    return queued;
  };
  // Failures are reported by readToHead itself (once per outage); here they are only absorbed.
  const wake = (): void => void catchUp().catch(() => undefined);

  const timer = setInterval(wake, options.intervalMs);
  timer.unref();

  const scheduleReconnect = (): void => {
    if (closed || retry !== undefined) return;
    retry = setTimeout(() => {
      retry = undefined;
      void listen();
    }, options.retryMs);
    retry.unref();
  };
  const drop = (c: pg.Client, err?: unknown): void => {
    if (client !== c) return;
    client = undefined;
    if (isListening) dropped++;
    isListening = false;
    if (err !== undefined && !closed) options.onError(err, 'log LISTEN connection lost');
    c.end().catch(() => undefined);
    scheduleReconnect();
  };
  const listen = async (): Promise<void> => {
    if (closed || client !== undefined) return;
    // keepAlive: a LISTEN connection cut by the network (no FIN) is noticed, not trusted forever.
    const c = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: options.connectTimeoutMs, keepAlive: true });
    client = c;
    c.on('error', (err) => drop(c, err));
    c.on('end', () => drop(c));
    // The payload is `<head> <origin>`: the node's own commits (delivered by the append; a
    // reply lost with its connection is read by the next catch-up) and heads a read already
    // reached wake no read, so an append costs each other node at most one query.
    c.on('notification', (message) => {
      const [head, origin] = (message.payload ?? '').split(' ');
      if (origin === options.origin) return;
      if (!(Number(head) <= options.known())) wake();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch {
      // Unreachable: the catch-up timer reports the outage; this retries quietly.
      drop(c);
      return;
    }
    if (client !== c) return;
    isListening = true;
    // Whatever was committed while no one listened.
    wake();
  };

  return {
    catchUp,
    listening: () => isListening,
    drops: () => dropped,
    start: listen,
    async close() {
      closed = true;
      clearInterval(timer);
      if (retry !== undefined) clearTimeout(retry);
      const c = client;
      client = undefined;
      isListening = false;
      await c?.end().catch(() => undefined);
      await Promise.allSettled([running, queued]);
    },
  };
}
