// The one error the client rejects with: a stable `code` (the server's failure code, or one
// of the client's own below) and a message, so applications can switch on `error.code`.

import type { ErrorCode } from '../../src/protocol/index.js';

/** Failures the client itself detects, beside the server's codes. */
export type ClientErrorCode = 'timeout' | 'not_connected' | 'disconnected' | 'closed' | 'token_unavailable';

export class BeaconError extends Error {
  override readonly name = 'BeaconError';
  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    /** The request it answers, when there is one. */
    readonly event?: string,
  ) {
    super(message);
  }
}
