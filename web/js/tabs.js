// The WAI-ARIA tabs pattern: one tab stop for the tab list, arrow keys, Home and End move
// between tabs, and the chosen panel is the only one shown.

/**
 * @param {HTMLElement} tablist
 * @param {(id: string) => void} onChange called with the selected tab's id
 */
export function setupTabs(tablist, onChange) {
  const tabs = /** @type {HTMLButtonElement[]} */ ([...tablist.querySelectorAll('[role="tab"]')]);
  /** @param {HTMLButtonElement} tab @param {boolean} focus */
  const select = (tab, focus) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(t.getAttribute('aria-controls') ?? '');
      if (panel) panel.hidden = !on;
    }
    if (focus) tab.focus();
    onChange(tab.id);
  };
  for (const tab of tabs) {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (e) => {
      const i = tabs.indexOf(tab);
      /** @type {Record<string, number>} */
      const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
      const to = moves[e.key];
      if (to === undefined) return;
      e.preventDefault();
      select(/** @type {HTMLButtonElement} */ (tabs[(to + tabs.length) % tabs.length]), true);
    });
  }
  return {
    /** @param {string} id */
    show(id) {
      const tab = tabs.find((t) => t.id === id);
      if (tab) select(tab, false);
    },
  };
}
