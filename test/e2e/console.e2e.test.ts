// The web console in a real browser (headless Chromium): two people register, log in and
// connect, see each other online, exchange an authenticated message; one logs out, the
// other sees them go offline, the logged-out page shows the revocation, and the inspector
// lit `authenticated` then `revoked`. Also: only local requests, no console errors, every
// control named, a phone-sized layout, and the static files' headers. Screenshots go to
// test-output/ for a human to look at.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from '../support/process.js';
import { call, startTestBeacon, type TestBeacon } from '../support/beacon.js';
import { launchChromium, newPage, unnamedInAxTree, unnamedInDom, type PageGuard } from './browser.js';
import type { PageDocument, PageWindow } from './pageGlobals.js';
import { connectAndRegister, logLine, onlineUser, openTab, recordDiagramStates, registerAndLogin, statusIs, useAdminKey } from './consolePage.js';

declare const document: PageDocument;
declare const window: PageWindow;

const OUT = join(ROOT, 'test-output');
const TABS = ['Connection', 'Testing', 'Debug', 'Inspector', 'Admin'] as const;
const ADMIN_KEY = 'console-e2e-admin-key-0123456789-abcdefghij';

let t: TestBeacon;
let browser: Browser;
const guards: Array<{ who: string; guard: PageGuard }> = [];

