// What every HTTP answer looks like from outside, against a real server: `HEAD /healthz`
// (load balancers probe with it) and no `uWebSockets` version banner on any answer,
// upgrades included.

import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { call, registerAndLogin, startTestBeacon, type TestBeacon } from '../support/beacon.js';

let t: TestBeacon;
before(async () => {
  t = await startTestBeacon();
});
after(async () => {
  await t.stop();
});

/** The headers of a WebSocket upgrade answer (101 or a refusal), read from the raw socket. */
function upgradeHeaders(url: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      agent: false,
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HEAD /healthz', () => {
  test('answers 200 with no body, on the plain and the TLS port', async () => {
    for (const base of [t.http, t.https]) {
      const head = await call('HEAD', `${base}/healthz`);
      assert.equal(head.status, 200, base);
      assert.equal(head.text, '', 'no body');
      assert.equal((await call('GET', `${base}/healthz`)).status, 200, 'GET still answers');
    }
  });

  test('is listed in Allow for a method /healthz does not take', async () => {
    const put = await call('PUT', `${t.http}/healthz`);
    assert.equal(put.status, 405);
    assert.deepEqual(put.headers['allow']?.split(', ').sort(), ['GET', 'HEAD']);
  });
});

describe('no uWebSockets banner', () => {
  test('REST answers of every kind carry no uWebSockets header', async () => {
    const { token } = await registerAndLogin(t.http, 'banner_amy');
    const answers = [
      await call('GET', `${t.http}/healthz`),
      await call('HEAD', `${t.http}/healthz`),
      await call('GET', `${t.https}/healthz`),
      await call('GET', `${t.http}/protected`, { token }),
      await call('GET', `${t.http}/nope`),
      await call('GET', `${t.http}/register`),
      await call('GET', `${t.http}/`),
      await call('GET', `${t.http}/metrics`),
    ];
    for (const answer of answers) {
      assert.ok(answer.status > 0);
      assert.equal(answer.headers['uwebsockets'], undefined, `status ${answer.status}: ${JSON.stringify(answer.headers)}`);
    }
  });

  test('WebSocket upgrades, accepted or refused, carry none either', async () => {
    const { token } = await registerAndLogin(t.http, 'banner_bob');
    const accepted = await upgradeHeaders(`${t.http}/ws?token=${encodeURIComponent(token)}`);
    assert.equal(accepted.status, 101);
    assert.equal(accepted.headers['uwebsockets'], undefined, JSON.stringify(accepted.headers));
    const refused = await upgradeHeaders(`${t.http}/ws?token=not-a-token`);
    assert.notEqual(refused.status, 101);
    assert.equal(refused.headers['uwebsockets'], undefined, JSON.stringify(refused.headers));
  });
});
