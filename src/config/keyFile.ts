// Secret files named by a setting (the TLS key, the JWT key, the admin key): refused at start when anyone
// but their owner may read or change them, as ssh refuses a private key it could leak.

import { statSync } from 'node:fs';
import { ConfigError } from './configError.js';

/** Throws a ConfigError naming `setting` unless `file` exists and only its owner has access. */
export function checkKeyPermissions(file: string, setting: string): void {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    throw new ConfigError(setting, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(setting, `${file} is readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  }
}
