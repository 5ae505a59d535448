// Failures that stop the start with one line the operator can act on (a bad setting, a
// missing native module, a DATA_DIR another process holds): main.ts prints their message
// as it is, and anything else as "failed to start: ...".

/** A start-up failure whose message alone explains it: printed as one line, no stack. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The one line main.ts prints before exiting 1. */
export function startupFailureLine(err: unknown): string {
  if (err instanceof StartupError) return err.message.split('\n')[0] ?? '';
  return `failed to start: ${err instanceof Error ? err.message : String(err)}`;
}
