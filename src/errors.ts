// One catalogue of every error Beacon shows a client: a stable code, the HTTP status,
// the WebSocket close code where the failure ends a connection, and the message text
// (the original application's texts where it had them, see docs/protocol.md).

import { CloseCode } from './constants.js';

interface ErrorSpec {
  readonly status: number;
  readonly message: string;
  /** Close code when this failure ends a WebSocket connection; undefined keeps it open. */
  readonly close?: CloseCode;
}

export const ERRORS = {
  invalid_request: { status: 400, message: 'Invalid request' },
  username_taken: { status: 409, message: 'Username already exists' },
  invalid_credentials: { status: 401, message: 'Invalid username or password' },
  rate_limited: { status: 429, message: 'Too many attempts, try again later', close: CloseCode.rateLimited },
  missing_token: { status: 401, message: 'Token is missing!' },
  invalid_token: { status: 401, message: 'Invalid token!', close: CloseCode.invalidToken },
  token_expired: { status: 401, message: 'Token has expired!', close: CloseCode.tokenExpired },
  token_revoked: { status: 401, message: 'Token has been revoked!', close: CloseCode.tokenRevoked },
  username_mismatch: { status: 401, message: 'Token username mismatch!', close: CloseCode.invalidToken },
  session_replaced: { status: 401, message: 'Logged in from another session', close: CloseCode.sessionReplaced },
  not_authenticated: { status: 401, message: 'Not authenticated' },
  invalid_message: { status: 400, message: 'Invalid message' },
  forbidden_origin: { status: 403, message: 'Origin not allowed' },
  not_found: { status: 404, message: 'Not found' },
  method_not_allowed: { status: 405, message: 'Method not allowed' },
  payload_too_large: { status: 413, message: 'Request body too large' },
  unsupported_media_type: { status: 415, message: 'Content-Type must be application/json' },
  internal_error: { status: 500, message: 'Internal server error' },
  unavailable: { status: 503, message: 'Service unavailable, try again later' },
  invalid_channel: { status: 400, message: 'Invalid channel' },
  permission_denied: { status: 403, message: 'Permission denied' },
  not_subscribed: { status: 403, message: 'Not subscribed to this channel' },
  too_many_subscriptions: { status: 400, message: 'Too many subscriptions' },
  // Admin API (docs/protocol.md section 7).
  invalid_api_key: { status: 401, message: 'Invalid or missing API key' },
  unknown_user: { status: 404, message: 'Unknown user' },
  unknown_channel: { status: 404, message: 'Unknown channel' },
  account_disabled: { status: 403, message: 'Account disabled', close: CloseCode.accountDisabled },
  // Never an HTTP answer: the status is there because every entry has one.
  kicked: { status: 409, message: 'Disconnected by an administrator', close: CloseCode.kicked },
  // A cluster node fenced off (it could not follow the event log): clients reconnect elsewhere.
  node_unavailable: { status: 503, message: 'Server unavailable, reconnect', close: CloseCode.nodeUnavailable },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** A failure with a catalogued code. `message` may refine the catalogue's text. */
export class BeaconError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds, for 429 answers. */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, options: { message?: string; retryAfter?: number; cause?: unknown } = {}) {
    super(options.message ?? ERRORS[code].message, { cause: options.cause });
    this.name = 'BeaconError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryAfter = options.retryAfter;
  }

  /** The JSON body every error answer carries. */
  toBody(): { error: ErrorCode; message: string } {
    return { error: this.code, message: this.message };
  }
}

export function closeCodeOf(code: ErrorCode): CloseCode | undefined {
  const spec: ErrorSpec = ERRORS[code];
  return spec.close;
}
