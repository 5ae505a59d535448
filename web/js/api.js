// The HTTP API (docs/protocol.md, section 2) as small async functions. Every answer
// resolves to {ok, status, body}: errors are values here, so the console can show them as
// they are.

/**
 * @typedef {{ ok: boolean, status: number, body: any }} ApiResult
 */

/**
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, token?: string, apiKey?: string }} [options]
 * @returns {Promise<ApiResult>}
 */
export async function api(method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
  // The admin key travels in its header only, never in the URL (it would reach logs).
  if (options.apiKey) headers['X-API-Key'] = options.apiKey;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (err) {
    return { ok: false, status: 0, body: { error: 'network_error', message: String(err) } };
  }
  const text = await res.text();
  let body;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = { error: 'not_json', message: text.slice(0, 200) };
  }
  return { ok: res.ok, status: res.status, body };
}

/** @param {string} username @param {string} password */
export const register = (username, password) => api('POST', '/register', { body: { username, password } });
/** @param {string} username @param {string} password */
export const login = (username, password) => api('POST', '/login-token', { body: { username, password } });
/** @param {string} token */
export const logout = (token) => api('POST', '/logout', { token });
/** The machine diagram: public. */
export const inspectMachine = () => api('GET', '/inspect/machine');
/** The live connections (and one's transitions): with the admin key. @param {string} apiKey @param {string} [sid] */
export const inspectActors = (apiKey, sid) => api('GET', `/inspect/actors${sid ? `?sid=${encodeURIComponent(sid)}` : ''}`, { apiKey });

/**
 * A call to the admin API (docs/protocol.md, section 7).
 * @param {string} apiKey @param {string} method @param {string} path @param {unknown} [body]
 */
export const adminApi = (apiKey, method, path, body) => api(method, path, body === undefined ? { apiKey } : { apiKey, body });

/**
 * The claims of a JWT, for display only (never trusted: the server checks the signature).
 * @param {string} token
 * @returns {Record<string, unknown> | undefined}
 */
export function peekClaims(token) {
  const part = token.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    return typeof claims === 'object' && claims !== null ? claims : undefined;
  } catch {
    return undefined;
  }
}
