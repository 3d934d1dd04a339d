// The embed: a partner pastes the snippet from the verify page into its own site (another
// origin); the image shows the live state, and turns Revoked after a revocation within its
// short cache lifetime (a reload revalidates it: same URL, new content).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  browser, embedSnippet, get, partnerPage, stateWords, useWorld, watchedPage, world,
} from './harness.mjs';

const en = stateWords('en');
useWorld();

/**
 * Loads `url` (or reloads, with `how`) and returns the badge image the page shows: its URL,
 * the SVG text the image element received (from the response Chromium gave it, cache
 * included), and its alt text.
 */
async function shownImage(page, how) {
  const seen = [];
  const onResponse = (r) => {
    if (r.url().includes('/badge.svg')) seen.push(r);
  };
  page.on('response', onResponse);
  await how();
  await page.waitForFunction(() => {
    const i = document.querySelector('img[src*="/badges/"]');
    return i && i.complete && i.naturalWidth > 0;
  });
  page.off('response', onResponse);
  const img = page.locator('img[src*="/badges/"]');
  const src = await img.evaluate((i) => i.currentSrc || i.src);
  let svg = null;
  const last = seen.at(-1);
  if (last) svg = await last.text().catch(() => null);
  // Chromium's memory cache may answer without a network event: read it as the page would.
  if (svg === null) svg = await page.evaluate(async (u) => (await fetch(u)).text(), src);
  return { src, svg, alt: await img.getAttribute('alt') };
}

/** The served max-age of an image (seconds). */
async function maxAgeOf(url) {
  const r = await get(url);
  return Number(/max-age=(\d+)/.exec(r.headers.get('cache-control') || '')?.[1] ?? NaN);
}

test('badge.svg is a cacheable, short-lived, any-origin image naming partner, tier and state', async () => {
  const { uuid, name } = world.badges.valid;
  const r = await get(`${world.issuer.base}/badges/${uuid}/badge.svg`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^image\/svg\+xml/);
  const cache = r.headers.get('cache-control') || '';
  const maxAge = Number(/max-age=(\d+)/.exec(cache)?.[1]);
  assert.match(cache, /public/);
  assert.ok(maxAge > 0 && maxAge <= 60, `short max-age: ${cache}`);
  assert.ok(r.headers.get('etag'), 'an ETag');
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  assert.match(r.text, /<svg[^>]*data-state="valid"/);
  assert.ok(r.text.includes(name));
  assert.match(r.text, /Silver/);
  assert.ok(r.text.includes(en.valid));
  // Revalidation: the same ETag answers 304.
  const again = await get(`${world.issuer.base}/badges/${uuid}/badge.svg`, '*/*', { 'if-none-match': r.headers.get('etag') });
  assert.equal(again.status, 304);
});

test("the verify page's snippet is the plain link and image", async () => {
  const badge = world.badges.embed;
  const page = await watchedPage(browser);
  await page.goto(badge.url);
  const snippet = await page.inputValue('textarea#embed-snippet');
  assert.equal(await page.getAttribute('textarea#embed-snippet', 'readonly'), '');
  const doc = await page.evaluate((html) => {
    const t = document.createElement('template');
    t.innerHTML = html;
    const a = t.content.querySelector('a');
    const img = a?.querySelector('img');
    return { href: a?.getAttribute('href'), src: img?.getAttribute('src'), alt: img?.getAttribute('alt'), scripts: t.content.querySelectorAll('script').length };
  }, snippet);
  assert.equal(doc.href, badge.url);
  assert.equal(doc.src, `${world.issuer.base}/badges/${badge.uuid}/badge.svg`);
  assert.ok(doc.alt && doc.alt.length > 0, 'the image has a text alternative');
  assert.equal(doc.scripts, 0);
  await page.context().close();
});

test('the embed on another origin shows the live state, then Revoked after a revocation', async () => {
  const { issuer, origin } = world;
  const badge = world.badges.embed;
  origin.setPage(partnerPage(embedSnippet(issuer, badge, `${badge.name}: Silver Partner, verified by Hallmark`)));
  const page = await watchedPage(browser);
  const before = await shownImage(page, () => page.goto(origin.base));
  const loadedAt = Date.now();
  assert.notEqual(new URL(page.url()).origin, new URL(issuer.base).origin, 'another origin');
  assert.match(before.svg, /<svg[^>]*data-state="valid"/);
  assert.ok(before.svg.includes(en.valid));
  assert.ok(before.svg.includes(badge.name));

  await issuer.revoke(badge.uuid, 'Contract ended');
  const maxAge = await maxAgeOf(before.src);
  assert.ok(maxAge <= 60, `max-age ${maxAge}`);
  let after;
  if (maxAge <= 20) {
    // Within the cache lifetime: plain reloads, as a visitor would, until the image turns
    // Revoked; it must by the time the cached copy is stale (max-age, plus 2 s of slack).
    const deadline = loadedAt + maxAge * 1000 + 2000;
    for (;;) {
      after = await shownImage(page, () => page.reload());
      if (/<svg[^>]*data-state="revoked"/.test(after.svg) || Date.now() > deadline) break;
      await page.waitForTimeout(500);
    }
  } else {
    // A longer lifetime than the test should wait for: a reload that revalidates everything.
    const cdp = await page.context().newCDPSession(page);
    after = await shownImage(page, () =>
      Promise.all([page.waitForNavigation(), cdp.send('Page.reload', { ignoreCache: true })]),
    );
  }
  assert.equal(after.src, before.src, 'the same image URL');
  assert.match(after.svg, /<svg[^>]*data-state="revoked"/);
  assert.ok(after.svg.includes(en.revoked));
  // The link still leads to the verify page, which says Revoked.
  await Promise.all([page.waitForNavigation(), page.click(`a[href="${badge.url}"]`)]);
  assert.equal(await page.getAttribute('.verdict', 'data-state'), 'revoked');
  assert.deepEqual(page.dialogs, []);
  await page.context().close();
});
