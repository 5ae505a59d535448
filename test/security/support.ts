// Helpers shared by the security tests. Each server listens on its own random 127.x.y.z
// address: on a machine where other suites start servers at the same time, a port handed
// out by freePort() on 127.0.0.1 was seen answered by someone else's server (connections
// hijacked mid-test). A private loopback address cannot be taken that way. Clients still
// connect from 127.0.0.1, so TRUSTED_PROXIES=127.0.0.1 keeps its meaning.

import { createServer } from 'node:net';
import { startTestBeacon, testEnv, type TestBeacon } from '../support/beacon.js';
import { TestClient, within } from '../support/wsClient.js';

/** argon2id at its floor, for tests about something other than hashing cost. */
export const CHEAP_HASHES = { argon2: { memoryKiB: 64, iterations: 1, parallelism: 1 } };

/** A random loopback address other than 127.0.0.1 (Linux routes all of 127/8 to lo). */
export function loopbackHost(): string {
  const byte = (): number => 1 + Math.floor(Math.random() * 254);
  return `127.${byte()}.${byte()}.${byte()}`;
}

export function freePortOn(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** startTestBeacon on a private loopback address; `http`/`https` point at it. */
export async function startIsolated(options: Parameters<typeof startTestBeacon>[0] = {}): Promise<TestBeacon> {
  const host = loopbackHost();
  const t = await startTestBeacon({ ...options, env: { ...options.env, HOST: host } });
  return { ...t, http: `http://${host}:${t.beacon.httpPort}`, https: `https://${host}:${t.beacon.httpsPort}` };
}

/** The environment of a spawned Beacon on a private loopback address (plain HTTP only unless asked). */
export async function isolatedEnv(dir: string, extra: Record<string, string> = {}): Promise<{ env: Record<string, string>; base: string }> {
  const host = loopbackHost();
  const port = await freePortOn(host);
  const env = testEnv(dir, { HOST: host, HTTP_PORT: String(port), HTTPS_PORT: '0', LOG_STDOUT: '1', ...extra });
  return { env, base: `http://${host}:${env['HTTP_PORT']}` };
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/**
 * Opens a socket and proves it answers. About 1 in 300-3000 freshly upgraded sockets is
 * dropped by the transport before it reads a frame (SECURITY.md, "Known limits"); such a
 * socket is opened once more rather than failing a test about something else.
 */
export async function openAnswering(url: string): Promise<TestClient> {
  for (let attempt = 1; ; attempt++) {
    const c = await within(TestClient.open(url), 10_000, 'open');
    const ok = await within(Promise.race([c.request('ping_manual').then(() => true), c.closed.then(() => false)]), 10_000, 'first ping');
    if (ok) return c;
    if (attempt === 3) throw new Error(`${url}: closed at open ${attempt} times`);
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i] as T, i);
      }
    }),
  );
  return out;
}
