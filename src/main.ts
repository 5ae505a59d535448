// `npm start`: parse the config, start Beacon, and stop it gracefully on SIGTERM/SIGINT.
// A bad setting or a missing native transport stops the start with one clear line.

import { ConfigError, loadConfig } from './config/index.js';
import { SHUTDOWN_GRACE_MS } from './constants.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    return fatal(err);
  }
  // Loaded after the config so a config error never waits on the native module.
  const { startBeacon } = await import('./app.js').catch((err: unknown) => fatal(err));
  let beacon;
  try {
    beacon = await startBeacon({ config });
  } catch (err) {
    return fatal(err);
  }
  const shutdown = (signal: string): void => {
    // A second signal, or a stop that hangs, must not keep the process alive forever.
    const force = setTimeout(() => {
      process.stderr.write(`beacon: forced exit after ${SHUTDOWN_GRACE_MS + 1500} ms\n`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + 1500);
    force.unref();
    beacon
      .stop(signal)
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        process.stderr.write(`beacon: shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

function fatal(err: unknown): never {
  const known = err instanceof ConfigError || (err instanceof Error && err.name === 'NativeTransportError');
  const line = known ? (err as Error).message : `failed to start: ${err instanceof Error ? err.message : String(err)}`;
  process.stderr.write(`beacon: ${line}\n`);
  process.exit(1);
}

void main();
