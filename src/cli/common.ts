// What every command-line tool shares: a one-line error type (no stack for operators),
// the default database path from the config, and the entry-point runner.

import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config/index.js';

/** A failure shown to the operator as one line, without a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** `$DATA_DIR/beacon.db`, DATA_DIR read through the config like the server reads it. */
export function defaultDbPath(): string {
  try {
    return join(loadConfig(process.env).DATA_DIR, 'beacon.db');
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
}

/** True when the module at `url` is the script node was started with. */
export function isEntry(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(resolve(process.argv[1])).href;
}

/** Runs a command's main(); its number (or 0) is the exit code, an error one stderr line. */
export function runCli(name: string, main: (argv: readonly string[]) => Promise<number | void>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = err instanceof CliError ? err.exitCode : 1;
    },
  );
}
