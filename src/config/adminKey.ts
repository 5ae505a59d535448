// The admin API key: from ADMIN_API_KEY, ADMIN_API_KEY_FILE (a Docker secret), or, only
// in development (`npm run dev`), a key generated once into DATA_DIR so a newcomer's
// console and inspector work. With none, the admin API is off (every /admin/* is 404).

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_API_KEY_MIN_BYTES } from '../constants.js';
import { ConfigError } from './configError.js';
import { checkKeyPermissions } from './keyFile.js';

export interface AdminKey {
  readonly key: Uint8Array;
  /** Where it came from, for the start-up log line (never the key itself). */
  readonly source: 'env' | 'file' | 'generated' | 'stored';
  /** The file it was read from or generated into, when there is one. */
  readonly path?: string;
}

/** The file a development server generates its admin key into, inside DATA_DIR. */
export const GENERATED_ADMIN_KEY_FILE = 'admin-api.key';

export interface AdminKeySettings {
  readonly ADMIN_API_KEY?: string | undefined;
  readonly ADMIN_API_KEY_FILE?: string | undefined;
  readonly DATA_DIR: string;
  readonly NODE_ENV: string;
}

/**
 * Resolves the admin key, or undefined when the admin API is off. Both settings, an
 * unreadable file or a short key are a ConfigError naming the setting.
 */
export function resolveAdminKey(config: AdminKeySettings): AdminKey | undefined {
  const direct = config.ADMIN_API_KEY;
  const file = config.ADMIN_API_KEY_FILE;
  if (direct !== undefined && file !== undefined) {
    throw new ConfigError('ADMIN_API_KEY', 'set either ADMIN_API_KEY or ADMIN_API_KEY_FILE, not both');
  }
  if (direct !== undefined) return { key: checkedAdminKey('ADMIN_API_KEY', direct), source: 'env' };
  if (file !== undefined) return { key: readAdminKeyFile('ADMIN_API_KEY_FILE', file), source: 'file', path: file };
  // The contract's "neither set: 404" holds in production; development trades it for a
  // console that works out of the box, and says where the key is.
  if (config.NODE_ENV !== 'development') return undefined;
  mkdirSync(config.DATA_DIR, { recursive: true });
  const path = join(config.DATA_DIR, GENERATED_ADMIN_KEY_FILE);
  if (existsSync(path)) {
    chmodSync(path, 0o600);
    return { key: readAdminKeyFile(path, path), source: 'stored', path };
  }
  const generated = randomBytes(32).toString('base64url');
  writeFileSync(path, generated + '\n', { mode: 0o600, flag: 'wx' });
  return { key: checkedAdminKey(path, generated), source: 'generated', path };
}

/**
 * Reads a key file; a trailing newline (from `echo`) is not part of the key. Like the JWT
 * and TLS key files, one that group or others may read is refused: it would let anyone on
 * the host act as the operator.
 */
export function readAdminKeyFile(setting: string, file: string): Uint8Array {
  checkKeyPermissions(file, setting);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(setting, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return checkedAdminKey(setting, text.replace(/\r?\n$/, ''));
}

function checkedAdminKey(setting: string, text: string): Uint8Array {
  const key = new TextEncoder().encode(text);
  if (key.byteLength === 0) throw new ConfigError(setting, 'is empty');
  if (key.byteLength < ADMIN_API_KEY_MIN_BYTES) {
    throw new ConfigError(setting, `key is ${key.byteLength} bytes; at least ${ADMIN_API_KEY_MIN_BYTES} are required`);
  }
  return key;
}
