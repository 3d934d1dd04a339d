// Accessibility: axe-core (WCAG 2.x A and AA rules) on the verify page in every state, the
// directory, the program pages (a specialization's too) and the paste pages: no serious or critical violation.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  assertAccessible, badgeOfADownIssuer, browser, startVerifier, useWorld, watchedPage, world,
} from './harness.mjs';

useWorld();

async function check(url, what, width = 1280, height = 800) {
  const page = await watchedPage(browser, { viewport: { width, height } });
  const response = await page.goto(url);
  assert.match(response.headers()['content-type'] || '', /text\/html/, `${what}: an HTML page`);
  await assertAccessible(page, what);
  await page.context().close();
}

for (const state of ['valid', 'expired', 'suspended', 'revoked', 'superseded', 'tampered']) {
  test(`the verify page (${state}) has no serious accessibility violation`, async () => {
    await check(world.badges[state].url, `verify page, ${state}`);
    await check(world.badges[state].url, `verify page, ${state}, phone`, 390, 844);
  });
}

test('the verify page in German has no serious accessibility violation', async () => {
  await check(`${world.badges.valid.url}?lang=de`, 'verify page, German');
});

test('the report of a badge that cannot be checked (unknown) has no serious violation', async () => {
  const down = await badgeOfADownIssuer();
  const verifier = await startVerifier([{ id: down.issuerId, name: 'Down demo' }], [down.address]);
  try {
    const page = await watchedPage(browser);
    await page.goto(`${verifier.base}/verify`);
    await page.fill('form#paste textarea[name=credential]', JSON.stringify(down.document));
    await Promise.all([page.waitForNavigation(), page.click('#verify-pasted')]);
    assert.equal(await page.getAttribute('.verdict', 'data-state'), 'unknown');
    await assertAccessible(page, 'report, unknown');
    await page.context().close();
  } finally {
    await verifier.stop();
  }
});

test('the directory has no serious accessibility violation', async () => {
  await check(`${world.issuer.base}/directory`, 'directory');
  await check(`${world.issuer.base}/directory?competency=FINOPS`, 'directory, filtered');
});

test('the program pages have no serious accessibility violation', async () => {
  await check(`${world.issuer.base}/program`, 'program');
  await check(`${world.issuer.base}/program/tiers/gold`, 'tier page');
  await check(`${world.issuer.base}/program/competencies/FINOPS`, 'competency page');
  await check(`${world.issuer.base}/program/specializations/data-migration`, 'specialization page');
  await check(`${world.issuer.base}/program/specializations/data-migration`, 'specialization page, phone', 390, 844);
});

test('the paste pages have no serious accessibility violation', async () => {
  await check(`${world.issuer.base}/verify`, "issuer's paste page");
  await check(`${world.verifier.base}/verify`, "verifier's paste page");
});
