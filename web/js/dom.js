// Small DOM helpers shared by the console's modules: typed lookups, element building
// without innerHTML (frames are untrusted text), and time formatting.

/**
 * The element with this id; throws early when the page and the script disagree.
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return /** @type {T} */ (el);
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ className?: string, text?: string, attrs?: Record<string, string> }} [options]
 * @param {Array<Node | string>} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, options = {}, children = []) {
  const el = document.createElement(tag);
  if (options.className) el.className = options.className;
  if (options.text !== undefined) el.textContent = options.text;
  for (const [k, v] of Object.entries(options.attrs ?? {})) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

/** "14:03:07.218" @param {number} ms */
export function clock(ms) {
  const d = new Date(ms);
  const p = (/** @type {number} */ n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** "3 s", "4 min 2 s", "1 h 5 min" @param {number} ms */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Pretty JSON for display; strings as they are. @param {unknown} value */
export function pretty(value) {
  if (value === undefined) return '';
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value, null, 2);
}

/** A form's result line: its text, and its kind for the colour. @param {string} id @param {'ok' | 'error' | 'info'} kind @param {string} text */
export function showResult(id, kind, text) {
  const el = byId(id);
  el.dataset['kind'] = kind;
  el.textContent = text;
}
