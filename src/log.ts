// Logging: one pino configuration, three loggers (app, auth, websocket), each writing JSON
// lines to its own rotated file in LOG_DIR and, optionally, to stdout for `docker logs` (a
// terminal gets readable lines, logConsole.ts). Secrets are redacted by key wherever they appear.

import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { LOG_ROTATE_KEEP, LOG_ROTATE_SIZE } from './constants.js';
import { consoleStream } from './logConsole.js';

export type { Logger };

export interface Loggers {
  readonly app: Logger;
  readonly auth: Logger;
  readonly websocket: Logger;
  /** Flushes and closes the files. */
  close(): Promise<void>;
}

/** Keys whose values never reach a log line, at any depth pino can address. */
export const REDACT_PATHS = [
  'password',
  'token',
  'authorization',
  'secret',
  'key',
  'passwordHash',
  '*.password',
  '*.token',
  '*.authorization',
  '*.secret',
  '*.passwordHash',
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface LogOptions {
  dir: string;
  level: string;
  stdout: boolean;
  /** Where stdout lines go; on a terminal (the default when stdout is a TTY) readable, not JSON. */
  console?: { write(text: string): unknown; isTTY?: boolean };
  /** A cluster node's NODE_ID, on every line (which node said it, once the logs are merged). */
  node?: string;
}

export function createLoggers(options: LogOptions): Loggers {
  mkdirSync(options.dir, { recursive: true });
  const files: RotatingFileStream[] = [];
  const out = options.console ?? process.stdout;
  // One destination shared by the three loggers, so the ready line comes before all of them.
  const stdout = out.isTTY === true ? consoleStream(out) : out;
  const make = (name: 'app' | 'auth' | 'websocket'): Logger => {
    const file = createStream(`${name}.log`, {
      path: options.dir,
      size: LOG_ROTATE_SIZE,
      maxFiles: LOG_ROTATE_KEEP,
    });
    file.on('error', (err) => process.stderr.write(`log file ${name}.log: ${err.message}\n`));
    files.push(file);
    const streams: pino.StreamEntry[] = [{ stream: file, level: 'trace' }];
    if (options.stdout) streams.push({ stream: stdout, level: 'trace' });
    return pino(
      {
        name,
        level: options.level,
        redact: { paths: REDACT_PATHS, censor: '[redacted]' },
        base: options.node === undefined ? { pid: process.pid } : { pid: process.pid, node: options.node },
        timestamp: pino.stdTimeFunctions.isoTime,
      },
      pino.multistream(streams),
    );
  };
  const app = make('app');
  const auth = make('auth');
  const websocket = make('websocket');
  return {
    app,
    auth,
    websocket,
    close: () =>
      Promise.all(
        files.map(
          (file) =>
            new Promise<void>((done) => {
              file.end(() => done());
            }),
        ),
      ).then(() => undefined),
  };
}

/** Loggers that write nowhere, for unit tests. */
export function silentLoggers(): Loggers {
  const logger = pino({ level: 'silent' });
  return { app: logger, auth: logger, websocket: logger, close: async () => {} };
}
