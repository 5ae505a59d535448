// Loads uWebSockets.js's native binary explicitly. The npm build in use silently falls
// back to a slow pure-JS server when its binary fails to load; Beacon refuses to run on it.

import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';
import { StartupError } from '../startupError.js';

export type Uws = typeof UWS;

/** The native binary did not load; main.ts prints this message as the one start-up line. */
export class NativeTransportError extends StartupError {}

/** The binary built for this platform and Node ABI, as the package lays them out. */
export const NATIVE_BINARY = `uWebSockets.js/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;

export function loadNativeTransport(file = NATIVE_BINARY): Uws {
  const require = createRequire(import.meta.url);
  let loaded: Uws;
  try {
    loaded = require(file) as Uws;
  } catch (err) {
    throw new NativeTransportError(
      `uWebSockets.js native binary ${file} did not load (${(err as Error).message.split('\n')[0]}); ` +
        'Beacon will not run on the pure-JS fallback. Use Node.js 20 on linux-x64/arm64 with glibc.',
      { cause: err },
    );
  }
  // "silent" stops uWS adding `uWebSockets: 20` to every answer (its write mark): a
  // version banner helps only whoever probes for known flaws. This build has no
  // compile-time switch for it (UWS_HTTPRESPONSE_NO_WRITEMARK), but it has this one.
  loaded._cfg('silent');
  return loaded;
}

export const uws: Uws = loadNativeTransport();
