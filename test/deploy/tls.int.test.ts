// TLS operations: the generated pair (key 0600, same certificate after a restart), a provided
// key readable by others refused at start, TLS 1.2+ only, and a certificate swapped on SIGHUP
// while live WebSockets stay open and keep receiving broadcasts.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { registerAndLogin, startTestBeacon, tempDir, testEnv } from '../support/beacon.js';
import { freePort, ready, spawnBeacon } from '../support/process.js';
import { TestClient, within, wsUrl } from '../support/wsClient.js';
import { countLines, handshake, installPair, outputLine, selfSignedPair } from './support.js';

const fingerprintOf = (certFile: string): string => new X509Certificate(readFileSync(certFile)).fingerprint256;

describe('generated certificate', () => {
  test('the key is written 0600 and the same certificate is served after a restart', async () => {
    const dir = tempDir();
    const first = await startTestBeacon({ dir });
    const certFile = join(dir, 'data', 'tls-cert.pem');
    const keyFile = join(dir, 'data', 'tls-key.pem');
    let served: string;
    try {
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      served = (await handshake(first.beacon.httpsPort ?? 0)).fingerprint;
      assert.equal(served, fingerprintOf(certFile));
    } finally {
      await first.stop();
    }
    chmodSync(keyFile, 0o644); // a careless copy or restore: the next start tightens it again
    const second = await startTestBeacon({ dir });
    try {
      assert.equal((await handshake(second.beacon.httpsPort ?? 0)).fingerprint, served);
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    } finally {
      await second.stop();
    }
  });
});

describe('provided certificate', () => {
  test('a key file readable by others stops the start: exit 1 and one stderr line naming TLS_KEY_FILE', async () => {
    const dir = tempDir();
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    installPair(await selfSignedPair('careless'), certFile, keyFile, 0o644);
    const p = spawnBeacon(
      testEnv(dir, { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, HTTPS_PORT: String(await freePort()), HTTP_PORT: String(await freePort()) }),
    );
    assert.equal(await within(p.exited, 30_000, 'exit'), 1);
    const lines = p.stderr().trimEnd().split('\n');
    assert.equal(lines.length, 1, p.stderr());
    assert.match(lines[0] ?? '', /^beacon: TLS_KEY_FILE: .*key\.pem is readable by group or others \(mode 644\); chmod 600 it$/);
  });
});

describe('protocol versions', () => {
  test('TLS 1.0 and 1.1 are refused by the server; 1.2 and 1.3 are accepted', async () => {
    const b = await startTestBeacon();
    try {
      const port = b.beacon.httpsPort ?? 0;
      for (const old of ['TLSv1', 'TLSv1.1'] as const) {
        await assert.rejects(handshake(port, { min: old, max: old }), /alert protocol version/, `${old} must be refused`);
      }
      assert.equal((await handshake(port, { min: 'TLSv1.2', max: 'TLSv1.2' })).protocol, 'TLSv1.2');
      assert.equal((await handshake(port, { min: 'TLSv1.3', max: 'TLSv1.3' })).protocol, 'TLSv1.3');
    } finally {
      await b.stop();
    }
  });
});

describe('reload on SIGHUP', () => {
  test('new connections get the new certificate, live WebSockets stay and still get broadcasts; bad files keep the old one', async () => {
    const dir = tempDir();
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    const [a, b, c] = await Promise.all([selfSignedPair('cert-a'), selfSignedPair('cert-b'), selfSignedPair('cert-c')]);
    installPair(a, certFile, keyFile);
    const fpA = fingerprintOf(certFile);
    const port = await freePort();
    const env = testEnv(dir, { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, HTTPS_PORT: String(port), HTTP_PORT: String(await freePort()), LOG_STDOUT: '1' });
    const p = spawnBeacon(env);
    const reloaded = /"msg":"TLS certificate reloaded"/;
    const failed = /"msg":"TLS reload failed: still serving the previous certificate"/;
    const hup = async (expect: RegExp): Promise<string> => {
      const seen = countLines(p, expect);
      p.child.kill('SIGHUP');
      return outputLine(p, expect, seen, 15_000);
    };
    try {
      await ready(p);
      const base = `https://127.0.0.1:${port}`;
      const [amy, bob] = [await registerAndLogin(base, 'tls_amy'), await registerAndLogin(base, 'tls_bob')];
      const old = await TestClient.open(wsUrl(base, amy.token));
      assert.equal((await within(old.request('ping_manual'), 10_000, 'pong before')).event, 'pong_manual');
      assert.equal((await handshake(port)).fingerprint, fpA);

      installPair(b, certFile, keyFile);
      const fpB = fingerprintOf(certFile);
      await hup(reloaded);
      // Several handshakes: none may land on the old listener, which must be closed.
      for (let i = 0; i < 5; i++) assert.equal((await handshake(port)).fingerprint, fpB);
      await assert.rejects(handshake(port, { min: 'TLSv1.1', max: 'TLSv1.1' }), /alert protocol version/);
      const pong = await within(old.request('ping_manual', { t: 1 }), 10_000, 'pong on the old socket');
      assert.equal(pong.event, 'pong_manual');

      // A broadcast reaches the socket on the old app, and one on the new app.
      const fresh = await TestClient.open(wsUrl(base, bob.token));
      const bobOnline = await within(old.next('user_status', (d) => d.username === 'tls_bob' && d.status === 'online'), 10_000, 'bob online');
      assert.equal(bobOnline.data.user_id, bob.userId);
      await old.close();
      await within(fresh.next('user_status', (d) => d.username === 'tls_amy' && d.status === 'offline'), 10_000, 'amy offline');

      // Bad files: a key that does not match the certificate, then a key readable by others.
      installPair({ cert: c.cert, key: a.key }, certFile, keyFile);
      assert.match(await hup(failed), /cannot load/);
      installPair(c, certFile, keyFile, 0o644);
      assert.match(await hup(failed), /TLS_KEY_FILE: .*readable by group or others/);
      assert.equal((await handshake(port)).fingerprint, fpB, 'still the last good certificate');
      assert.equal((await within(fresh.request('ping_manual'), 10_000, 'pong after failures')).event, 'pong_manual');

      p.child.kill('SIGTERM');
      assert.equal(await within(p.exited, 15_000, 'exit after SIGTERM'), 0);
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});
