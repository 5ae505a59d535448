// deploy/haproxy.cfg, read against the compose file, then run (Debian's haproxy, addresses
// moved to loopback) before real Beacon servers: WebSockets pass with the client's address,
// Socket.IO long-polling stays on one node per client, a node failing /healthz gets none.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { WS_IDLE_TIMEOUT_MAX_SECONDS } from '../../src/constants.js';
import { startTestBeacon, tempDir, type TestBeacon } from '../support/beacon.js';
import { freePort, ROOT } from '../support/process.js';
import { within } from '../support/wsClient.js';
import { composeConfig, hasCompose, NO_COMPOSE, service } from './composeSupport.js';

const CONFIG = readFileSync(join(ROOT, 'deploy', 'haproxy.cfg'), 'utf8');
const hasHaproxy = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;
const NO_HAPROXY = 'haproxy is not installed (.ci/run installs it): the load balancer is not run';
/** Client addresses: all of 127.0.0.0/8 is loopback on Linux. */
const SOURCES = Array.from({ length: 12 }, (_, i) => `127.0.0.${i + 2}`);

/** The config with its listen address and its `server` lines pointed at loopback ports, no Docker DNS. */
function loopbackConfig(lbPort: number, ports: readonly number[]): string {
  let i = 0;
  return CONFIG.replace(/^(\s*bind )\S+$/m, `$1127.0.0.1:${lbPort}`)
    .replace(/^resolvers docker\n(?:[ \t]+.*\n)*/m, '')
    .replace(/ resolvers docker/g, '')
    .replace(/^(\s*server \S+ )\S+$/gm, (_, head: string) => `${head}127.0.0.1:${ports[i++] ?? 0}`);
}

interface Lb {
  port: number;
  child: ChildProcess;
  /** Resolves once haproxy has printed `pattern` `times` times in all. */
  logged(pattern: RegExp, times?: number): Promise<void>;
  stop(): void;
}

async function startLb(ports: readonly number[]): Promise<Lb> {
  const port = await freePort();
  const file = join(tempDir('beacon-lb-'), 'haproxy.cfg');
  writeFileSync(file, loopbackConfig(port, ports));
  const child = spawn('haproxy', ['-W', '-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  // State changes are written twice, to the log on stdout and as warnings on stderr: count these.
  child.stdout?.resume();
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
    for (const l of listeners) l();
  });
  const logged = (pattern: RegExp, times = 1): Promise<void> =>
    within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if ((out.match(new RegExp(pattern.source, 'g')) ?? []).length < times) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
      }),
      15_000,
      `haproxy logging ${pattern}: ${out}`,
    );
  await logged(/Loading success/);
  return { port, child, logged, stop: () => child.kill('SIGTERM') };
}