before(async () => {
  mkdirSync(OUT, { recursive: true });
  t = await startTestBeacon({ env: { INSPECT: '1', ADMIN_API_KEY: ADMIN_KEY } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await t?.stop();
});

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  // From the top, so the sticky header sits where a person would see it.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUT, name), fullPage });
}

/** GET with the path sent exactly as written (no URL normalisation), for traversal attempts. */
function rawGet(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web console', { timeout: 240_000 }, () => {
  test('two users: presence, authenticated_message, logout and revocation, live inspector', async () => {
    const alice = await newPage(browser);
    const bob = await newPage(browser);
    guards.push({ who: 'alice', guard: alice.guard }, { who: 'bob', guard: bob.guard });
    const a = alice.page;
    const b = bob.page;
    await Promise.all([a.goto(`${t.http}/`), b.goto(`${t.http}/`)]);
    assert.equal(await a.title(), 'Beacon console');

    // Register and log in through the forms; connect & register on the socket.
    await registerAndLogin(a, 'alice_e2e');
    await connectAndRegister(a);
    await registerAndLogin(b, 'bob_e2e');
    await connectAndRegister(b);

    // Each sees the other online (alice through the user_status broadcast, bob through
    // the online_users answer he asks for on joining).
    await onlineUser(a, 'bob_e2e').waitFor();
    await onlineUser(b, 'alice_e2e').waitFor();
    await a.locator('#user-count', { hasText: '2' }).waitFor();
    await logLine(a, 'user_status · bob_e2e online').waitFor();

    // Inspector: the machine drawn from the definition, alice's own connection lit as authenticated.
    // The server's live connections are an operator's view: alice enters the admin key first.
    await useAdminKey(a, ADMIN_KEY);
    await openTab(a, 'Inspector');
    await a.locator('#diagram svg .sm-node[data-state="authenticated"].is-current').waitFor();
    for (const state of ['connected', 'registering', 'authenticated', 'revoked', 'closed']) {
      assert.equal(await a.locator(`#diagram svg .sm-node[data-state="${state}"]`).count(), 1, `box for ${state}`);
    }
    assert.ok((await a.locator('#diagram svg .sm-edge').count()) >= 5, 'transitions drawn as arrows');
    assert.equal(await a.locator('#diagram svg .sm-label', { hasText: 'register_user' }).count(), 1, 'arrows carry their events');
    assert.equal(await a.locator('#diagram svg .sm-edge.is-traversed').count(), 2, 'connected → registering → authenticated lit');
    // The server's live connections, polled: both users' actors, authenticated.
    await a.waitForFunction(() => document.querySelectorAll('#actors-body tr[data-sid]').length === 2);
    await a.locator('#actors-body tr', { hasText: 'bob_e2e' }).locator('.state-chip[data-state="authenticated"]').waitFor();
    await a.locator('#history .history-item[data-to="authenticated"]').waitFor();
    await shot(a, 'inspector-authenticated.png', true);

    // authenticated_message from bob to alice only, and from alice to everyone.
    await openTab(b, 'Testing');
    await b.getByLabel('Text', { exact: true }).fill('hello alice, from bob');
    await b.getByLabel('To (optional username)').fill('alice_e2e');
    await b.getByRole('button', { name: 'Send authenticated message' }).click();
    await logLine(a, 'authenticated_message from bob_e2e').waitFor();
    assert.match(await logLine(a, 'authenticated_message from bob_e2e').innerText(), /hello alice, from bob/);
    await b.locator('#auth-message-result[data-kind="ok"]').waitFor();

    // The other Testing buttons answer too (bob's page): ping with a measured round trip,
    // debug_connection, get_online_users, check_connections, message.
    await b.getByRole('button', { name: 'Ping' }).click();
    await b.locator('#ping-result', { hasText: /\d+(\.\d)? ms round trip/ }).waitFor();
    await b.getByRole('button', { name: 'Ask the server' }).click();
    await b.locator('#debug-short', { hasText: 'authenticated · bob_e2e' }).waitFor();
    await b.getByRole('button', { name: 'Get online users' }).click();
    await b.locator('#online-result', { hasText: '2 online' }).waitFor();
    await b.getByRole('button', { name: 'Check connections' }).click();
    await b.locator('#check-result', { hasText: 'active' }).waitFor();
    await b.getByRole('button', { name: 'Send message' }).click();
    await b.locator('#message-result', { hasText: 'from bob_e2e' }).waitFor();
    await shot(b, 'testing-bob.png', true);
    await openTab(b, 'Debug');
    await b.locator('#debug-kv dd', { hasText: 'bob_e2e' }).first().waitFor();
    assert.ok((await b.locator('#frames .frame').count()) >= 10, 'raw frames listed');
    await shot(b, 'debug-bob.png', true);

    await openTab(a, 'Testing');
    await a.getByLabel('Text', { exact: true }).fill('hi everyone');
    await a.getByRole('button', { name: 'Send authenticated message' }).click();
    await logLine(b, 'authenticated_message from alice_e2e').waitFor();
    await openTab(b, 'Connection');
    await shot(b, 'console-bob.png');

    // Alice logs out. Record the diagram's highlight on the way: authenticated → revoked → closed.
    const highlights = await recordDiagramStates(a);
    await openTab(a, 'Connection');
    await a.getByRole('button', { name: 'Log out' }).click();
    await a.getByRole('alert').filter({ hasText: 'Token has been revoked!' }).waitFor();
    await a.locator('#session-result', { hasText: 'Successfully logged out' }).waitFor();
    await statusIs(a, 'revoked');
    await a.locator('#status-text', { hasText: '4001 token revoked' }).waitFor();
    await logLine(a, 'Closed · 4001 token revoked').waitFor();
    await logLine(a, 'response · failed · token_revoked').waitFor();

    // Bob sees her go offline.
    await onlineUser(b, 'alice_e2e').waitFor({ state: 'detached' });
    await logLine(b, 'user_status · alice_e2e offline').waitFor();
    await b.locator('#user-count', { hasText: '1' }).waitFor();

    await shot(a, 'console-alice-revoked.png');
    await openTab(a, 'Inspector');
    await a.locator('#diagram svg .sm-node[data-state="closed"].is-current').waitFor();
    const seen = await highlights();
    const at = (s: string): number => seen.indexOf(s);
    assert.ok(at('authenticated') >= 0 && at('authenticated') < at('revoked') && at('revoked') < at('closed'), `highlights: ${seen.join(' → ')}`);
    assert.deepEqual(
      await a.locator('#history .history-item').evaluateAll((items) => items.map((i) => i.getAttribute('data-to'))),
      ['connected', 'registering', 'authenticated', 'revoked', 'closed'],
    );
    await a.locator('#history .history-item[data-to="revoked"]', { hasText: 'ended by logout, new login or admin · token_revoked' }).waitFor();
    await a.locator('#diagram svg .sm-node[data-state="revoked"].is-visited').waitFor();
    // The arrow it took is lit, with the event that fired on it.
    await a.locator('#diagram svg .sm-edge.is-traversed[data-from="authenticated"][data-to="revoked"]').waitFor({ state: 'attached' });
    await a.locator('#diagram svg .sm-label[data-from="authenticated"][data-to="revoked"] text.is-hit', { hasText: 'ended by logout' }).waitFor();
    await a.locator('#any-state .any-event.is-hit', { hasText: 'socket closed' }).waitFor();
    await shot(a, 'inspector-revoked.png', true);

    // Every control has an accessible name: by the HTML rules for all of them, and in
    // Chromium's own accessibility tree for what each tab shows.
    for (const page of [a, b]) {
      assert.deepEqual(await unnamedInDom(page), []);
      for (const tab of TABS) {
        await openTab(page, tab);
        assert.deepEqual(await unnamedInAxTree(page), [], `unnamed controls on the ${tab} tab`);
      }
    }

    // Keyboard: the tab list moves with the arrow keys.
    await openTab(a, 'Connection');
    await a.getByRole('tab', { name: 'Connection' }).focus();
    await a.keyboard.press('ArrowRight');
    assert.equal(await a.getByRole('tab', { name: 'Testing' }).getAttribute('aria-selected'), 'true');
    assert.equal(await a.evaluate(() => document.activeElement?.id), 'tab-testing');

    await Promise.all([alice.context.close(), bob.context.close()]);
  });

  test('phone viewport (375x812): one column, nothing wider than the screen', async () => {
    const phone = await newPage(browser, { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    guards.push({ who: 'phone', guard: phone.guard });
    const p = phone.page;
    await p.goto(`${t.http}/`);
    await registerAndLogin(p, 'carol_phone');
    await connectAndRegister(p);
    await onlineUser(p, 'carol_phone').waitFor();
    const overflow = (): Promise<number> => p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok((await overflow()) <= 0, `page wider than the phone by ${await overflow()} px`);
    await shot(p, 'console-phone.png', true);
    await openTab(p, 'Testing');
    assert.ok((await overflow()) <= 0, 'Testing tab fits');
    await openTab(p, 'Inspector');
    await p.locator('#diagram svg .sm-node[data-state="authenticated"].is-current').waitFor();
    assert.ok((await overflow()) <= 0, 'Inspector tab fits (the diagram scrolls inside its own box)');
    await shot(p, 'inspector-phone.png', true);
    await phone.context.close();
  });

  test('live inspection off: the machine is still drawn, and the Inspector says how to turn the live view on', async () => {
    const off = await startTestBeacon({ env: { INSPECT: '0', ADMIN_API_KEY: ADMIN_KEY } });
    const { context, page, guard } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${off.http}/`);
      await openTab(page, 'Inspector');
      // Public and static: no login needed for the diagram.
      await page.locator('#diagram svg .sm-node[data-state="connected"]').waitFor();
      await page.locator('#actors-notice', { hasText: 'Admin tab' }).waitFor();
      await useAdminKey(page, ADMIN_KEY);
      await openTab(page, 'Inspector');
      await page.locator('#actors-notice', { hasText: 'INSPECT=1' }).waitFor();
      await page.locator('#actors-notice', { hasText: 'npm run dev' }).waitFor();
      await shot(page, 'inspector-off.png');
      // The page had to ask to know: the only errors are the browser's reports of that 404.
      const probes = new Set(guard.urls.filter((u) => u.includes('/inspect/')).map((u) => new URL(u).pathname));
      assert.deepEqual([...probes].sort(), ['/inspect/actors', '/inspect/machine']);
      assert.ok(guard.errors.length > 0 && guard.errors.every((e) => e.includes('status of 404')), guard.errors.join('\n'));
      assert.deepEqual(guard.foreign, []);
    } finally {
      await context.close();
      await off.stop();
    }
  });

  test('no request left localhost, no console errors', () => {
    for (const { who, guard } of guards) {
      assert.ok(guard.urls.length > 5, `${who} made requests`);
      assert.deepEqual(guard.foreign, [], `${who}: requests to other origins`);
      assert.deepEqual(guard.errors, [], `${who}: errors`);
    }
  });

  test('static files: exact allow-list, content types, CSP without external sources', async () => {
    const home = await call('GET', `${t.http}/`);
    assert.equal(home.status, 200);
    assert.equal(home.headers['content-type'], 'text/html; charset=utf-8');
    const csp = String(home.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /https?:|\*|unsafe-inline|unsafe-eval/);
    assert.equal(home.headers['x-content-type-options'], 'nosniff');
    assert.equal(home.headers['cache-control'], 'no-store');
    assert.equal(home.headers['x-frame-options'], 'DENY');
    assert.equal((await call('GET', `${t.http}/index.html`)).text, home.text);
    for (const [path, type] of [
      ['/js/main.js', 'text/javascript; charset=utf-8'],
      ['/css/console.css', 'text/css; charset=utf-8'],
      ['/favicon.svg', 'image/svg+xml'],
    ] as const) {
      const res = await call('GET', `${t.https}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['content-type'], type, path);
    }
    for (const path of ['/js/../../package.json', '/../package.json', '/%2e%2e/package.json', '/js/%2e%2e/%2e%2e/src/app.ts', '/js', '/js/', '/nope.js', '//etc/passwd']) {
      assert.equal(await rawGet(t.http, path), 404, path);
    }
    assert.equal((await call('POST', `${t.http}/js/main.js`)).status, 405);
    // API routes win over files.
    assert.equal((await call('GET', `${t.http}/healthz`)).json.status, 'ok');
  });
});
