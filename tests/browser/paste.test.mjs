// "Verify any badge", on both services: a pasted badge, an uploaded baked PNG (baked by the
// issuer), a URL; the report page shows the same verdict and checks; the form works with the
// keyboard alone.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  browser, checksOf, get, tabUntil, tempDir, useWorld, verdictOf, watchedPage, world,
} from './harness.mjs';

useWorld();

const services = () => [
  ['issuer', world.issuer.base],
  ['verifier', world.verifier.base],
];

async function json(badge) {
  return (await get(badge.url, 'application/json')).text;
}

for (const service of ['issuer', 'verifier']) {
  test(`the ${service}'s paste page verifies a pasted badge (valid, then revoked)`, async () => {
    const root = Object.fromEntries(services())[service];
    for (const [name, state] of [['valid', 'valid'], ['revoked', 'revoked']]) {
      const page = await watchedPage(browser);
      await page.goto(`${root}/verify`);
      await page.fill('form#paste textarea[name=credential]', await json(world.badges[name]));
      await Promise.all([page.waitForNavigation(), page.click('#verify-pasted')]);
      assert.equal((await verdictOf(page)).state, state, `${service}: ${name}`);
      const checks = await checksOf(page);
      assert.equal(checks.proof, 'passed', JSON.stringify(checks));
      await page.context().close();
    }
  });

  test(`the ${service}'s paste page verifies an uploaded baked PNG`, async () => {
    const root = Object.fromEntries(services())[service];
    const { uuid } = world.badges.valid;
    const response = await fetch(`${world.issuer.base}/badges/${uuid}/baked.png`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/png');
    const file = path.join(tempDir(), 'badge.png');
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    const page = await watchedPage(browser);
    await page.goto(`${root}/verify`);
    await page.setInputFiles('form#upload input[type=file][name=file]', file);
    await Promise.all([page.waitForNavigation(), page.click('#verify-upload')]);
    assert.equal((await verdictOf(page)).state, 'valid');
    assert.equal((await checksOf(page)).proof, 'passed');
    await page.context().close();
  });
}

test("the verifier's paste page verifies a badge by URL (fetched from the issuer)", async () => {
  const root = world.verifier.base;
  const page = await watchedPage(browser);
  await page.goto(`${root}/verify`);
  await page.fill('form#by-url input[name=url]', world.badges.suspended.url);
  await Promise.all([page.waitForNavigation(), page.press('form#by-url input[name=url]', 'Enter')]);
  assert.equal((await verdictOf(page)).state, 'suspended');
  await page.context().close();
});

test('the paste form works with the keyboard alone', async () => {
  const page = await watchedPage(browser);
  await page.goto(`${world.verifier.base}/verify`);
  await tabUntil(page, (e) => e.tag === 'textarea' && e.name === 'credential');
  await page.keyboard.insertText(await json(world.badges.expired));
  await tabUntil(page, (e) => e.id === 'verify-pasted', 5);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal((await verdictOf(page)).state, 'expired');
  await page.context().close();
});
