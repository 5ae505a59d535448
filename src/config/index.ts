// Config: the parsed, validated and frozen settings, plus the JWT key resolved from
// JWT_SECRET_KEY, JWT_SECRET_KEY_FILE or a key generated once into DATA_DIR.

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUILT_IN_NAMESPACES, loadNamespaceTable, type NamespaceTable } from '../channels/namespaces.js';
import { JWT_MIN_KEY_BYTES, TOKEN_TTL_WARN_BELOW_SECONDS } from '../constants.js';
import { ConfigError } from './configError.js';
import { checkKeyPermissions } from './keyFile.js';
import { envSchema, type ParsedEnv } from './schema.js';

export type Config = Readonly<
  Omit<ParsedEnv, 'INSPECT' | 'NODE_ID'> & {
    INSPECT: boolean;
    /** NODE_ID, or one generated for this start. */
    NODE_ID: string;
    /** Absolute paths. */
    DATA_DIR: string;
    LOG_DIR: string;
    /** The namespaces of CHANNELS_FILE, read and validated once at start, or the built-in ones. */
    CHANNEL_NAMESPACES: NamespaceTable;
  }
>;

export { ConfigError } from './configError.js';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const setting = String(issue?.path[0] ?? 'environment');
    const shown = /KEY|SECRET|URL/.test(setting) ? '' : ` (got ${JSON.stringify(env[setting] ?? null)})`;
    throw new ConfigError(setting, `${issue?.message ?? 'invalid value'}${shown}`);
  }
  const { INSPECT, ...rest } = parsed.data;
  if ((rest.TLS_CERT_FILE === undefined) !== (rest.TLS_KEY_FILE === undefined)) {
    throw new ConfigError('TLS_CERT_FILE', 'TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  if ((rest.DATABASE_URL === undefined) !== (rest.REDIS_URL === undefined)) {
    const [missing, given] = rest.DATABASE_URL === undefined ? ['DATABASE_URL', 'REDIS_URL'] : ['REDIS_URL', 'DATABASE_URL'];
    throw new ConfigError(missing, `must be set with ${given}: a cluster needs both (set neither for one embedded node)`);
  }
  if (rest.HTTP_PORT === 0 && rest.HTTPS_PORT === 0) {
    // Port 0 means "disabled" in docs/protocol.md (tests ask for ephemeral ports in code).
    throw new ConfigError('HTTP_PORT', 'HTTP_PORT and HTTPS_PORT are both 0: nothing would listen');
  }
  return Object.freeze({
    ...rest,
    INSPECT: INSPECT ?? rest.NODE_ENV === 'development',
    NODE_ID: rest.NODE_ID ?? `node-${randomBytes(4).toString('hex')}`,
    DATA_DIR: resolve(rest.DATA_DIR),
    LOG_DIR: resolve(rest.LOG_DIR),
    CHANNEL_NAMESPACES: rest.CHANNELS_FILE === undefined ? BUILT_IN_NAMESPACES : loadNamespaceTable(rest.CHANNELS_FILE),
  });
}

/** Settings that are accepted but worth a warning at start: one line each, for the log. */
export function configWarnings(config: Pick<Config, 'TOKEN_TTL_SECONDS'>): string[] {
  const warnings: string[] = [];
  if (config.TOKEN_TTL_SECONDS < TOKEN_TTL_WARN_BELOW_SECONDS) {
    warnings.push(
      `TOKEN_TTL_SECONDS is ${config.TOKEN_TTL_SECONDS}: tokens under ${TOKEN_TTL_WARN_BELOW_SECONDS} s are for tests and demos, clients will have to log in again that often`,
    );
  }
  return warnings;
}

export interface JwtKey {
  readonly key: Uint8Array;
  /** Where it came from, for the start-up log line (never the key itself). */
  readonly source: 'env' | 'file' | 'generated' | 'stored';
}

const GENERATED_KEY_FILE = 'jwt-secret.key';

/**
 * Resolves the HS256 key. Both forms set, an unreadable file or a short key is a ConfigError;
 * with neither, a random key is generated once into DATA_DIR with mode 0600.
 */
export function resolveJwtKey(config: Pick<Config, 'JWT_SECRET_KEY' | 'JWT_SECRET_KEY_FILE' | 'DATA_DIR'>): JwtKey {
  const direct = config.JWT_SECRET_KEY;
  const file = config.JWT_SECRET_KEY_FILE;
  const dataDir = config.DATA_DIR;
  if (direct !== undefined && file !== undefined) {
    throw new ConfigError('JWT_SECRET_KEY', 'set either JWT_SECRET_KEY or JWT_SECRET_KEY_FILE, not both');
  }
  if (direct !== undefined) return { key: checkedKey('JWT_SECRET_KEY', direct), source: 'env' };
  if (file !== undefined) {
    // Like TLS_KEY_FILE: a key anyone on the host can read lets them mint tokens.
    checkKeyPermissions(file, 'JWT_SECRET_KEY_FILE');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError('JWT_SECRET_KEY_FILE', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    // Secrets written with `echo` end in a newline that is not part of the key.
    return { key: checkedKey('JWT_SECRET_KEY_FILE', text.replace(/\r?\n$/, '')), source: 'file' };
  }
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, GENERATED_KEY_FILE);
  if (existsSync(path)) {
    chmodSync(path, 0o600);
    return { key: checkedKey(path, readFileSync(path, 'utf8').trim()), source: 'stored' };
  }
  const generated = randomBytes(48).toString('base64url');
  writeFileSync(path, generated + '\n', { mode: 0o600, flag: 'wx' });
  return { key: checkedKey(path, generated), source: 'generated' };
}

function checkedKey(setting: string, text: string): Uint8Array {
  const key = new TextEncoder().encode(text);
  if (key.byteLength === 0) throw new ConfigError(setting, 'is empty');
  if (key.byteLength < JWT_MIN_KEY_BYTES) {
    throw new ConfigError(setting, `key is ${key.byteLength} bytes; at least ${JWT_MIN_KEY_BYTES} are required`);
  }
  return key;
}
