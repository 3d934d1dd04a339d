// The standalone verifier (issue 16): `hallmark web export DIR` written into a temp folder and
// served by a plain static server on another origin (no Hallmark behind it) verifies badges in
// the browser — by #url=, by paste, by upload of a baked PNG, by #vc= — showing the state and
// every check's outcome; a revoked badge shows revoked, a tampered one not valid. Also: the
// same page on the issuer at /verifier, axe, and docs/screenshots/standalone.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  HALLMARK, SCREENSHOTS, assertAccessible, browser, startStaticSite, tempDir, useWorld,
  watchedPage, world,
} from './harness.mjs';

useWorld();
let site;
let exported;
let exportDir;

before(async () => {
  const dir = tempDir('hallmark-export-');
  exportDir = path.join(dir, 'verifier');
  exported = execFileSync(HALLMARK, ['web', 'export', exportDir], { encoding: 'utf8' });
  site = await startStaticSite(exportDir);
});
after(() => site?.stop());

const enc = encodeURIComponent;
/** The fragment entries that trust the demo issuer and reach it over plain http. */
const trustAndHost = () => `trust=${enc(world.issuer.issuerId)}&insecure=${world.issuer.address}`;

/** Waits for the page's verdict; {state, word, checks: {check: outcome}, build, facts}. */
async function resultOf(page) {
  await page.waitForSelector('#result[data-state]');
  return {
    state: await page.getAttribute('#verdict', 'data-state'),
    word: (await page.textContent('#verdict-word')).trim(),
    checks: await page.$$eval('#checks tr[data-check]', (rows) =>
      Object.fromEntries(rows.map((r) => [r.dataset.check, r.dataset.outcome])),
    ),
    partner: (await page.textContent('#partner-name')).trim(),
    tier: (await page.textContent('#tier-name')).trim(),
    checkedAt: (await page.textContent('#checked-at')).trim(),
    build: await page.getAttribute('#result', 'data-build'),
    details: await page.$$eval('#checks tr[data-check]', (rows) => rows.map((r) => r.textContent).join('\n')),
  };
}

const ALL_PASSED = { parse: 'passed', proof: 'passed', issuer: 'passed', trust: 'passed', validity: 'passed', status: 'passed' };

test('the export wrote the page, its scripts, both builds and the style sheet', () => {
  const names = readdirSync(exportDir).sort();
  assert.deepEqual(names, [
    'hallmark_verify_jcs.js', 'hallmark_verify_jcs_bg.wasm', 'hallmark_verify_rdfc.js',
    'hallmark_verify_rdfc_bg.wasm', 'index.html', 'standalone.js', 'states.js', 'style.css', 'verify-browser.js',
  ]);
  assert.match(exported, /bytes in 9 files/);
});

