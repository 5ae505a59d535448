// The Admin tab in a real browser (headless Chromium): an operator enters the key, sees a
// second browser's user among the live connections, kicks them after a confirmation, and
// that browser shows the 4005 explanation; the event log shows the kick live. The
// Inspector, with the same key, lights up the other browser's connection from the server's
// own record of its transitions. Every control named; the key never in a URL.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ROOT } from '../support/process.js';
import { startTestBeacon, type TestBeacon } from '../support/beacon.js';
import { launchChromium, newPage, unnamedInAxTree, unnamedInDom } from './browser.js';
import { connectAndRegister, openTab, registerAndLogin, statusIs, useAdminKey } from './consolePage.js';

const OUT = join(ROOT, 'test-output');
const KEY = 'admin-key-for-the-e2e-test-0123456789-abcdef';

let t: TestBeacon;
let browser: Browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  t = await startTestBeacon({ env: { INSPECT: '1', ADMIN_API_KEY: KEY } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await t?.stop();
});

describe('Admin tab', { timeout: 180_000 }, () => {
  test('an admin kicks a second browser\'s user, who sees the 4005 explanation; the inspector follows any server connection', async () => {
    const operator = await newPage(browser);
    const user = await newPage(browser);
    const o = operator.page;
    const u = user.page;
    await Promise.all([o.goto(`${t.http}/`), u.goto(`${t.http}/`)]);

    await registerAndLogin(u, 'kick_e2e');
    await connectAndRegister(u);

    // No key yet: the Inspector's live view says where to enter one; the diagram needs none.
    await openTab(o, 'Inspector');
    await o.locator('#diagram svg .sm-node[data-state="authenticated"]').waitFor();
    await o.locator('#actors-notice', { hasText: 'Admin tab' }).waitFor();
    // The diagram speaks in words: no internal event names.
    const labels = (await o.locator('#diagram svg').textContent()) ?? '';
    for (const internal of ['INVALID', 'FLOOD', 'SOCKET_CLOSED', 'REVOKE', 'xstate.', 'noteClose', 'always']) assert.ok(!labels.includes(internal), `diagram shows ${internal}`);
    assert.match(labels, /token given at upgrade/);
    await o.getByRole('button', { name: 'Zoom in' }).click();
    await o.locator('#diagram svg.is-zoomed').waitFor();
    await o.getByRole('button', { name: 'Fit' }).click();
    await o.locator('#diagram svg:not(.is-zoomed)').waitFor();

    await useAdminKey(o, KEY);
    const row = o.locator('#admin-conn-body tr[data-username="kick_e2e"]');
    await row.waitFor();
    assert.match((await row.innerText()).replace(/\s+/g, ' '), /kick_e2e \S+ websocket 127\.0\.0\.1 — authenticated/);

    // The inspector, now with the key: pick the other browser's connection.
    await openTab(o, 'Inspector');
    const actor = o.locator('#actors-body tr', { hasText: 'kick_e2e' });
    await actor.getByRole('button', { name: /Show connection .* of kick_e2e in the diagram/ }).click();
    await o.locator('#history-title', { hasText: 'kick_e2e' }).waitFor();
    await o.locator('#history .history-item[data-to="authenticated"]', { hasText: 'token accepted' }).waitFor();
    await o.locator('#diagram svg .sm-node[data-state="authenticated"].is-current').waitFor();
    await o.screenshot({ path: join(OUT, 'inspector-picked.png'), fullPage: true });
    await o.getByRole('button', { name: 'Back to this console' }).click();
    await o.locator('#history-title', { hasText: "This console's connection" }).waitFor();

    // Kick, cancelled first, then confirmed.
    await openTab(o, 'Admin');
    await row.getByRole('button', { name: 'Kick kick_e2e' }).click();
    const dialog = o.getByRole('dialog', { name: 'Kick kick_e2e?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await o.locator('#admin-user-result', { hasText: 'cancelled' }).waitFor();
    await statusIs(u, 'authenticated');
    await row.getByRole('button', { name: 'Kick kick_e2e' }).click();
    await o.screenshot({ path: join(OUT, 'admin-confirm.png') });
    await dialog.getByRole('button', { name: 'Kick' }).click();
    await o.locator('#admin-user-result[data-kind="ok"]', { hasText: 'closed 1 connection' }).waitFor();

    // The other browser: closed with 4005, told what it means and that the token still works.
    await u.getByRole('alert').filter({ hasText: 'Disconnected by an administrator' }).waitFor();
    await u.locator('#session-banner-text', { hasText: '4005 disconnected by an administrator' }).waitFor();
    await u.locator('#session-banner-text', { hasText: 'Your token is still valid' }).waitFor();
    await u.locator('#status-text', { hasText: '4005 disconnected by an administrator' }).waitFor();
    await u.screenshot({ path: join(OUT, 'kicked-user.png') });

    // Publish as the server: the answer names the channel and the offset.
    await o.locator('#admin-publish-channel').fill('room:e2e-admin');
    await o.locator('#admin-publish-button').click();
    await o.locator('#admin-publish-result[data-kind="ok"]', { hasText: 'Published to room:e2e-admin at offset 1' }).waitFor();

    // The event log, live, newest first, filtered by type and user.
    await o.locator('#admin-events .admin-event[data-type="UserKicked"]', { hasText: 'username=kick_e2e' }).waitFor();
    await o.getByLabel('Type').selectOption('UserKicked');
    await o.getByLabel('User (name or id)').fill('kick_e2e');
    const shown = await o.locator('#admin-events .admin-event').evaluateAll((items) => items.map((i) => i.getAttribute('data-type')));
    assert.deepEqual([...new Set(shown)], ['UserKicked']);
    assert.match((await o.locator('#admin-events .admin-event').first().innerText()), /by admin:[0-9a-f]{12}/);
    await o.screenshot({ path: join(OUT, 'admin-tab.png'), fullPage: true });

    // Named controls; the key travelled in a header only, never in a URL.
    assert.deepEqual(await unnamedInDom(o), []);
    assert.deepEqual(await unnamedInAxTree(o), [], 'unnamed controls on the Admin tab');
    assert.ok(!operator.guard.urls.some((url) => url.includes(KEY)), 'the key in a URL');
    assert.deepEqual(operator.guard.errors, []);
    assert.deepEqual(operator.guard.foreign, []);
    await Promise.all([operator.context.close(), user.context.close()]);
  });
});
