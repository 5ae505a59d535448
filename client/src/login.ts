// A ready-made getToken for a username and password: logs in with `POST /login-token` the
// first time, and later exchanges the token in use with `POST /refresh-token`, so a refresh
// keeps the live connection (Beacon gives its other holders a grace to swap, no 4004).

import type { TokenAnswer } from './types.js';

export interface LoginOptions {
  username: string;
  password: string;
  /** The fetch to use; the global one by default. */
  fetch?: typeof fetch;
}

/**
 * `getToken` for `new BeaconClient({getToken: loginTokens('https://host:5000', {username, password})})`.
 * A refresh the server refuses (the token expired, was revoked or replaced meanwhile) falls
 * back to a login with the password.
 */
export function loginTokens(baseUrl: string, options: LoginOptions): (current?: string) => Promise<TokenAnswer> {
  const fetchFn = options.fetch ?? fetch;
  const base = baseUrl.replace(/\/+$/, '');
  const post = async (path: string, init: RequestInit): Promise<string | undefined> => {
    const res = await fetchFn(`${base}${path}`, { method: 'POST', ...init });
    const body = (await res.json().catch(() => ({}))) as { token?: unknown; error?: string; message?: string };
    if (res.ok && typeof body.token === 'string') return body.token;
    // A refusal of the refresh (401) is answered by a login; a refused login is an error.
    if (path === '/refresh-token' && res.status === 401) return undefined;
    throw new Error(`${path}: ${res.status} ${body.error ?? ''} ${body.message ?? ''}`.trim());
  };
  const login = (): Promise<string | undefined> =>
    post('/login-token', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: options.username, password: options.password }),
    });
  return async (current) => {
    const refreshed = current === undefined ? undefined : await post('/refresh-token', { headers: { Authorization: `Bearer ${current}` } });
    return (refreshed ?? (await login())) ?? null;
  };
}
