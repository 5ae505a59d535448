// Loads uWebSockets.js's native binary explicitly. The npm build in use silently falls
// back to a slow pure-JS server when its binary fails to load; Beacon refuses to run on it.

import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';

export type Uws = typeof UWS;

export class NativeTransportError extends Error {}

function load(): Uws {
  const require = createRequire(import.meta.url);
  const file = `uWebSockets.js/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    return require(file) as Uws;
  } catch (err) {
    throw new NativeTransportError(
      `uWebSockets.js native binary ${file} did not load (${(err as Error).message.split('\n')[0]}); ` +
        'Beacon will not run on the pure-JS fallback. Use Node.js 20 on linux-x64/arm64 with glibc.',
    );
  }
}

export const uws: Uws = load();
