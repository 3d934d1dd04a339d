// Screenshots for the README, written to docs/screenshots/: the verify page (valid and
// revoked) at desktop (1280×800) and phone (390×844) widths, a partner's page with the embed,
// the directory and a specialization page. Each is taken once the page shows what it should.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';

import {
  browser, embedSnippet, partnerPage, SCREENSHOTS, useWorld, watchedPage, world,
} from './harness.mjs';

useWorld();
before(() => {
  mkdirSync(SCREENSHOTS, { recursive: true });
});

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function shoot(url, file, viewport, ready, fullPage = false) {
  const page = await watchedPage(browser, { viewport, deviceScaleFactor: 1 });
  await page.goto(url);
  await ready(page);
  await page.screenshot({ path: path.join(SCREENSHOTS, file), fullPage });
  await page.context().close();
}

const verdictIs = (state) => async (page) => {
  assert.equal(await page.getAttribute('.verdict', 'data-state'), state);
  // The in-browser check (issue 16), when the page has one, shown once it has answered.
  if (await page.locator('#browser-check').count()) {
    await page.waitForSelector('#browser-check[data-browser]:not([data-browser="running"])');
  }
};

for (const state of ['valid', 'revoked']) {
  test(`screenshots of the verify page, ${state}`, async () => {
    const { url } = world.badges[state];
    await shoot(url, `verify-${state}-desktop.png`, DESKTOP, verdictIs(state));
    await shoot(url, `verify-${state}-phone.png`, PHONE, verdictIs(state));
  });
}

test('screenshot of a superseded badge (renewed) naming its successor', async () => {
  await shoot(world.badges.superseded.url, 'verify-superseded-phone.png', PHONE, verdictIs('revoked'));
});

test('screenshot of the embed on a partner page', async () => {
  const { issuer, origin } = world;
  const badge = world.badges.valid;
  origin.setPage(partnerPage(embedSnippet(issuer, badge, `${badge.name}: Silver Partner, verified by Hallmark`)));
  await shoot(origin.base, 'embed.png', { width: 800, height: 400 }, async (page) => {
    await page.waitForFunction(() => {
      const i = document.querySelector('img[src*="/badges/"]');
      return i && i.complete && i.naturalWidth > 0;
    });
  });
});

test('screenshot of the directory', async () => {
  await shoot(`${world.issuer.base}/directory`, 'directory.png', DESKTOP, async (page) => {
    assert.ok((await page.locator('ul#results > li.partner').count()) >= 2);
  });
});

test('screenshot of a specialization page', async () => {
  const url = `${world.issuer.base}/program/specializations/data-migration`;
  await shoot(url, 'specialization.png', DESKTOP, async (page) => {
    assert.equal(await page.textContent('h1'), 'Data Migration Specialist');
  });
});
