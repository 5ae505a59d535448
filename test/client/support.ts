// Helpers for the client's integration tests: a BeaconClient on `ws` against a real Beacon,
// and waiting for its events (never sleeping: every wait is an event, bounded by `within`).

import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import WebSocket from 'ws';
import { BeaconClient, type BeaconClientEvents, type ClientOptions } from '../../client/src/index.js';
import { call } from '../support/beacon.js';
import { within } from '../support/wsClient.js';

export const PASSWORD = 'correct horse battery';

export function clientFor(base: string, options: Partial<ClientOptions> = {}): BeaconClient {
  return new BeaconClient({ url: `${base.replace(/^http/, 'ws')}/ws`, WebSocket, reconnect: { baseMs: 50, maxMs: 500 }, ...options });
}

/** Logs `username` in over HTTP: what an application's getToken does. */
export async function login(base: string, username: string): Promise<string> {
  const res = await call('POST', `${base}/login-token`, { body: { username, password: PASSWORD } });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
  return res.json.token as string;
}

export async function register(base: string, username: string): Promise<void> {
  const res = await call('POST', `${base}/register`, { body: { username, password: PASSWORD } });
  if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${res.text}`);
}

/** The next `name` event matching `match`, within `ms`. */
export function next<K extends keyof BeaconClientEvents>(
  client: BeaconClient,
  name: K,
  match: (data: BeaconClientEvents[K]) => boolean = () => true,
  ms = 5_000,
): Promise<BeaconClientEvents[K]> {
  let off: () => void = () => {};
  const seen = new Promise<BeaconClientEvents[K]>((resolve) => {
    off = client.on(name, (data) => {
      if (!match(data)) return;
      off();
      resolve(data);
    });
  });
  return within(seen, ms, `${String(name)} event`).finally(off);
}

/** Every `name` event from now on, in order. */
export function record<K extends keyof BeaconClientEvents>(client: BeaconClient, name: K): Array<BeaconClientEvents[K]> {
  const seen: Array<BeaconClientEvents[K]> = [];
  client.on(name, (data) => seen.push(data));
  return seen;
}

/**
 * A TCP forwarder on a port of its own, in front of whichever Beacon `target()` names: a
 * load balancer, so a server can restart (on a new port) behind one address. A connection
 * to a target that is down is dropped, as a balancer with no backend would.
 */
export async function forwarder(target: () => number): Promise<{ port: number; pause(on: boolean): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let paused = false;
  const server = createServer((inbound) => {
    // Paused: no backend, as a balancer with every node down.
    if (paused) return void inbound.destroy();
    const outbound = connect(target(), '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      // Either side failing ends the pair; the WebSocket sees the close.
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
    outbound.on('close', () => inbound.destroy());
    inbound.on('close', () => outbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    pause(on) {
      paused = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
