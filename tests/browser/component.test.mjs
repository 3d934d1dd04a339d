// The optional embed component <hallmark-badge> (issue 16) on a partner's page on another
// origin whose CSP is exactly `script-src 'self' <issuer origin>`: no 'wasm-unsafe-eval', so
// the page itself cannot compile WebAssembly; the component verifies in a hidden iframe from
// the issuer (/embed/frame) and shows the live state from its postMessage. Valid for a valid
// badge, Revoked after the issuer revokes it (on reload), with no CSP violation anywhere;
// with scripts off the plain snippet stays. Screenshot: docs/screenshots/component.png.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  SCREENSHOTS, assertAccessible, browser, embedSnippet, get, partnerPage, startStaticSite,
  useWorld, watchedPage, world,
} from './harness.mjs';

useWorld();
let partner;
let csp;
// The partner's response headers: its CSP names the issuer, known once the world is up.
const partnerHeaders = {};

before(async () => {
  partner = await startStaticSite(null, partnerHeaders);
});

/** Fails with what to do when the issuer has no frame (a binary built without the wasm). */
let framed = null;
function frameServed() {
  framed ??= get(`${world.issuer.base}/embed/frame`).then((frame) => {
    if (frame.status !== 200) {
      throw new Error(
        `GET /embed/frame answered ${frame.status}: this hallmark carries no WebAssembly; run scripts/build-wasm.sh, then rebuild`,
      );
    }
  });
  return framed;
}
after(() => partner?.stop());

/** The partner's page: the issuer's script tag and the snippet inside the element. */
function componentPage(badge) {
  csp = `script-src 'self' ${world.issuer.base}`;
  partnerHeaders['content-security-policy'] = csp;
  const snippet = embedSnippet(world.issuer, badge, `${badge.name} · Silver Partner`);
  return partnerPage(
    `<script type="module" src="${world.issuer.base}/assets/hallmark-badge.js"></script>\n` +
      `<hallmark-badge>${snippet}</hallmark-badge>`,
  );
}

/** A page that records every CSP violation (securitypolicyviolation in any frame, console). */
async function guardedPage(options) {
  await frameServed();
  const page = await watchedPage(browser, options);
  page.violations = [];
  await page.exposeFunction('reportViolation', (v) => page.violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.reportViolation(`${location.origin}: ${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) page.violations.push(m.text());
  });
  return page;
}

/** The component's state once it has shown one: {state, text}. */
async function shownState(page) {
  await page.waitForSelector('hallmark-badge[data-state]');
  return {
    state: await page.getAttribute('hallmark-badge', 'data-state'),
    text: (await page.locator('hallmark-badge .live').textContent()).replace(/\s+/g, ' ').trim(),
  };
}

test('the frame page: wasm allowed, framed by anyone; the partner page CSP is as given', async () => {
  const frame = await get(`${world.issuer.base}/embed/frame`);
  assert.equal(frame.status, 200);
  const policy = frame.headers.get('content-security-policy');
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.match(policy, /frame-ancestors \*/);
  assert.match(frame.text, /<script type="module" src="\/assets\/frame.js"><\/script>/);
  // The frame trusts the issuer serving it, and only it: no fragment or attribute adds one.
  assert.ok(frame.text.includes(`<body data-issuer="${world.issuer.issuerId}">`), frame.text);
  const script = await get(`${world.issuer.base}/assets/frame.js`);
  assert.doesNotMatch(script.text, /get\('trust'\)/);
  partner.setPage('/', componentPage(world.badges.valid));
  const page = await get(`${partner.base}/`);
  assert.equal(page.headers.get('content-security-policy'), csp);
});

test('a valid badge: Valid, verified in your browser, no CSP violation', async () => {
  const badge = world.badges.valid;
  partner.setPage('/valid', componentPage(badge));
  const page = await guardedPage();
  await page.goto(`${partner.base}/valid`);
  const shown = await shownState(page);
  assert.equal(shown.state, 'valid');
  assert.equal(shown.text, 'Valid verified in your browser');
  const result = await page.evaluate(() => document.querySelector('hallmark-badge').result);
  assert.equal(result.partner, badge.name);
  assert.deepEqual(
    Object.fromEntries(result.checks.map((c) => [c.check, c.outcome])),
    { parse: 'passed', proof: 'passed', issuer: 'passed', trust: 'passed', validity: 'passed', status: 'passed' },
  );
  // The fallback snippet is still the element's content; the frame is gone.
  assert.equal(await page.locator('hallmark-badge a img').count(), 1);
  assert.equal(await page.locator('hallmark-badge iframe').count(), 0);
  assert.deepEqual(page.violations, []);
  // The page itself cannot compile WebAssembly (its CSP says so): the frame did it.
  const probe = await page.evaluate(async () => {
    const reported = new Promise((resolve) =>
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true }),
    );
    let compiled = true;
    try {
      await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    } catch {
      compiled = false;
    }
    return { compiled, directive: await reported };
  });
  assert.deepEqual(probe, { compiled: false, directive: 'script-src' });
  assert.deepEqual(page.errors, []);
  await assertAccessible(page, 'partner page with the component');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'component.png') });
  await page.context().close();
});

test('after the issuer revokes it, a reload shows Revoked', async () => {
  const badge = world.badges.embed;
  partner.setPage('/embed', componentPage(badge));
  const page = await guardedPage();
  await page.goto(`${partner.base}/embed`);
  assert.equal((await shownState(page)).state, 'valid');
  await world.issuer.revoke(badge.uuid, 'Contract ended');
  await page.reload();
  const shown = await shownState(page);
  assert.equal(shown.state, 'revoked');
  assert.equal(shown.text, 'Revoked verified in your browser');
  const result = await page.evaluate(() => document.querySelector('hallmark-badge').result);
  assert.equal(result.checks.find((c) => c.check === 'status').outcome, 'failed');
  assert.deepEqual(page.violations, []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a forged message from the page itself is ignored', async () => {
  partner.setPage('/forged', componentPage(world.badges.revoked));
  const page = await guardedPage();
  await page.goto(`${partner.base}/forged`);
  // Before the frame answers, the page posts a "valid" for every id it could guess.
  await page.evaluate(() => window.postMessage({ type: 'hallmark-badge', id: '', standing: 'valid' }, '*'));
  const shown = await shownState(page);
  assert.equal(shown.state, 'revoked');
  await page.context().close();
});

test('with scripts off the plain snippet is all there is', async () => {
  partner.setPage('/plain', componentPage(world.badges.valid));
  const page = await watchedPage(browser, { javaScriptEnabled: false });
  await page.goto(`${partner.base}/plain`);
  const img = page.locator('hallmark-badge a img');
  await img.waitFor();
  assert.match(await img.getAttribute('src'), /\/badges\/[^/]+\/badge\.svg$/);
  assert.equal(await page.getAttribute('hallmark-badge', 'data-state'), null);
  await page.context().close();
});

test("the issuer's verify page mentions the component in its embed section", async () => {
  const page = await watchedPage(browser);
  await page.goto(world.badges.valid.url);
  const text = await page.textContent('section[aria-labelledby="embed-heading"] #embed-component');
  assert.match(text, /<hallmark-badge>/);
  assert.match(text, /\/assets\/hallmark-badge\.js/);
  await page.context().close();
});
