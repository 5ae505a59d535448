// What every socket transport (/ws, Socket.IO) is given by the server wiring: the hub its
// connections join, the token verifier and origin allow-list of the upgrade checks, the
// proxies trusted for client addresses, a logger and the clock frames are judged by.

import type { Hub } from '../actors/hub.js';
import type { TokenVerifier } from '../auth/session.js';
import type { IdSource } from '../clock.js';
import type { Logger } from '../log.js';

export interface TransportOptions {
  hub: Hub;
  ids: IdSource;
  verifier: TokenVerifier;
  /** Origins that may open a socket; empty lets every origin through. */
  allowedOrigins: readonly string[];
  trustedProxies: readonly string[];
  logger: Logger;
  /** Epoch ms: frame admission and liveness read it (tests inject their own). */
  now(): number;
}
