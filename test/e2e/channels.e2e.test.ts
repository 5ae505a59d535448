// The console's Channels tab in a real browser (headless Chromium), two users on room:demo:
// bob's join and publication reach alice with their offsets; alice disconnects, bob publishes
// twice, alice reconnects and the tab says 2 publications were recovered (resubscribed with
// `since`, each publication shown once). Also presence, history, unsubscribe and bob's leave,
// refusals shown where they were asked, every control named, and a phone-sized layout.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { ROOT } from '../support/process.js';
import { startTestBeacon, type TestBeacon } from '../support/beacon.js';
import { launchChromium, newPage, unnamedInAxTree, unnamedInDom, type PageGuard } from './browser.js';
import { connectAndRegister, logLine, openTab, registerAndLogin, statusIs } from './consolePage.js';
import type { PageDocument, PageWindow } from './pageGlobals.js';

declare const document: PageDocument;
declare const window: PageWindow;

const OUT = join(ROOT, 'test-output');
const ROOM = 'room:demo';

let t: TestBeacon;
let browser: Browser;
const guards: Array<{ who: string; guard: PageGuard }> = [];

before(async () => {
  mkdirSync(OUT, { recursive: true });
  t = await startTestBeacon();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await t?.stop();
});

function card(page: Page, channel: string): Locator {
  return page.locator(`.channel[data-channel="${channel}"]`);
}

/** The offsets of a card's feed (or history) entries, in the order the page shows them. */
function offsets(list: Locator): Promise<string[]> {
  return list.locator('.pub').evaluateAll((items) => items.map((i) => i.getAttribute('data-offset') ?? '?'));
}

/** The form's answer once the server's reply came (the form says "…ing" until then). */
async function answer(page: Page, id: string): Promise<{ kind: string; text: string }> {
  const el = page.locator(`#${id}:not([data-kind="info"])`);
  await el.waitFor();
  return { kind: (await el.getAttribute('data-kind')) ?? '', text: await el.innerText() };
}

/** Subscribes through the form; `refused` expects the server to say no. */
async function subscribe(page: Page, channel: string, refused = false): Promise<string> {
  await openTab(page, 'Channels');
  await page.getByLabel('Channel', { exact: true }).fill(channel);
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  const { kind, text } = await answer(page, 'subscribe-result');
  assert.equal(kind, refused ? 'error' : 'ok', `subscribe ${channel}: ${text}`);
  return text;
}

/** Publishes through the form and waits for `published` with the offset the server gave it. */
async function publish(page: Page, channel: string, data: string, offset: number): Promise<void> {
  await openTab(page, 'Channels');
  const panel = page.locator('#panel-channels');
  await panel.getByLabel('Channel to publish to').fill(channel);
  await panel.getByLabel('Data (JSON, or plain text)').fill(data);
  await panel.getByRole('button', { name: 'Publish', exact: true }).click();
  const { kind, text } = await answer(page, 'publish-result');
  assert.equal(kind, 'ok', `publish to ${channel}: ${text}`);
  assert.match(text, new RegExp(`${channel} at offset #${offset}\\.$`));
}

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUT, name), fullPage });
}

