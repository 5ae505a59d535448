// What a new user found in the console, fixed, in a real browser: "Connected as" rather than
// "User registered", a username mismatch that keeps the token, the Testing tab's online
// answer kept live, directed messages told from broadcasts, the token kept for the tab
// (and forgotten on request), and no "live" dot without the admin key the polls need.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTestBeacon, type TestBeacon } from '../support/beacon.js';
import { launchChromium, newPage, type PageGuard } from './browser.js';
import { connectAndRegister, logLine, openTab, registerAndLogin, statusIs } from './consolePage.js';

let t: TestBeacon;
let browser: Browser;
const guards: Array<{ who: string; guard: PageGuard }> = [];

before(async () => {
  t = await startTestBeacon({ env: { INSPECT: '1' } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await t?.stop();
});

describe('console fixes', { timeout: 180_000 }, () => {
  test('connected as, live online answer, direct vs broadcast, mismatch keeps the token, kept token', async () => {
    const alice = await newPage(browser);
    const bob = await newPage(browser);
    guards.push({ who: 'alice', guard: alice.guard }, { who: 'bob', guard: bob.guard });
    const a = alice.page;
    const b = bob.page;
    await Promise.all([a.goto(`${t.http}/`), b.goto(`${t.http}/`)]);

    // No admin key (what the server's live connections need): the Inspector's live dot stays off.
    await openTab(a, 'Inspector');
    await a.locator('#actors-notice', { hasText: 'admin key' }).waitFor();
    assert.equal(await a.locator('#actors-live').isVisible(), false, 'no live dot without a key');
    await openTab(a, 'Connection');

    await registerAndLogin(a, 'fix_alice');
    await connectAndRegister(a);
    await a.locator('#session-result', { hasText: 'Connected as fix_alice (user ' }).waitFor();
    assert.doesNotMatch(await a.locator('#session-result').innerText(), /User registered/);

    // Alice asks who is online once; bob arriving updates the answer without asking again.
    await openTab(a, 'Testing');
    await a.getByRole('button', { name: 'Get online users' }).click();
    await a.locator('#online-result', { hasText: '1 online: fix_alice' }).waitFor();
    await registerAndLogin(b, 'fix_bob');
    await connectAndRegister(b);
    await a.locator('#online-result', { hasText: '2 online: fix_alice, fix_bob' }).waitFor();

    // Direct and broadcast messages read differently, for the recipient and the sender.
    await openTab(b, 'Testing');
    await b.getByLabel('Text', { exact: true }).fill('just for alice');
    await b.getByLabel('To (optional username)').fill('fix_alice');
    await b.getByRole('button', { name: 'Send authenticated message' }).click();
    await logLine(a, 'authenticated_message from fix_bob → fix_alice only (direct)').waitFor();
    await b.locator('#auth-message-result', { hasText: 'Delivered to fix_alice only (direct)' }).waitFor();
    await b.getByLabel('To (optional username)').fill('');
    await b.getByLabel('Text', { exact: true }).fill('for everyone');
    await b.getByRole('button', { name: 'Send authenticated message' }).click();
    await logLine(a, 'authenticated_message from fix_bob → everyone').waitFor();

    // A reload keeps bob's token for the tab, and says so.
    await b.reload();
    const kept = await b.locator('#token').inputValue();
    assert.ok(kept.split('.').length === 3, 'the token is back after a reload');
    await b.locator('#token-meta', { hasText: 'kept for this tab (sessionStorage)' }).waitFor();

    // The wrong username with bob's good token: a mismatch, and the token is still good.
    await b.locator('#ws-username').fill('fix_alice');
    await b.getByRole('button', { name: 'Connect & Register' }).click();
    await b.getByRole('alert').filter({ hasText: 'Token username mismatch!' }).waitFor();
    await b.getByRole('alert').filter({ hasText: 'belongs to fix_bob' }).filter({ hasText: 'still good' }).waitFor();
    assert.doesNotMatch(await b.getByRole('alert').innerText(), /[Ll]og in again/);
    await b.locator('#ws-username').fill('fix_bob');
    await connectAndRegister(b);
    await statusIs(b, 'authenticated');
    await b.locator('#session-result', { hasText: 'Connected as fix_bob' }).waitFor();

    // Forget token: the field empties, and a reload brings nothing back.
    await b.getByRole('button', { name: 'Forget token' }).click();
    assert.equal(await b.locator('#token').inputValue(), '');
    await b.reload();
    assert.equal(await b.locator('#token').inputValue(), '');
    assert.equal(await b.getByRole('button', { name: 'Forget token' }).isVisible(), false);

    await Promise.all([alice.context.close(), bob.context.close()]);
  });

  test('no request left localhost, no console errors', () => {
    for (const { who, guard } of guards) {
      assert.deepEqual(guard.foreign, [], `${who}: requests to other origins`);
      assert.deepEqual(guard.errors, [], `${who}: errors`);
    }
  });
});
