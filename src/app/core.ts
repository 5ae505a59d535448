// The core every other part is built on: the loggers, the JWT key and TLS files from the
// config, the event log with its projections (SQLite, or PostgreSQL with DATABASE_URL), the
// hash pool and the auth service (its login throttle counts in Redis with REDIS_URL).

import { join } from 'node:path';
import { createAuthService, type AuthService } from '../auth/service.js';
import { createPasswordHasher, type PasswordHasher, type PasswordHasherOptions } from '../auth/passwords.js';
import { createTokenSigner } from '../auth/tokens.js';
import { randomIds, systemClock, type Clock, type IdSource } from '../clock.js';
import { configWarnings, resolveJwtKey, type Config } from '../config/index.js';
import { resolveAdminKey, type AdminKey } from '../config/adminKey.js';
import { resolveTls, type TlsFiles } from '../http/tls.js';
import { createLoggers, type Logger, type Loggers } from '../log.js';
import type { EventLog, Projections } from '../ports/index.js';
import { openEventStore } from '../store/index.js';
import { openPostgresLog } from '../store/postgres/index.js';
import { createRedisThrottle } from '../bus/redis/index.js';
import type { AsyncThrottle } from '../auth/throttle.js';
import { LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS, LOGIN_THROTTLE_WINDOW_SECONDS } from '../constants.js';
import type { Closers } from './closers.js';
import { StartupError } from '../startupError.js';

export interface CoreOptions {
  config: Config;
  clock?: Clock;
  ids?: IdSource;
  /** Listen on ephemeral ports instead of the configured ones (tests). */
  ephemeralPorts?: boolean;
  hasher?: PasswordHasherOptions;
  loggers?: Loggers;
}

export interface Core {
  readonly config: Config;
  /** Loggers outlive the list of closers (they record its stopping); closed last if owned. */
  readonly ownsLoggers: boolean;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly loggers: Loggers;
  readonly log: Logger;
  readonly jwtSource: string;
  /** The admin API's key (ADMIN_API_KEY / _FILE, or generated in development); undefined: the admin API is off. */
  readonly adminKey: AdminKey | undefined;
  readonly tls: TlsFiles | undefined;
  /** The EventLog and Projections ports; the binding (SQLite | PostgreSQL) is chosen here and nowhere else. */
  readonly store: EventLog & Projections;
  readonly hasher: PasswordHasher;
  readonly auth: AuthService;
  /** Expired revocations dropped at start. */
  readonly pruned: number;
}

export async function buildCore(options: CoreOptions, closers: Closers): Promise<Core> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const loggers = options.loggers ?? createLoggers({
      dir: config.LOG_DIR,
      level: config.LOG_LEVEL,
      stdout: config.LOG_STDOUT,
      ...(config.REDIS_URL === undefined ? {} : { node: config.NODE_ID }),
    });
  const log = loggers.app;

  for (const warning of configWarnings(config)) log.warn(warning);
  const jwt = resolveJwtKey(config);
  const adminKey = resolveAdminKey(config);
  if (adminKey?.source === 'generated' || adminKey?.source === 'stored') {
    // Where the key is, never the key: the console's Admin tab and `npm run admin` need it.
    log.warn({ adminKeyFile: adminKey.path }, 'development: the admin API key is in this file (set ADMIN_API_KEY_FILE for production)');
  }
  if (jwt.source === 'generated') {
    log.warn({ dataDir: config.DATA_DIR }, 'no JWT_SECRET_KEY given: generated a random key into DATA_DIR (set one for production)');
  }
  const tlsOff = config.HTTPS_PORT === 0 && options.ephemeralPorts !== true;
  const tls = tlsOff ? undefined : await resolveTls({ certFile: config.TLS_CERT_FILE, keyFile: config.TLS_KEY_FILE, dataDir: config.DATA_DIR });
  if (tls?.generated === true) log.warn({ certFile: tls.certFile }, 'generated a self-signed TLS certificate for localhost');

  // The lock file guards SQLite's one writer; PostgreSQL's appends serialise themselves.
  const store =
    config.DATABASE_URL === undefined
      ? openEventStore({ path: join(config.DATA_DIR, 'beacon.db'), clock, onError: (err) => log.error({ err }, 'event log commit failed') })
      : await openPostgresLog({ url: config.DATABASE_URL, clock, onError: (err, what) => log.error({ err }, what ?? 'event log failed') });
  closers.add({ name: 'event log', close: () => store.close() });
  const hasher = createPasswordHasher({ workers: config.HASH_WORKERS, ...options.hasher });
  closers.add({ name: 'hash pool', close: () => hasher.close() });
  // The first contact with Redis: an unreachable REDIS_URL stops the start with one line naming it.
  const throttles =
    config.REDIS_URL === undefined
      ? undefined
      : await sharedThrottles(config.REDIS_URL, loggers.auth, closers).catch((err: unknown) => {
          throw new StartupError(err instanceof Error ? err.message : String(err), { cause: err });
        });
  const auth = createAuthService({
    log: store,
    projections: store,
    hasher,
    signer: createTokenSigner(jwt.key, clock),
    clock,
    ids,
    tokenTtlSeconds: config.TOKEN_TTL_SECONDS,
    logger: loggers.auth,
    ...(throttles === undefined ? {} : { throttles }),
  });
  return { config, ownsLoggers: options.loggers === undefined, clock, ids, loggers, log, jwtSource: jwt.source, adminKey, tls, store, hasher, auth, pruned: store.pruneBlacklist() };
}

/** A cluster's login throttles: every node counts the same failures (Redis down: logins 503). */
async function sharedThrottles(url: string, logger: Logger, closers: Closers): Promise<{ account: AsyncThrottle; address: AsyncThrottle }> {
  const window = LOGIN_THROTTLE_WINDOW_SECONDS;
  const account = await createRedisThrottle({ name: 'account', rule: { limit: LOGIN_FAILURES_PER_ACCOUNT, windowSeconds: window }, redis: { url, logger } });
  closers.add({ name: 'login throttle (account)', close: () => account.close() });
  const address = await createRedisThrottle({ name: 'address', rule: { limit: LOGIN_FAILURES_PER_ADDRESS, windowSeconds: window }, redis: { url, logger } });
  closers.add({ name: 'login throttle (address)', close: () => address.close() });
  return { account, address };
}