function send(port: number, method: string, path: string, options: { from?: string; body?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: options.headers, ...(options.from === undefined ? {} : { localAddress: options.from }) },
      (res: IncomingMessage) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (body: Record<string, unknown>) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const EIO = '/socket.io/?EIO=4&transport=polling';

describe('deploy/haproxy.cfg', () => {
  test('balances the cluster profile\'s nodes on their HTTP port: HTTP mode, sticky by address, /healthz checks, WebSocket tunnels', (t) => {
    if (!hasCompose) return t.skip(NO_COMPOSE);
    const config = composeConfig(['--profile', 'cluster']);
    const servers = [...CONFIG.matchAll(/^\s*server (\S+) ([\w.-]+):(\d+)$/gm)].map((m) => ({ name: m[1], host: m[2], port: m[3] }));
    const nodes = Object.keys(config.services).filter((s) => /^beacon-\d+$/.test(s)).sort();
    assert.deepEqual(servers.map((s) => s.host).sort(), nodes, 'one server line per node service');
    for (const s of servers) assert.equal(s.port, service(config, s.host ?? '').environment?.['HTTP_PORT']);
    assert.match(CONFIG, /^\s*mode http$/m);
    assert.match(CONFIG, /^\s*balance source$/m, 'sticky by client address (Socket.IO long-polling)');
    assert.match(CONFIG, /^\s*option httpchk$/m);
    assert.match(CONFIG, /^\s*http-check send meth GET uri \/healthz\b/m);
    assert.match(CONFIG, /^\s*http-check expect status 200$/m);
    const tunnel = /^\s*timeout tunnel (\d+)(s|m|h)$/m.exec(CONFIG);
    assert.ok(tunnel !== null, 'a tunnel timeout for upgraded WebSockets');
    const seconds = Number(tunnel[1]) * { s: 1, m: 60, h: 3600 }[tunnel[2] as 's' | 'm' | 'h'];
    assert.ok(seconds > WS_IDLE_TIMEOUT_MAX_SECONDS, 'longer than the longest idle time Beacon allows');
    assert.doesNotMatch(CONFIG, /del-header (Upgrade|Connection)/i);
    assert.match(CONFIG, /^\s*http-request set-header X-Forwarded-For %\[src\]$/m, 'the client\'s address, replacing what it sent');
    const lb = service(config, 'lb');
    assert.ok(lb.volumes?.includes('./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro') || lb.volumes?.some((v) => v.endsWith('/deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro')));
    const bind = /^\s*bind :(\d+)$/m.exec(CONFIG)?.[1];
    assert.ok(lb.ports?.some((p) => p.replace(/\/tcp$/, '').endsWith(`:${bind}`)), `the published port reaches bind :${bind}`);
    const trusted = lb.networks?.['beacon']?.ipv4_address;
    for (const n of nodes) assert.equal(service(config, n).environment?.['TRUSTED_PROXIES'], trusted);
  });

  describe('run in front of three Beacon servers', () => {
    let nodes: TestBeacon[] = [];
    let lb: Lb | undefined;
    const port = (b: TestBeacon): number => Number(new URL(b.http).port);

    before(async () => {
      if (!hasHaproxy) return;
      nodes = await Promise.all([0, 1, 2].map(() => startTestBeacon({ env: { TRUSTED_PROXIES: '127.0.0.1' } })));
      lb = await startLb(nodes.map(port));
    });
    after(async () => {
      lb?.stop();
      await Promise.all(nodes.map((n) => n.stop()));
    });

    test('a WebSocket passes through, and the node sees the client\'s address, not the proxy\'s nor a forged one', async (t) => {
      if (lb === undefined) return t.skip(NO_HAPROXY);
      const from = '127.0.0.2';
      const credentials = { username: 'lb_amy', password: 'correct horse battery' };
      assert.equal((await send(lb.port, 'POST', '/register', { from, ...json(credentials) })).status, 201);
      const login = await send(lb.port, 'POST', '/login-token', { from, ...json(credentials) });
      assert.equal(login.status, 200, login.text);
      const token = (JSON.parse(login.text) as { token: string }).token;
      const ws = new WebSocket(`ws://127.0.0.1:${lb.port}/ws?token=${encodeURIComponent(token)}`, { localAddress: from, headers: { 'X-Forwarded-For': '203.0.113.7' } });
      const reply = new Promise<{ data: { state: string; remote_address: string } }>((resolve, reject) => {
        ws.on('message', (raw) => {
          const frame = JSON.parse(raw.toString()) as { id?: number; data: { state: string; remote_address: string } };
          if (frame.id === 1) resolve(frame);
        });
        ws.once('error', reject);
      });
      await within(new Promise((resolve) => ws.once('open', resolve)), 5000, 'the upgrade through the load balancer');
      ws.send(JSON.stringify({ event: 'debug_connection', id: 1 }));
      const debug = await within(reply, 5000, 'debug_connection');
      ws.close();
      assert.equal(debug.data.state, 'authenticated');
      assert.equal(debug.data.remote_address, from);
    });

    test('Socket.IO long-polling from 12 addresses: each session stays on its node, and the addresses spread over the nodes', async (t) => {
      if (lb === undefined) return t.skip(NO_HAPROXY);
      const owners: number[] = [];
      for (const from of SOURCES) {
        const open = await send(lb.port, 'GET', EIO, { from });
        assert.equal(open.status, 200, open.text);
        const { sid } = JSON.parse(open.text.slice(1)) as { sid: string };
        const connect = await send(lb.port, 'POST', `${EIO}&sid=${sid}`, { from, body: '40', headers: { 'content-type': 'text/plain;charset=UTF-8' } });
        assert.equal(connect.status, 200, `${from}: the POST reached the session's node: ${connect.text}`);
        const poll = await send(lb.port, 'GET', `${EIO}&sid=${sid}`, { from });
        assert.equal(poll.status, 200, `${from}: the poll reached the session's node: ${poll.text}`);
        assert.match(poll.text, /^4[04]/, 'the answer to the namespace connect');
        // Which node holds it: only that one knows the sid (a close packet ends it there).
        const closes = await Promise.all(nodes.map((n) => send(port(n), 'POST', `${EIO}&sid=${sid}`, { body: '1', headers: { 'content-type': 'text/plain;charset=UTF-8' } })));
        const holders = closes.flatMap((c, i) => (c.status === 200 ? [i] : []));
        assert.equal(holders.length, 1, `${from}: one node holds the session`);
        owners.push(holders[0] as number);
      }
      assert.ok(new Set(owners).size >= 2, `the addresses use more than one node: ${owners.join(',')}`);
    });
  });

  test('a node whose /healthz fails (down, or fenced: 503) gets no clients until it passes again', async (t) => {
    if (!hasHaproxy) return t.skip(NO_HAPROXY);
    const real = await Promise.all([0, 1].map(() => startTestBeacon({ env: { TRUSTED_PROXIES: '127.0.0.1' } })));
    let healthy = false;
    const checks: string[] = [];
    const served: string[] = [];
    const fenced: Server = createServer((req, res) => {
      if (req.url === '/healthz') {
        checks.push(`${req.method} ${req.url}`);
        res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: healthy ? 'ok' : 'fenced' }));
      } else {
        served.push(req.url ?? '');
        res.writeHead(200).end('the fenced node');
      }
    });
    await new Promise<void>((resolve) => fenced.listen(0, '127.0.0.1', resolve));
    const ports = [Number(new URL(real[0]!.http).port), (fenced.address() as AddressInfo).port, Number(new URL(real[1]!.http).port)];
    const lb = await startLb(ports);
    const assertNotServed = async (): Promise<void> => {
      for (const from of SOURCES) {
        const answer = await send(lb.port, 'GET', '/metrics', { from });
        assert.equal(answer.status, 200);
        assert.notEqual(answer.text, 'the fenced node');
      }
      assert.deepEqual(served, [], 'no client request reached the fenced node');
    };
    try {
      // At start one failed check is enough; a node that was up needs two (fall 2).
      await lb.logged(/Server nodes\/beacon-2 is DOWN/);
      await assertNotServed();
      assert.ok(checks.length >= 1 && checks.every((c) => c === 'GET /healthz'), `checks: ${checks.join(', ')}`);
      healthy = true;
      await lb.logged(/Server nodes\/beacon-2 is UP/);
      const back = await Promise.all(SOURCES.map((from) => send(lb.port, 'GET', '/metrics', { from })));
      assert.ok(back.some((a) => a.text === 'the fenced node'), 'back in rotation once its /healthz passes');
      // Fenced while running, as a cluster node fences itself when it cannot follow the log.
      healthy = false;
      served.length = 0;
      await lb.logged(/Server nodes\/beacon-2 is DOWN/, 2);
      await assertNotServed();
    } finally {
      lb.stop();
      fenced.close();
      await Promise.all(real.map((n) => n.stop()));
    }
  });
});
