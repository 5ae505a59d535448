// The operator CLI's HTTP client for the admin API: one request with X-API-Key, JSON in
// and out, over http or https (a self-signed local server is trusted through DATA_DIR's
// generated certificate, or not checked at all with --insecure). Every failure becomes a
// one-line CliError: server down, refused key, unknown user, admin API off.

import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError } from './common.js';

export interface ClientOptions {
  url: string;
  key: string;
  insecure: boolean;
  /** A CA certificate (PEM) to trust for https: the server's generated one. */
  caFile?: string | undefined;
  timeoutMs?: number;
}

export interface AdminAnswer {
  status: number;
  body: unknown;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function adminRequest(options: ClientOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  let target: URL;
  try {
    target = new URL(path, options.url.endsWith('/') ? options.url : `${options.url}/`);
  } catch {
    return Promise.reject(new CliError(`--url ${options.url} is not a URL`, 2));
  }
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { 'X-API-Key': options.key, Accept: 'application/json' };
  if (payload !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  const secure = target.protocol === 'https:';
  const tls = secure
    ? options.insecure
      ? { rejectUnauthorized: false }
      : options.caFile !== undefined && existsSync(options.caFile)
        ? { ca: readFileSync(options.caFile) }
        : {}
    : {};
  const send = secure ? httpsRequest : httpRequest;
  return new Promise<AdminAnswer>((resolve, reject) => {
    const req = send(target, { method, headers, agent: false, timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text === '' ? null : JSON.parse(text);
        } catch {
          parsed = { error: 'not_json', message: text.slice(0, 120) };
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', (err) => reject(unreachable(options.url, err)));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => reject(unreachable(options.url, err)));
    if (payload !== undefined) req.write(payload);
    req.end();
  }).then(({ status, body: answer }) => {
    if (status >= 200 && status < 300) return answer;
    throw failure(status, answer, path);
  });
}

function unreachable(url: string, err: Error): CliError {
  const code = (err as NodeJS.ErrnoException).code ?? err.message;
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|altnames/i.test(`${code} ${err.message}`)) {
    return new CliError(`cannot trust the certificate of ${url} (${code}): pass --insecure for a self-signed local server, or use the http port`);
  }
  return new CliError(`cannot reach ${url} (${code}): is Beacon running there? (set --url)`);
}

/** The server's error as one line. */
export function failure(status: number, body: unknown, path: string): CliError {
  const { error, message } = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; message?: unknown };
  const code = typeof error === 'string' ? error : `HTTP ${status}`;
  const text = typeof message === 'string' ? message : '';
  if (code === 'invalid_api_key') return new CliError(`the server refused the admin key (${code}: ${text}); check ADMIN_API_KEY / --key-file`);
  if (status === 404 && code === 'not_found') {
    return new CliError(`${path}: not found (is the admin API enabled on the server? it needs ADMIN_API_KEY or ADMIN_API_KEY_FILE)`);
  }
  return new CliError(`${code}: ${text === '' ? `HTTP ${status}` : text}`);
}
