// The token kept for this browser tab only (sessionStorage): a reload keeps it, closing the
// tab forgets it, and "Forget token" drops it at once. Never localStorage: a token that
// outlived the tab would sit on disk for anyone who opens the console later.

const KEY = 'beacon-console:token';

/** @typedef {{ token: string, username: string }} Kept */

/** @returns {Kept | undefined} */
export function keptToken() {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    return value && typeof value.token === 'string' && typeof value.username === 'string' ? value : undefined;
  } catch {
    // Storage off (a privacy mode) or a value that is not ours: nothing is kept.
    return undefined;
  }
}

/** @param {Kept} kept */
export function keepToken(kept) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(kept));
  } catch {
    // Storage off: the token lives in the page only, as before; nothing else to do.
  }
}

export function forgetToken() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Storage off: there was nothing kept to forget.
  }
}
