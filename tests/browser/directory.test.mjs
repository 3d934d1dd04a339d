// The partner directory: search by competency through the form; only listed partners; each
// entry links to its verify page.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  browser, useWorld, verdictOf, watchedPage, world,
} from './harness.mjs';

useWorld();

const names = (page) =>
  page.$$eval('ul#results > li.partner .partner-name', (els) => els.map((e) => e.textContent.trim()));

test('the directory lists the listed partners only', async () => {
  assert.ok(world.badges.finops.listedOk, `listing a partner: ${world.issuer.listingError}`);
  const page = await watchedPage(browser);
  await page.goto(`${world.issuer.base}/directory`);
  const shown = await names(page);
  for (const b of ['valid', 'finops', 'xss']) assert.ok(shown.includes(world.badges[b].name), `${b}: ${shown}`);
  for (const b of ['suspended', 'embed']) assert.ok(!shown.includes(world.badges[b].name), `${b} is not listed: ${shown}`);
  await page.context().close();
});

test('the directory finds partners by competency, and links to their verify page', async () => {
  const page = await watchedPage(browser);
  await page.goto(`${world.issuer.base}/directory`);
  await page.selectOption('form#directory-search select[name=competency]', 'FINOPS');
  await Promise.all([
    page.waitForNavigation(),
    page.click('form#directory-search [type=submit], form#directory-search button:not([type])'),
  ]);
  assert.match(page.url(), /competency=FINOPS/);
  assert.deepEqual(await names(page), [world.badges.finops.name]);
  const link = page.locator('ul#results > li.partner a[href*="/credentials/"]').first();
  assert.ok((await link.getAttribute('href')).endsWith(world.badges.finops.uuid));
  await Promise.all([page.waitForNavigation(), link.click()]);
  assert.equal((await verdictOf(page)).state, 'valid');
  assert.equal((await page.textContent('#partner-name')).trim(), world.badges.finops.name);
  await page.context().close();
});

test('the directory answers JSON to machines at the same URL', async () => {
  const r = await fetch(`${world.issuer.base}/directory?competency=FINOPS`, { headers: { accept: 'application/json' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /json/);
  assert.ok(JSON.stringify(await r.json()).includes(world.badges.finops.name));
});
