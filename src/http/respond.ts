// Writing answers with uWS: status line, headers and body in one corked write, and the
// one JSON error shape of docs/protocol.md §2. Nothing here throws on an aborted response.

import type { HttpResponse } from 'uWebSockets.js';
import { BeaconError, type ErrorCode } from '../errors.js';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const statusLine = (status: number): string => `${status} ${STATUS_TEXT[status] ?? 'Status'}`;

/** Security headers every answer carries. */
const COMMON_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Cache-Control', 'no-store'],
];

/** A response being answered; tracks abortion so late async results are dropped safely. */
export interface Reply {
  readonly aborted: boolean;
  readonly status: number | undefined;
  send(status: number, contentType: string, body: string | Uint8Array, headers?: Record<string, string>, close?: boolean): void;
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  error(err: BeaconError | ErrorCode, headers?: Record<string, string>): void;
}

export function createReply(res: HttpResponse, onDone: (status: number) => void): Reply {
  let aborted = false;
  let status: number | undefined;
  res.onAborted(() => {
    aborted = true;
    // The client went away: the request is over (499, nginx's "client closed request").
    if (status === undefined) {
      status = 499;
      onDone(499);
    }
  });
  const reply: Reply = {
    get aborted() {
      return aborted;
    },
    get status() {
      return status;
    },
    send(code, contentType, body, headers = {}, close = false) {
      if (status !== undefined) return;
      status = code;
      onDone(code);
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(statusLine(code)).writeHeader('Content-Type', contentType);
        for (const [k, v] of COMMON_HEADERS) res.writeHeader(k, v);
        for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
        res.end(body, close);
      });
    },
    json(code, body, headers) {
      reply.send(code, 'application/json', JSON.stringify(body), headers);
    },
    error(err, headers = {}) {
      const e = typeof err === 'string' ? new BeaconError(err) : err;
      const extra = { ...headers };
      if (e.retryAfter !== undefined) extra['Retry-After'] = String(e.retryAfter);
      // A body we refused to read may still be arriving: close rather than drain it.
      const close = e.code === 'payload_too_large';
      reply.send(e.status, 'application/json', JSON.stringify(e.toBody()), extra, close);
    },
  };
  return reply;
}

