// The verify page behind the QR code (`GET /credentials/{uuid}` as a browser asks for it):
// one unmistakable state per badge, its checks, the German page, and the keyboard alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  badgeOfADownIssuer, browser, checksOf, startVerifier, stateWords, tabThrough, tabUntil, useWorld, verdictOf, watchedPage, world,
} from './harness.mjs';

const en = stateWords('en');
const de = stateWords('de');
useWorld();

async function open(badge, query = '') {
  const page = await watchedPage(browser);
  const response = await page.goto(`${badge.url}${query}`);
  assert.match(response.headers()['content-type'] || '', /text\/html/, `${badge.url}: HTML for a browser`);
  return page;
}

const cases = [
  // [badge, state, the check that decides it, its outcome]
  ['valid', 'valid', 'status', 'passed'],
  ['expired', 'expired', 'validity', 'failed'],
  ['suspended', 'suspended', 'status', 'failed'],
  ['revoked', 'revoked', 'status', 'failed'],
  ['tampered', 'invalid', 'proof', 'failed'],
];

for (const [name, state, check, outcome] of cases) {
  test(`the verify page of the ${name} badge says ${en[state]}`, async () => {
    const badge = world.badges[name];
    const page = await open(badge);
    const verdict = await verdictOf(page);
    assert.equal(verdict.state, state);
    assert.equal(verdict.role, 'status');
    assert.equal(verdict.word, en[state], 'the state in words, not colour alone');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    const checks = await checksOf(page);
    assert.equal(checks[check], outcome, JSON.stringify(checks));
    if (name !== 'tampered') {
      assert.equal(checks.proof, 'passed', JSON.stringify(checks));
      assert.equal((await page.textContent('#partner-name')).trim(), badge.name);
      assert.match(await page.textContent('#tier-name'), /Silver/);
    }
    if (name === 'revoked') {
      // The public reason (the badge's "message" status), never the agency's own.
      assert.match(await page.textContent('#reason'), /withdrawn by the program/);
      assert.ok(!(await page.content()).includes(badge.reason), 'the private reason stays private');
    }
    assert.match((await page.getAttribute('a#raw-credential', 'href')) || '', /./);
    assert.match(await page.textContent('pre#verify-command'), /hallmark verify/);
    assert.deepEqual(page.dialogs, []);
    await page.context().close();
  });
}

test('a superseded badge says so, names why, and links the badge that replaced it', async () => {
  const { superseded, successor } = world.badges;
  assert.equal(successor.kind, 'renewal');
  const page = await watchedPage(browser);
  const response = await page.goto(superseded.url);
  assert.equal(response.headers()['link'], `<${successor.url}>; rel="successor-version"`);
  const verdict = await verdictOf(page);
  assert.equal(verdict.state, 'revoked');
  assert.equal(verdict.word, en.revoked);
  assert.match(await page.textContent('#reason'), /superseded by a newer badge/);
  const checks = await checksOf(page);
  assert.equal(checks.status, 'failed', JSON.stringify(checks));
  // The successor link, followed with the keyboard alone, opens the current badge: valid.
  assert.equal(await page.getAttribute('#successor a', 'href'), successor.url);
  await page.focus('#successor a');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(page.url(), successor.url);
  assert.equal((await verdictOf(page)).state, 'valid');
  assert.equal(await page.locator('#successor').count(), 0, 'the current badge names no successor');
  assert.deepEqual(page.dialogs, []);
  await page.context().close();
});

test('the tampered badge never shows the forged name as verified', async () => {
  const page = await open(world.badges.tampered);
  const verdict = await verdictOf(page);
  assert.notEqual(verdict.state, 'valid');
  assert.notEqual(verdict.word, en.valid);
  await page.context().close();
});

test("a badge whose status list cannot be fetched (its issuer is down) says it cannot be verified", async () => {
  // The standalone verifier's paste page: the issuer's server is stopped, so the status list
  // cannot be fetched (the signature still checks: that issuer is a did:key).
  const down = await badgeOfADownIssuer();
  const verifier = await startVerifier([{ id: down.issuerId, name: 'Down demo' }], [down.address]);
  try {
    const page = await watchedPage(browser);
    await page.goto(`${verifier.base}/verify`);
    await page.fill('form#paste textarea[name=credential]', JSON.stringify(down.document));
    await Promise.all([page.waitForNavigation(), page.click('#verify-pasted')]);
    const verdict = await verdictOf(page);
    assert.equal(verdict.state, 'unknown');
    assert.equal(verdict.word, en.unknown);
    const checks = await checksOf(page);
    assert.equal(checks.status, 'unknown', JSON.stringify(checks));
    assert.equal(checks.proof, 'passed', JSON.stringify(checks));
    await page.context().close();
  } finally {
    await verifier.stop();
  }
});

test('the German page is German (Accept-Language: de, and ?lang=de)', async () => {
  const context = await browser.newContext({ locale: 'de-DE', extraHTTPHeaders: { 'accept-language': 'de' } });
  const page = await context.newPage();
  await page.goto(world.badges.valid.url);
  assert.equal(await page.getAttribute('html', 'lang'), 'de');
  assert.equal((await verdictOf(page)).word, de.valid);
  assert.equal(de.valid, 'Gültig');
  await context.close();

  const english = await watchedPage(browser);
  await english.goto(`${world.badges.revoked.url}?lang=de`);
  assert.equal(await english.getAttribute('html', 'lang'), 'de');
  assert.equal((await verdictOf(english)).word, de.revoked);
  await english.context().close();
});

test('the verify page works with the keyboard alone', async () => {
  const page = await open(world.badges.valid);
  // The language switch: Tab to it, Enter follows it.
  await tabUntil(page, (e) => e.inLang && /lang=de/.test(e.href || ''));
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'de');
  // Back in English: every link of the page, the verdict's included, is reachable by Tab.
  await page.goto(world.badges.valid.url);
  const reached = await tabThrough(page);
  const ids = reached.map((e) => e.id);
  for (const id of ['raw-credential', 'linkedin', 'embed-snippet']) {
    assert.ok(ids.includes(id), `#${id} reachable by Tab: ${ids.join(' ')}`);
  }
  assert.ok(reached.some((e) => /\/directory$/.test(e.href || '')), 'the nav');
  assert.ok(reached.some((e) => e.inLang), 'the language switch');
  // Enter on the raw credential link opens the JSON.
  await page.goto(world.badges.valid.url);
  await tabUntil(page, (e) => e.id === 'raw-credential', 120);
  const [response] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.match(response.headers()['content-type'] || '', /json/);
  assert.match(await page.textContent('body'), /VerifiableCredential/);
  await page.context().close();
});
