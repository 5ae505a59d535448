// The admin API key as this tab holds it: in sessionStorage only (gone when the tab
// closes), never in a URL, a log line or a cookie. The Admin tab sets it; the Admin tab
// and the Inspector's live view read it, and hear when it changes.

const STORAGE_KEY = 'beacon.adminKey';

class AdminKeyStore extends EventTarget {
  /** @returns {string} '' when none is set */
  get value() {
    try {
      return sessionStorage.getItem(STORAGE_KEY) ?? '';
    } catch {
      return '';
    }
  }

  /** @param {string} key */
  set(key) {
    try {
      if (key === '') sessionStorage.removeItem(STORAGE_KEY);
      else sessionStorage.setItem(STORAGE_KEY, key);
    } catch {
      // Storage refused (private mode, quota): the key lives for this page only.
    }
    this.dispatchEvent(new Event('change'));
  }

  clear() {
    this.set('');
  }
}

export const adminKey = new AdminKeyStore();