test('a valid badge by #url= on another origin: Valid, every check passed, in this browser', async () => {
  const badge = world.badges.valid;
  const page = await watchedPage(browser);
  const violations = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
  await page.goto(`${site.base}/#url=${enc(badge.url)}&${trustAndHost()}`);
  const r = await resultOf(page);
  assert.equal(r.state, 'valid', r.details);
  assert.equal(r.word, 'Valid');
  assert.deepEqual(r.checks, ALL_PASSED);
  assert.equal(r.partner, badge.name);
  assert.equal(r.tier, 'Silver Partner');
  assert.match(r.checkedAt, /^Verified in this browser at \d{4}-\d\d-\d\dT/);
  assert.match(r.checkedAt, /build: (jcs|rdfc)/);
  assert.equal(await page.inputValue('#badge-url'), badge.url);
  assert.equal(await page.inputValue('#trust'), world.issuer.issuerId);
  assert.equal(await page.isVisible('#unvouched'), false);
  // The proof row names the signature's suite; the detail is shown in full.
  assert.match(await page.textContent('#checks tr[data-check="proof"]'), /the signature verifies/);
  assert.deepEqual(violations, []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('by paste: the badge JSON pasted and verified', async () => {
  const badge = world.badges.valid;
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/index.html#${trustAndHost()}`);
  await page.waitForSelector('html[data-ready]');
  await page.fill('#badge-json', JSON.stringify(badge.document, null, 2));
  await page.click('#by-paste button[type=submit]');
  const r = await resultOf(page);
  assert.equal(r.state, 'valid', r.details);
  assert.deepEqual(r.checks, ALL_PASSED);
  assert.equal(r.partner, badge.name);
  await page.context().close();
});

test('by upload of the baked PNG the issuer serves', async () => {
  const badge = world.badges.valid;
  const response = await fetch(`${world.issuer.base}/badges/${badge.uuid}/baked.png`);
  assert.equal(response.status, 200);
  const file = path.join(tempDir('hallmark-baked-'), 'badge.png');
  writeFileSync(file, Buffer.from(await response.arrayBuffer()));
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/#${trustAndHost()}`);
  await page.waitForSelector('html[data-ready]');
  await page.setInputFiles('#badge-file', file);
  const r = await resultOf(page);
  assert.equal(r.state, 'valid', r.details);
  assert.deepEqual(r.checks, ALL_PASSED);
  assert.equal(r.partner, badge.name);
  await page.context().close();
});

test('by #vc= (base64url of the JSON) and by #vc= percent-encoded JSON; no request names it', async () => {
  const badge = world.badges.valid;
  const json = JSON.stringify(badge.document);
  const b64 = Buffer.from(json, 'utf8').toString('base64url');
  for (const value of [b64, enc(json)]) {
    const page = await watchedPage(browser);
    const toSite = [];
    page.on('request', (r) => r.url().startsWith(site.base) && toSite.push(r.url()));
    await page.goto(`${site.base}/#vc=${value}&${trustAndHost()}`);
    const r = await resultOf(page);
    assert.equal(r.state, 'valid', r.details);
    assert.deepEqual(r.checks, ALL_PASSED);
    assert.equal(r.partner, badge.name);
    // The host saw the page's files only, never the credential (fragments are not sent).
    assert.ok(toSite.every((u) => !u.includes('#') && !u.includes(badge.uuid)), toSite.join('\n'));
    await page.context().close();
  }
});

test('a revoked badge shows Revoked; a tampered one Not valid', async () => {
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/#url=${enc(world.badges.revoked.url)}&${trustAndHost()}`);
  let r = await resultOf(page);
  assert.equal(r.state, 'revoked');
  assert.equal(r.word, 'Revoked');
  assert.equal(r.checks.status, 'failed');
  assert.equal(r.checks.proof, 'passed');

  await page.context().close();

  const again = await watchedPage(browser);
  await again.goto(`${site.base}/#url=${enc(world.badges.tampered.url)}&${trustAndHost()}`);
  r = await resultOf(again);
  assert.equal(r.state, 'invalid');
  assert.equal(r.word, 'Not valid');
  assert.equal(r.checks.proof, 'failed');
  assert.equal(r.partner, 'Trusted Example Ltd');
  await again.context().close();
});

test('with no trusted issuers the trust check warns: anyone can sign under any name', async () => {
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/#url=${enc(world.badges.valid.url)}&insecure=${world.issuer.address}`);
  const r = await resultOf(page);
  assert.equal(r.checks.trust, 'warning');
  assert.equal(await page.isVisible('#unvouched'), true);
  assert.match(await page.textContent('#unvouched'), /anyone can sign a badge under any name/);
  await page.context().close();
});

test('the issuer serves the same page at /verifier', async () => {
  const page = await watchedPage(browser);
  await page.goto(`${world.issuer.base}/verifier#url=${enc(world.badges.suspended.url)}&${trustAndHost()}`);
  assert.equal(new URL(page.url()).pathname, '/assets/standalone.html');
  const r = await resultOf(page);
  assert.equal(r.state, 'suspended');
  assert.equal(r.checks.status, 'failed');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('/verifier on an issuer served over plain http reaches it without &insecure= (the demo as the README runs it)', async () => {
  const page = await watchedPage(browser);
  await page.goto(`${world.issuer.base}/verifier`);
  await page.waitForSelector('html[data-ready]');
  await page.fill('#badge-url', world.badges.valid.url);
  await page.click('#by-url button');
  const r = await resultOf(page);
  assert.equal(r.state, 'valid');
  assert.equal(r.checks.proof, 'passed');
  assert.equal(r.checks.status, 'passed');
  assert.match(r.checkedAt, new RegExp(`fetched over plain http: ${world.issuer.address.replace(/\./g, '\\.')}`));
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the standalone page is accessible, has no inline script or style, and its screenshot', async () => {
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/#url=${enc(world.badges.valid.url)}&${trustAndHost()}`);
  await resultOf(page);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  const inline = await page.evaluate(() => ({
    scripts: [...document.scripts].filter((s) => !s.src).length,
    styles: document.querySelectorAll('style, [style]').length,
    csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? '',
  }));
  assert.equal(inline.scripts, 0);
  assert.equal(inline.styles, 0);
  assert.match(inline.csp, /script-src 'self' 'wasm-unsafe-eval'/);
  await page.click('#checks');
  await assertAccessible(page, 'standalone verifier');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'standalone.png'), fullPage: true });
  await page.context().close();
});

test('by upload of a JSON file and of the baked SVG; a file that is no badge says why', async () => {
  const badge = world.badges.valid;
  const dir = tempDir('hallmark-upload-');
  const json = path.join(dir, 'badge.json');
  writeFileSync(json, JSON.stringify(badge.document));
  const svg = path.join(dir, 'badge.svg');
  const baked = await fetch(`${world.issuer.base}/badges/${badge.uuid}/baked.svg`);
  assert.equal(baked.status, 200);
  writeFileSync(svg, Buffer.from(await baked.arrayBuffer()));
  const junk = path.join(dir, 'notes.txt');
  writeFileSync(junk, 'not a badge at all');
  for (const file of [json, svg]) {
    const page = await watchedPage(browser);
    await page.goto(`${site.base}/#${trustAndHost()}`);
    await page.waitForSelector('html[data-ready]');
    await page.setInputFiles('#badge-file', file);
    const r = await resultOf(page);
    assert.equal(r.state, 'valid', `${path.basename(file)}: ${r.details}`);
    assert.deepEqual(r.checks, ALL_PASSED);
    await page.context().close();
  }
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/#${trustAndHost()}`);
  await page.waitForSelector('html[data-ready]');
  await page.setInputFiles('#badge-file', junk);
  await page.waitForSelector('#result[data-state]');
  assert.equal(await page.getAttribute('#verdict', 'data-state'), 'invalid');
  assert.equal(await page.getAttribute('#checks tr[data-check="parse"]', 'data-outcome'), 'failed');
  await page.context().close();
});

test('a badge URL that cannot be fetched says so, as an alert', async () => {
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/#url=${enc(`${world.issuer.base}/credentials/00000000-0000-4000-8000-000000000000`)}`);
  const alert = page.locator('#error[role="alert"]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /^Could not verify http:\/\/.*answered 404$/);
  assert.equal(await page.isVisible('#outcome'), false);
  await page.context().close();
});
