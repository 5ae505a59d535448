// Serves the web console (`web/`): every file there is read once at start into memory and
// becomes one exact route, so the allow-list is the directory as it was at start and no
// request path ever reaches the file system (no traversal, no late additions).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { Handler, RouteTable } from './routes.js';

/** The only file types served; anything else in `web/` is ignored. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Files above this are not loaded (the console is small; a stray dump should not be). */
const MAX_STATIC_FILE_BYTES = 2 * 1024 * 1024;

/**
 * Same-origin only: scripts, styles, images and fetches from Beacon itself; WebSockets to
 * the same host ('self' covers ws:/wss: of the page's own host in CSP Level 3 browsers).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers of every console file, on top of the two every Beacon answer carries (respond.ts):
 * `X-Content-Type-Options: nosniff`, and `Cache-Control: no-store`, which suits files served
 * from memory: a few KiB per load, and never a stale console after an upgrade.
 */
const STATIC_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface StaticFile {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

/** Every servable file under `dir`, keyed by URL path; `index.html` also answers its folder. */
export function loadStaticFiles(dir: string): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let entries: string[];
  try {
    entries = [...walk(dir)];
  } catch (err) {
    // No web/ at all (a trimmed deployment): the API still serves, `/` answers 404.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw err;
  }
  for (const full of entries.sort()) {
    const contentType = CONTENT_TYPES[extname(full).toLowerCase()];
    if (contentType === undefined || statSync(full).size > MAX_STATIC_FILE_BYTES) continue;
    const path = `/${relative(dir, full).split(sep).join('/')}`;
    const file: StaticFile = { path, contentType, body: readFileSync(full) };
    files.set(path, file);
    if (path.endsWith('/index.html')) files.set(path.slice(0, -'index.html'.length), file);
  }
  return files;
}

/** One GET route per file, ready to merge into the route table. */
export function staticRoutes(dir: string): RouteTable {
  const routes = new Map<string, Readonly<Record<string, Handler>>>();
  for (const [path, file] of loadStaticFiles(dir)) {
    routes.set(path, {
      GET: (ctx) => ctx.reply.send(200, file.contentType, file.body, STATIC_HEADERS),
    });
  }
  return routes;
}
