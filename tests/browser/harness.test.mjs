// The harness's own instruments, checked on pages of the second origin (no Hallmark page
// needed): Chromium runs, the dialog watcher catches a script that runs (so "no dialog" in the
// XSS tests means something), axe finds a known serious violation (so "no violation" does),
// and Tab-then-Enter follows a link.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertAccessible, launchBrowser, startOtherOrigin, tabThrough, tabUntil, watchedPage } from './harness.mjs';

let browser;
let origin;
before(async () => {
  [browser, origin] = await Promise.all([launchBrowser(), startOtherOrigin()]);
});
after(async () => {
  await browser?.close();
  await origin?.stop();
});

test("Debian's Chromium runs headless through playwright-core", async () => {
  assert.match(browser.version(), /^\d+\./);
  const page = await watchedPage(browser);
  origin.setPage('<!doctype html><html lang="en"><title>t</title><h1>Partner page</h1>');
  await page.goto(origin.base);
  assert.equal(await page.textContent('h1'), 'Partner page');
  assert.equal(await page.evaluate(() => navigator.webdriver), true);
  await page.context().close();
});

test('the dialog watcher catches an injected onerror handler', async () => {
  const page = await watchedPage(browser);
  origin.setPage('<!doctype html><html lang="en"><title>t</title><img src=x onerror=alert(1)>');
  await page.goto(origin.base);
  await page.waitForFunction(() => document.querySelector('img').complete);
  await page.waitForLoadState('load');
  assert.deepEqual(page.dialogs, ['alert: 1']);
  await page.context().close();
});

test('axe reports a serious violation on a page that has one, and passes a clean page', async () => {
  const page = await watchedPage(browser);
  origin.setPage('<!doctype html><html><title>t</title><main><img src="/logo.png"><a href="/x"></a></main>');
  await page.goto(origin.base);
  await assert.rejects(assertAccessible(page, 'bad page'), /image-alt|html-has-lang|link-name/);
  origin.setPage(
    '<!doctype html><html lang="en"><head><title>Partner</title></head><body><main><h1>Partner</h1>' +
      '<p><a href="/about">About us</a></p></main></body></html>',
  );
  await page.goto(origin.base);
  await assertAccessible(page, 'clean page');
  await page.context().close();
});

test('Tab reaches a link and Enter follows it', async () => {
  const page = await watchedPage(browser);
  origin.setPage(
    '<!doctype html><html lang="en"><title>t</title><a href="/one">One</a> <a href="/?lang=de">Deutsch</a>',
  );
  await page.goto(origin.base);
  const visited = await tabUntil(page, (e) => e.href === '/?lang=de');
  assert.deepEqual(visited.map((e) => e.text), ['One', 'Deutsch']);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(new URL(page.url()).search, '?lang=de');
  await page.context().close();
});

test('tabThrough visits every focusable element once, in order', async () => {
  const page = await watchedPage(browser);
  origin.setPage(
    '<!doctype html><html lang="en"><title>t</title><a href="/a">A</a><div class="lang"><a href="?lang=de">DE</a></div>' +
      '<textarea id="snippet" readonly>x</textarea><button id="go">Go</button>',
  );
  await page.goto(origin.base);
  const reached = await tabThrough(page);
  assert.deepEqual(reached.map((e) => e.id || e.text), ['A', 'DE', 'snippet', 'go']);
  assert.deepEqual(reached.map((e) => e.inLang), [false, true, false, false]);
  await page.context().close();
});
