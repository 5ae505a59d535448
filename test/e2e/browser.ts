// Headless Chromium for end-to-end tests: Debian's /usr/bin/chromium driven by
// playwright-core, plus page guards that record every request's origin, console errors
// and uncaught exceptions, and an accessible-name audit read from Chromium's own AX tree.

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { PageDocument } from './pageGlobals.js';

declare const document: PageDocument;

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
    timeout: 60_000,
  });
}

export interface PageGuard {
  /** Every URL the page requested (HTTP and WebSocket). */
  readonly urls: string[];
  /** Requests that left the allowed origins. */
  readonly foreign: string[];
  /** console.error messages, failed loads and uncaught exceptions. */
  readonly errors: string[];
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Watches a page: records its requests and flags any not to a local host, and its errors. */
export function guardPage(page: Page): PageGuard {
  const guard: PageGuard = { urls: [], foreign: [], errors: [] };
  const check = (url: string): void => {
    guard.urls.push(url);
    const parsed = new URL(url);
    if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || parsed.protocol === 'about:') return;
    if (!LOCAL_HOSTS.has(parsed.hostname)) guard.foreign.push(url);
  };
  page.on('request', (req) => check(req.url()));
  page.on('websocket', (ws) => check(ws.url()));
  page.on('console', (msg) => {
    if (msg.type() === 'error') guard.errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => guard.errors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => {
    // A WebSocket the server closes is not a failed request; anything else is.
    guard.errors.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`);
  });
  return guard;
}

export async function newPage(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page; guard: PageGuard }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return { context, page, guard: guardPage(page) };
}

const INTERACTIVE_ROLES = new Set(['button', 'textbox', 'checkbox', 'combobox', 'tab', 'radio', 'slider', 'spinbutton', 'searchbox', 'switch', 'link']);

/**
 * Controls in the rendered accessibility tree without a name, as "role (backend id)".
 * This is Chromium's own computation (labels, aria-*, content), not a re-implementation.
 */
export async function unnamedInAxTree(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: Array<{ ignored: boolean; role?: { value?: string }; name?: { value?: string }; backendDOMNodeId?: number }>;
    };
    return nodes
      .filter((n) => !n.ignored && INTERACTIVE_ROLES.has(String(n.role?.value)) && String(n.name?.value ?? '').trim() === '')
      .map((n) => `${n.role?.value} (node ${n.backendDOMNodeId})`);
  } finally {
    await cdp.detach();
  }
}

/**
 * Every input, select, textarea and button in the document (shown or not) without an
 * accessible name by the HTML rules that apply to them: aria-labelledby, aria-label,
 * a <label>, or (buttons) their text. Placeholders do not count.
 */
export function unnamedInDom(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const missing: string[] = [];
    for (const el of document.querySelectorAll('input, select, textarea, button')) {
      const byIds = (el.getAttribute('aria-labelledby') ?? '')
        .split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' ');
      const labels = Array.from(el.labels ?? [], (l) => l.textContent ?? '').join(' ');
      const own = el.tagName === 'BUTTON' ? (el.textContent ?? '') : '';
      const name = `${byIds} ${el.getAttribute('aria-label') ?? ''} ${labels} ${own} ${el.getAttribute('title') ?? ''}`.trim();
      if (name === '') missing.push(`${el.tagName.toLowerCase()}#${el.id || '?'}`);
    }
    return missing;
  });
}
