// The error of a wrong setting: it names the setting, and its message is the one line
// main.ts prints before exiting (a StartupError, so never a stack trace).

import { StartupError } from '../startupError.js';

export class ConfigError extends StartupError {
  constructor(
    readonly setting: string,
    detail: string,
  ) {
    super(`${setting}: ${detail}`);
  }
}
