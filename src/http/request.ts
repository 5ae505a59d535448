// What a handler may know about a request: copied out of uWS's stack-allocated request
// at once (it dies when the callback returns), with the client address resolved.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';

export interface RequestInfo {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly contentType: string;
  readonly contentLength: string;
  readonly authorization: string;
  readonly origin: string;
  /** The admin API's `X-API-Key` header ('' when absent). */
  readonly apiKey: string;
  readonly address: string;
}

const decoder = new TextDecoder();

/** "::ffff:127.0.0.1" and "127.0.0.1" are the same client. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
 * X-Forwarded-For entry that is not itself a trusted proxy.
 */
export function clientAddress(peer: string, forwardedFor: string, trustedProxies: readonly string[]): string {
  if (forwardedFor === '' || !trustedProxies.includes(peer)) return peer;
  const hops = forwardedFor.split(',').map((h) => normaliseAddress(h.trim())).filter((h) => h.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trustedProxies.includes(hop)) return hop;
  }
  return peer;
}

export function peerAddress(res: HttpResponse): string {
  return normaliseAddress(decoder.decode(res.getRemoteAddressAsText()));
}

export function readRequest(res: HttpResponse, req: HttpRequest, trustedProxies: readonly string[]): RequestInfo {
  return {
    method: req.getMethod().toUpperCase(),
    path: req.getUrl(),
    query: req.getQuery() ?? '',
    contentType: req.getHeader('content-type'),
    contentLength: req.getHeader('content-length'),
    authorization: req.getHeader('authorization'),
    origin: req.getHeader('origin'),
    apiKey: req.getHeader('x-api-key'),
    address: clientAddress(peerAddress(res), req.getHeader('x-forwarded-for'), trustedProxies),
  };
}

/** The token of `Authorization: Bearer <token>`, '' when absent, undefined when malformed. */
export function bearerToken(authorization: string): string | undefined {
  if (authorization === '') return '';
  const match = /^Bearer +([^\s]+)\s*$/i.exec(authorization);
  return match?.[1];
}
