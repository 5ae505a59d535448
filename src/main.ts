// `npm start`: parse the config, start Beacon, stop it gracefully on SIGTERM/SIGINT and
// reload the TLS certificate on SIGHUP. A bad setting or a missing native transport stops
// the start with one clear line.

import { loadConfig } from './config/index.js';
import { SHUTDOWN_GRACE_MS } from './constants.js';
import { startupFailureLine } from './startupError.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    return fatal(err);
  }
  // Loaded after the config so a config error never waits on the native module.
  const { startBeacon } = await import('./app.js').catch((err: unknown) => fatal(err));
  const starting = startBeacon({ config });
  // The handlers go in before the start completes: "beacon ready" is logged before this
  // function resumes, and a signal arriving with no handler yet would kill the process
  // outright (SIGTERM, SIGHUP) instead of stopping it gracefully or reloading.
  const shutdown = (signal: string): void => {
    // A second signal, or a stop that hangs, must not keep the process alive forever.
    const force = setTimeout(() => {
      process.stderr.write(`beacon: forced exit after ${SHUTDOWN_GRACE_MS + 1500} ms\n`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + 1500);
    force.unref();
    starting
      .then((beacon) => beacon.stop(signal))
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        process.stderr.write(`beacon: shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // A renewed certificate (certbot deploy hook, `docker kill -s HUP`) is picked up without
  // dropping a connection. A failure keeps the old certificate and is logged, with its
  // cause, by reloadTls itself, so nothing more is done with it here.
  process.on('SIGHUP', () => {
    starting.then((beacon) => beacon.reloadTls()).catch(() => undefined);
  });
  try {
    await starting;
  } catch (err) {
    fatal(err);
  }
}

function fatal(err: unknown): never {
  process.stderr.write(`beacon: ${startupFailureLine(err)}\n`);
  process.exit(1);
}

void main();
