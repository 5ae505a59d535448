// The one reader of process.env: a zod schema over the environment, parsed once at start
// into a frozen Config. A bad value stops the start with one line naming the setting.

import { z } from 'zod';
import { isIP } from 'node:net';
import {
  DEFAULT_AUTH_TIMEOUT_SECONDS,
  DEFAULT_CLUSTER_FENCE_SECONDS,
  DEFAULT_TOKEN_TTL_SECONDS,
  TOKEN_TTL_MAX_SECONDS,
  TOKEN_TTL_MIN_SECONDS,
  WS_IDLE_TIMEOUT_MAX_SECONDS,
  WS_IDLE_TIMEOUT_MIN_SECONDS,
  WS_IDLE_TIMEOUT_SECONDS,
} from '../constants.js';

/** '' (a compose file's unset value) means "use the default", not port 0 (disabled). */
const blankIsUnset = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);
/** A whole number in [min, max], refused with one message that says so (not zod's own text). */
const integer = (min: number, max: number) => {
  const error = `must be an integer from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const port = z.preprocess(blankIsUnset, integer(0, 65_535).optional());
/**
 * An address to listen on: an IP literal (or `localhost`). Checked here, before anything is
 * written, so a typo is named at once instead of surfacing later as a port "in use".
 */
const host = z
  .string()
  .default('0.0.0.0')
  .refine((v) => isIP(v) !== 0 || v === 'localhost', {
    error: 'must be an IP address to listen on, such as 0.0.0.0, 127.0.0.1 or ::',
  });
const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');
const optionalText = z.string().optional();
/** Compose files often set unused paths to ''; that means "not set". */
const optionalPath = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));
/** A connection URL of one of `schemes`; '' is unset. The value is never echoed (a password). */
const serviceUrl = (schemes: readonly string[]) =>
  z.preprocess(
    blankIsUnset,
    z
      .string()
      .refine((v) => schemes.some((s) => v.startsWith(`${s}//`)) && URL.canParse(v), {
        error: `must be a ${schemes.map((s) => `${s}//`).join(' or ')} URL`,
      })
      .optional(),
  );
const csv = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

/** Every setting Beacon reads, with its default. README "Settings" documents each one. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('production'),
  HOST: host,
  HTTPS_PORT: port.transform((v) => v ?? 5000),
  HTTP_PORT: port.transform((v) => v ?? 5001),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_DIR: z.string().min(1).default('./logs'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_STDOUT: flag.default(true),
  JWT_SECRET_KEY: optionalText,
  JWT_SECRET_KEY_FILE: optionalText,
  /** Key of the admin API (at least 32 bytes); `_FILE` reads it from a file (a Docker secret). */
  ADMIN_API_KEY: optionalPath, // '' (a compose file's unset value) is "not set", as for paths
  ADMIN_API_KEY_FILE: optionalPath,
  TLS_CERT_FILE: optionalPath,
  TLS_KEY_FILE: optionalPath,
  TOKEN_TTL_SECONDS: integer(TOKEN_TTL_MIN_SECONDS, TOKEN_TTL_MAX_SECONDS).default(DEFAULT_TOKEN_TTL_SECONDS),
  AUTH_TIMEOUT_SECONDS: integer(1, 3600).default(DEFAULT_AUTH_TIMEOUT_SECONDS),
  /** Close a WebSocket silent this long (no frame, no pong); uWS counts in 4-second ticks. */
  WS_IDLE_TIMEOUT_SECONDS: integer(WS_IDLE_TIMEOUT_MIN_SECONDS, WS_IDLE_TIMEOUT_MAX_SECONDS)
    .refine((v) => v % 4 === 0, 'must be a multiple of 4 (uWS counts idle time in 4-second ticks)')
    .default(WS_IDLE_TIMEOUT_SECONDS),
  HASH_WORKERS: integer(1, 64).optional(),
  /** Serve /inspect/*; defaults to on in development, off otherwise. */
  INSPECT: flag.optional(),
  /** Comma-separated Origin allow-list for WebSocket upgrades; empty allows every origin. */
  ALLOWED_ORIGINS: csv,
  /** Take the client address from X-Forwarded-For when the peer is one of these addresses. */
  TRUSTED_PROXIES: csv,
  /** JSON file of channel namespaces; unset: the built-in ones (room, user, private). */
  CHANNELS_FILE: optionalPath,
  /** Cluster mode (with REDIS_URL): the event log in PostgreSQL; unset, the embedded SQLite log. */
  DATABASE_URL: serviceUrl(['postgres:', 'postgresql:']),
  /** Cluster mode (with DATABASE_URL): fan-out, presence and history in Redis. */
  REDIS_URL: serviceUrl(['redis:', 'rediss:']),
  /** This node's name in a cluster (presence, logs); unset, one is generated at each start. */
  NODE_ID: z.preprocess(
    blankIsUnset,
    z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'must be 1 to 64 letters, digits, dots, dashes or underscores' }).optional(),
  ),
  /** A node that could not follow the log this long stops serving until it has caught up. */
  CLUSTER_FENCE_SECONDS: integer(1, 3600).default(DEFAULT_CLUSTER_FENCE_SECONDS),
});

export type RawEnv = z.input<typeof envSchema>;
export type ParsedEnv = z.output<typeof envSchema>;