describe('console Channels tab', { timeout: 240_000 }, () => {
  test('two users on room:demo: publications with offsets, join and leave, recovery after a reconnect', async () => {
    const alice = await newPage(browser);
    const bob = await newPage(browser);
    guards.push({ who: 'alice', guard: alice.guard }, { who: 'bob', guard: bob.guard });
    const a = alice.page;
    const b = bob.page;
    await Promise.all([a.goto(`${t.http}/`), b.goto(`${t.http}/`)]);
    await registerAndLogin(a, 'alice_ch');
    await connectAndRegister(a);
    await registerAndLogin(b, 'bob_ch');
    await connectAndRegister(b);

    // Alice subscribes first; bob's subscription is a join on her card.
    await subscribe(a, ROOM);
    await card(a, ROOM).locator('.channel-state[data-state="subscribed"]').waitFor();
    await card(a, ROOM).locator('.channel-status', { hasText: 'Subscribed at offset #0' }).waitFor();
    await subscribe(b, ROOM);
    await card(b, ROOM).locator('.channel-state[data-state="subscribed"]').waitFor();
    await card(a, ROOM).locator('.feed-note[data-kind="join"]', { hasText: 'bob_ch joined.' }).waitFor();
    await card(a, ROOM).locator('.channel-members [data-username="bob_ch"]').waitFor();
    // Bob's `subscribed` carried the channel's presence: alice is already there.
    await card(b, ROOM).locator('.channel-members [data-username="alice_ch"]').waitFor();

    // Bob publishes; alice sees it live with its offset, its sender and its epoch.
    await publish(b, ROOM, '{"text": "first"}', 1);
    const first = card(a, ROOM).locator('.pub[data-kind="live"][data-offset="1"]');
    await first.waitFor();
    assert.match(await first.innerText(), /#1[\s\S]*bob_ch[\s\S]*epoch [\s\S]*"first"/);
    await card(b, ROOM).locator('.pub[data-offset="1"]').waitFor();
    await logLine(a, `publication · ${ROOM} #1 from bob_ch`).waitFor();
    await shot(a, 'channels-alice-live.png', true);

    // Alice disconnects; her subscription waits at #1.
    await openTab(a, 'Connection');
    await a.getByRole('button', { name: 'Disconnect' }).click();
    await statusIs(a, 'closed');
    await card(a, ROOM).locator('.channel-state[data-state="offline"]').waitFor({ state: 'attached' });
    await card(b, ROOM).locator('.feed-note[data-kind="leave"]', { hasText: 'alice_ch left.' }).waitFor();

    // Bob publishes twice while she is away.
    await publish(b, ROOM, '{"text": "second"}', 2);
    await publish(b, ROOM, 'third, as plain text', 3);

    // Alice reconnects: the tab resubscribes from #1 of the epoch it saw and says what came back.
    await openTab(a, 'Connection');
    await connectAndRegister(a);
    await openTab(a, 'Channels');
    await card(a, ROOM).locator('.channel-status', { hasText: '2 publications were recovered' }).waitFor();
    await card(a, ROOM).locator('.channel-state[data-state="subscribed"]').waitFor();
    const feed = card(a, ROOM).locator('.channel-feed').first();
    assert.deepEqual(await offsets(feed), ['1', '2', '3'], 'every publication once, in order');
    assert.deepEqual(
      await feed.locator('.pub[data-kind="recovered"]').evaluateAll((items) => items.map((i) => i.getAttribute('data-offset'))),
      ['2', '3'],
    );
    assert.match(await feed.locator('.pub[data-offset="3"]').innerText(), /third, as plain text/);
    assert.equal(await feed.locator('.feed-note[data-kind="gap"], .feed-note[data-kind="duplicate"]').count(), 0);
    const resubscribe = a.locator('#frames .frame--out', { hasText: '"event":"subscribe"' }).last();
    assert.match(await resubscribe.innerText(), /"since":\{"offset":1,"epoch":"[^"]+"\}/, 'resubscribed with the last position seen');
    await logLine(a, `${ROOM}: Recovered: 2 publications were recovered`).waitFor();
    await shot(a, 'channels-alice-recovered.png', true);

    // Live again after the recovery, with nothing repeated.
    await publish(b, ROOM, '{"text": "fourth"}', 4);
    await feed.locator('.pub[data-kind="live"][data-offset="4"]').waitFor();
    assert.deepEqual(await offsets(feed), ['1', '2', '3', '4']);

    // channel_presence: both users; history with a limit, oldest first.
    await card(a, ROOM).getByRole('button', { name: `Refresh presence of ${ROOM}` }).click();
    await card(a, ROOM).locator('.count', { hasText: '2' }).waitFor();
    await card(a, ROOM).locator('.channel-members [data-username="bob_ch"]').waitFor();
    await card(a, ROOM).getByLabel('Limit (1–100)').fill('2');
    await card(a, ROOM).getByRole('button', { name: `Load history of ${ROOM}` }).click();
    await card(a, ROOM).locator('.channel-history-note', { hasText: '2 publications, oldest first' }).waitFor();
    const history = (await offsets(card(a, ROOM).locator('.channel-history'))).map(Number);
    assert.equal(history.length, 2);
    assert.ok(history[0]! < history[1]!, `oldest first: ${history.join(', ')}`);

    // Refusals are shown where they were asked, and change nothing.
    assert.match(await subscribe(a, 'nowhere:demo', true), /invalid_channel/);
    assert.equal(await card(a, 'nowhere:demo').count(), 0, 'a refused name leaves no card');

    // Bob unsubscribes: alice sees him leave; publishing to the room now needs a subscription again.
    await card(b, ROOM).getByRole('button', { name: `Unsubscribe from ${ROOM}` }).click();
    await card(b, ROOM).locator('.channel-state[data-state="unsubscribed"]').waitFor();
    await card(a, ROOM).locator('.feed-note[data-kind="leave"]', { hasText: 'bob_ch left.' }).waitFor();
    await card(a, ROOM).locator('.channel-members [data-username="bob_ch"]').waitFor({ state: 'detached' });
    const panel = b.locator('#panel-channels');
    await panel.getByLabel('Data (JSON, or plain text)').fill('{"text": "from outside"}');
    await panel.getByRole('button', { name: 'Publish', exact: true }).click();
    assert.match((await answer(b, 'publish-result')).text, /not_subscribed/);
    await shot(b, 'channels-bob.png', true);

    // Every control has an accessible name, by the HTML rules and in Chromium's AX tree.
    for (const page of [a, b]) {
      assert.deepEqual(await unnamedInDom(page), []);
      await openTab(page, 'Channels');
      assert.deepEqual(await unnamedInAxTree(page), [], 'unnamed controls on the Channels tab');
    }
    await Promise.all([alice.context.close(), bob.context.close()]);
  });

  test('phone viewport (375x812): the Channels tab fits the screen', async () => {
    const phone = await newPage(browser, { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    guards.push({ who: 'phone', guard: phone.guard });
    const p = phone.page;
    await p.goto(`${t.http}/`);
    await registerAndLogin(p, 'dana_phone');
    await connectAndRegister(p);
    await subscribe(p, 'room:phone-check');
    await card(p, 'room:phone-check').locator('.channel-state[data-state="subscribed"]').waitFor();
    await publish(p, 'room:phone-check', '{"text": "a rather long line of text that has to wrap on a phone screen instead of pushing the page sideways"}', 1);
    await card(p, 'room:phone-check').locator('.pub[data-offset="1"]').waitFor();
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page wider than the phone by ${overflow} px`);
    await shot(p, 'channels-phone.png', true);
    await phone.context.close();
  });

  test('no request left localhost, no console errors', () => {
    for (const { who, guard } of guards) {
      assert.ok(guard.urls.length > 5, `${who} made requests`);
      assert.deepEqual(guard.foreign, [], `${who}: requests to other origins`);
      assert.deepEqual(guard.errors, [], `${who}: errors`);
    }
  });
});
