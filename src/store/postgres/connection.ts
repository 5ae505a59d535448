// Connecting to DATABASE_URL: the pool every node appends and reads through, and the words
// a failure to connect is reported in, which name the setting and never its password.

import pg from 'pg';
import { PG_CONNECT_TIMEOUT_MS, PG_POOL_SIZE, PG_QUERY_TIMEOUT_MS } from '../../constants.js';
import { StartupError } from '../../startupError.js';

/** The URL with any password replaced by `***`, for logs and error lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** A driver error in one line, scrubbed of the URL's password should a message carry it. */
export function describePgError(err: unknown, url: string): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // Unparsable: nothing to scrub but the URL itself, which is never printed.
  }
  const text = password === '' ? message : message.split(password).join('***');
  return typeof e?.code === 'string' && !text.includes(e.code) ? `${text} (${e.code})` : text;
}

export function createPool(url: string, onError: (err: unknown) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: PG_POOL_SIZE,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    query_timeout: PG_QUERY_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // An idle connection that dies (PostgreSQL restarted) is reported here, not thrown.
  pool.on('error', onError);
  return pool;
}

/** The one line a start that cannot use DATABASE_URL stops with. */
export function startupFailure(url: string, what: string, err: unknown): StartupError {
  return new StartupError(`DATABASE_URL: ${what} ${redactUrl(url)}: ${describePgError(err, url)}`, { cause: err });
}
