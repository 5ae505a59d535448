// The one error a bad setting raises: its message is the single line printed before the
// start stops. Its own module so loaders of setting files (channels) need not import the
// whole config.

/** A setting is wrong: the message is the one line printed before exiting. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    detail: string,
  ) {
    super(`${setting}: ${detail}`);
    this.name = 'ConfigError';
  }
}
