// Drives the web console the way a person does: through its labelled fields and buttons,
// waiting on what the page shows (status, log lines, list items), never on time.

import type { Locator, Page } from 'playwright-core';
import type { PageDocument, PageMutationObserverClass, PageWindow } from './pageGlobals.js';

declare const document: PageDocument;
declare const window: PageWindow;
declare const MutationObserver: PageMutationObserverClass;

export const PASSWORD = 'correct horse battery';

export async function openTab(page: Page, name: 'Connection' | 'Testing' | 'Channels' | 'Debug' | 'Inspector' | 'Admin'): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await page.getByRole('tab', { name, selected: true }).waitFor();
}

/** Registers and logs in through the two forms of the Connection tab. */
export async function registerAndLogin(page: Page, username: string, password = PASSWORD): Promise<void> {
  await openTab(page, 'Connection');
  await page.locator('#register-username').fill(username);
  await page.locator('#register-password').fill(password);
  await page.getByRole('button', { name: 'Register', exact: true }).click();
  await page.locator('#register-result[data-kind="ok"]').waitFor();
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.locator('#login-result[data-kind="ok"]').waitFor();
}

/** Connect & Register, then wait until the status pill says the connection is authenticated. */
export async function connectAndRegister(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Connect & Register' }).click();
  await statusIs(page, 'authenticated');
}

export async function statusIs(page: Page, state: string): Promise<void> {
  await page.locator(`#status-pill[data-state="${state}"]`).waitFor();
}

export function onlineUser(page: Page, username: string): Locator {
  return page.locator(`#online-list [data-username="${username}"]`);
}

export function logLine(page: Page, text: string): Locator {
  return page.locator('#log .log-entry', { hasText: text }).first();
}

/**
 * Starts recording every value the diagram's current-state attribute takes, so a state the
 * connection passes through in a few milliseconds (revoked) is still seen.
 */
export async function recordDiagramStates(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const svg = document.querySelector('#diagram svg');
    if (!svg) throw new Error('no diagram');
    const seen: string[] = [svg.getAttribute('data-current-state') ?? ''];
    window.__states = seen;
    // Records carry the value each change replaced: every intermediate value is kept even
    // when several changes land in one batch. (No named helpers in here: tsx's __name
    // wrapper does not exist in the page.)
    new MutationObserver((records) => {
      for (const value of [...records.map((r) => r.oldValue ?? ''), svg.getAttribute('data-current-state') ?? '']) {
        if (seen.at(-1) !== value) seen.push(value);
      }
    }).observe(svg, { attributes: true, attributeOldValue: true, attributeFilter: ['data-current-state'] });
  });
  return () => page.evaluate(() => [...(window.__states ?? [])]);
}

/** Enters the admin key on the Admin tab, as an operator pastes it. */
export async function useAdminKey(page: Page, key: string): Promise<void> {
  await openTab(page, 'Admin');
  await page.getByLabel('Admin API key').fill(key);
  await page.getByRole('button', { name: 'Use key' }).click();
  await page.locator('#admin-key-result[data-kind="ok"]').waitFor();
}
