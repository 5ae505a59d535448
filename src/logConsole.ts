// What a person at a terminal reads: when stdout is a TTY, the JSON log lines meant for
// files and `docker logs` are shown as short readable lines instead, and the first of them
// is "Beacon ready: <console URL> ..." (lines logged while starting follow it).

import { listenUrls } from './listenUrls.js';

/** Fields every record has, or that the readable form already shows. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** Lines held back until the ready line, so it comes first; past this they are dropped. */
const MAX_HELD_LINES = 200;
const ERROR_LEVEL = 50;

export interface Sink {
  write(text: string): unknown;
}

/** The one line a person sees when the server is up, from the "beacon ready" record. */
export function readyLine(record: { host?: unknown; httpsPort?: unknown; httpPort?: unknown }): string {
  const port = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const [first, ...rest] = listenUrls(typeof record.host === 'string' ? record.host : '', {
    httpsPort: port(record.httpsPort),
    httpPort: port(record.httpPort),
  });
  return `Beacon ready: ${[`${first ?? ''} (console)`, ...rest].join(', ')}`;
}

/** One record as `12:00:01 warn  app: message key=value ...`. */
export function readableLine(record: Record<string, unknown>): string {
  const time = typeof record['time'] === 'string' ? record['time'].slice(11, 19) : '';
  const level = (LEVELS[Number(record['level'])] ?? String(record['level'])).padEnd(5);
  const extra = Object.entries(record)
    .filter(([key]) => !SHOWN.has(key))
    .map(([key, value]) => `${key}=${describe(value)}`);
  return [time, level, `${String(record['name'] ?? '')}: ${String(record['msg'] ?? '')}`, ...extra].join(' ').trim();
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'message' in value) return JSON.stringify((value as { message: unknown }).message);
  return typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value);
}

/** A pino destination for a terminal: readable lines, the ready line first. */
export function consoleStream(out: Sink): Sink {
  let held: string[] | undefined = [];
  return {
    write(chunk: string) {
      for (const text of chunk.split('\n')) {
        if (text === '') continue;
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(text) as Record<string, unknown>;
        } catch {
          out.write(`${text}\n`);
          continue;
        }
        if (held !== undefined && record['msg'] === 'beacon ready') {
          out.write(`${readyLine(record)}\n`);
          for (const line of held) out.write(line);
          held = undefined;
          continue;
        }
        const line = `${readableLine(record)}\n`;
        // Errors are not held: a start that fails must show why at once.
        if (held === undefined || Number(record['level']) >= ERROR_LEVEL) out.write(line);
        else if (held.length < MAX_HELD_LINES) held.push(line);
      }
    },
  };
}
