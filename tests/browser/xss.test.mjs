// A partner named `<img src=x onerror=alert(1)>` is text on every page and in every image:
// no dialog ever fires, the literal name is shown, and no `img[src=x]` element exists.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  browser, get, useWorld, verdictOf, watchedPage, world, XSS_NAME,
} from './harness.mjs';

useWorld();

/** Opens `url` (or runs `go`), then checks the name is text, nothing ran, no img[src=x]. */
async function assertInert(page, what) {
  assert.ok((await page.textContent('body')).includes(XSS_NAME), `${what}: the name shown as text`);
  assert.equal(await page.locator('img[src="x"]').count(), 0, `${what}: no injected image`);
  assert.equal(await page.locator('[onerror]').count(), 0, `${what}: no onerror attribute`);
  // Give an injected handler a chance to fire: the page has loaded every image it has.
  await page.waitForLoadState('load');
  assert.deepEqual(page.dialogs, [], `${what}: no dialog`);
}

test('the verify page shows the name as text, in English and German', async () => {
  const page = await watchedPage(browser);
  for (const query of ['', '?lang=de']) {
    await page.goto(`${world.badges.xss.url}${query}`);
    assert.equal((await page.textContent('#partner-name')).trim(), XSS_NAME);
    assert.equal((await verdictOf(page)).state, 'valid');
    await assertInert(page, `verify page${query}`);
    // The snippet carries the name escaped inside the textarea's value, as text.
    // The snippet, pasted into a page, is one link and one image: the name stays an attribute.
    const snippet = await page.inputValue('textarea#embed-snippet');
    const parsed = await page.evaluate((html) => {
      const t = document.createElement('template');
      t.innerHTML = html;
      return {
        images: [...t.content.querySelectorAll('img')].map((i) => i.getAttribute('src')),
        handlers: t.content.querySelectorAll('[onerror]').length,
      };
    }, snippet);
    assert.deepEqual(parsed, { images: [`${world.issuer.base}/badges/${world.badges.xss.uuid}/badge.svg`], handlers: 0 }, snippet);
  }
  // The title and Open Graph tags carry it as text too (never markup in <head>).
  assert.equal(await page.locator('head img').count(), 0);
  await page.context().close();
});

test('the badge image names the partner escaped, and shows it as text', async () => {
  const url = `${world.issuer.base}/badges/${world.badges.xss.uuid}/badge.svg`;
  const r = await get(url);
  assert.equal(r.status, 200);
  assert.ok(!r.text.includes(XSS_NAME), 'never raw in the SVG');
  // Escaped as character references (askama writes &#60; and &#62;; &lt; would do as well).
  assert.match(r.text, /(&lt;|&#60;)img src=x onerror=alert\(1\)(&gt;|&#62;)/, 'escaped in a text node');
  // Opened on its own (an SVG document can run script): the text is the name, nothing ran.
  const page = await watchedPage(browser);
  await page.goto(url);
  const text = await page.evaluate(() => document.documentElement.textContent);
  assert.ok(text.includes(XSS_NAME));
  assert.equal(await page.evaluate(() => document.querySelectorAll('img, [onerror]').length), 0);
  assert.deepEqual(page.dialogs, []);
  // Baked SVG and the embed on a page: same.
  await page.goto(`${world.issuer.base}/badges/${world.badges.xss.uuid}/baked.svg`);
  assert.equal(await page.evaluate(() => document.querySelectorAll('img, [onerror]').length), 0);
  assert.deepEqual(page.dialogs, []);
  await page.context().close();
});

test('the directory lists the partner as text', async () => {
  const page = await watchedPage(browser);
  await page.goto(`${world.issuer.base}/directory`);
  const names = await page.$$eval('ul#results > li.partner .partner-name', (els) => els.map((e) => e.textContent.trim()));
  assert.ok(names.includes(XSS_NAME), JSON.stringify(names));
  await assertInert(page, 'directory');
  await page.goto(`${world.issuer.base}/directory?q=${encodeURIComponent('<img')}`);
  await assertInert(page, 'directory search');
  await page.context().close();
});

test("the paste pages' reports show it as text, on both services", async () => {
  const document = JSON.parse((await get(world.badges.xss.url, 'application/json')).text);
  for (const base of [world.issuer.base, world.verifier.base]) {
    const page = await watchedPage(browser);
    await page.goto(`${base}/verify`);
    await page.fill('form#paste textarea[name=credential]', JSON.stringify(document));
    await Promise.all([page.waitForNavigation(), page.click('#verify-pasted')]);
    assert.equal((await verdictOf(page)).state, 'valid');
    await assertInert(page, `report of ${base}`);
    await page.context().close();
  }
});
