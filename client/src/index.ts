// @beacon/client: Beacon's WebSocket client for browsers and Node 20 (docs/protocol.md,
// sections 3 and 6). One class, BeaconClient; the wire types come from the server's own.

export { BeaconClient } from './client.js';
export { BeaconError, type ClientErrorCode } from './errors.js';
export { FINAL_CLOSE_CODES, closeMeaning } from './closeCodes.js';
export { backoffCeiling, backoffDelay, type BackoffOptions } from './backoff.js';
export { readClaims, type TokenClaims } from './token.js';
export { loginTokens, type LoginOptions } from './login.js';
export type { Timers, WebSocketConstructor, WebSocketLike } from './host.js';
export type * from './types.js';
export type * from '../../src/protocol/index.js';
