// src/http/request.ts: what a handler may know about a request. Given a peer, headers and
// the trusted proxies, when the request is read, then the address, token and fields are these.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { bearerToken, clientAddress, normaliseAddress, peerAddress, readRequest } from '../../src/http/request.js';

/** Just the calls readRequest makes, answering from plain values (uWS's objects live in C++). */
function fakeRequest(method: string, url: string, query: string | undefined, headers: Record<string, string>): HttpRequest {
  const req = {
    getMethod: () => method,
    getUrl: () => url,
    getQuery: () => query,
    getHeader: (name: string) => headers[name] ?? '',
  };
  return req as unknown as HttpRequest;
}
function fakeResponse(remote: string): HttpResponse {
  const res = { getRemoteAddressAsText: () => new TextEncoder().encode(remote).buffer };
  return res as unknown as HttpResponse;
}

describe('normaliseAddress', () => {
  test('given an IPv4-mapped IPv6 address, then the IPv4 address', () => {
    assert.equal(normaliseAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(normaliseAddress('::ffff:10.1.2.3'), '10.1.2.3');
  });

  test('given a plain IPv4 or IPv6 address, then it unchanged', () => {
    for (const address of ['127.0.0.1', '::1', '2001:db8::1', '::ffff:abcd', '']) assert.equal(normaliseAddress(address), address);
  });
});

describe('clientAddress', () => {
  const PROXY = '10.0.0.2';

  test('given no trusted proxy, then the peer, whatever X-Forwarded-For claims', () => {
    assert.equal(clientAddress('203.0.113.7', '198.51.100.1', []), '203.0.113.7');
  });

  test('given a peer that is not trusted, then the peer (a client cannot forge its address)', () => {
    assert.equal(clientAddress('203.0.113.7', '198.51.100.1', [PROXY]), '203.0.113.7');
  });

  test('given a trusted peer and no X-Forwarded-For, then the peer', () => {
    assert.equal(clientAddress(PROXY, '', [PROXY]), PROXY);
  });

  test('given a trusted peer, then the nearest forwarded hop that is not itself trusted', () => {
    assert.equal(clientAddress(PROXY, '198.51.100.1', [PROXY]), '198.51.100.1');
    // The client may prepend anything; only what trusted proxies appended counts.
    assert.equal(clientAddress(PROXY, '6.6.6.6, 198.51.100.1', [PROXY]), '198.51.100.1');
    assert.equal(clientAddress(PROXY, '6.6.6.6, 198.51.100.1, 10.0.0.3', [PROXY, '10.0.0.3']), '198.51.100.1');
  });

  test('given hops with spaces, empty entries and IPv4-mapped forms, then they are cleaned', () => {
    assert.equal(clientAddress(PROXY, ' ::ffff:198.51.100.1 ,, ', [PROXY]), '198.51.100.1');
  });

  test('given only trusted hops, then the peer', () => {
    assert.equal(clientAddress(PROXY, '10.0.0.3, 10.0.0.2', [PROXY, '10.0.0.3']), PROXY);
  });
});

describe('bearerToken', () => {
  test('given no Authorization header, then ""', () => {
    assert.equal(bearerToken(''), '');
  });

  test('given "Bearer <token>", then the token (scheme in any case, spaces around tolerated)', () => {
    assert.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
    assert.equal(bearerToken('bearer abc'), 'abc');
    assert.equal(bearerToken('BEARER   abc  '), 'abc');
  });

  test('given another scheme or a malformed value, then undefined', () => {
    for (const bad of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'abc', 'Bearerabc', ' Bearer abc']) {
      assert.equal(bearerToken(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('peerAddress and readRequest', () => {
  test('given a response from an IPv4-mapped peer, then the plain IPv4 address', () => {
    assert.equal(peerAddress(fakeResponse('::ffff:192.0.2.9')), '192.0.2.9');
  });

  test('given a request, then every field is copied out at once (method upper-cased, missing query "")', () => {
    const req = fakeRequest('post', '/login-token', undefined, {
      'content-type': 'application/json',
      'content-length': '42',
      authorization: 'Bearer t',
      origin: 'https://app.example',
      'x-api-key': 'k',
    });
    assert.deepEqual(readRequest(fakeResponse('192.0.2.9'), req, []), {
      method: 'POST',
      path: '/login-token',
      query: '',
      contentType: 'application/json',
      contentLength: '42',
      authorization: 'Bearer t',
      origin: 'https://app.example',
      apiKey: 'k',
      address: '192.0.2.9',
    });
  });

  test('given a trusted proxy as the peer, then the address is the forwarded client', () => {
    const req = fakeRequest('get', '/protected', 'x=1', { 'x-forwarded-for': '198.51.100.4' });
    const info = readRequest(fakeResponse('::ffff:10.0.0.2'), req, ['10.0.0.2']);
    assert.equal(info.address, '198.51.100.4');
    assert.equal(info.query, 'x=1');
    assert.equal(info.authorization, '');
  });
});
