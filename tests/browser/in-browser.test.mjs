// The in-browser verifier (issue 16): the WebAssembly build of the pipeline, run in Chromium,
// answers the very report `hallmark verify --json` prints for the same badge, instant, trust
// list and hosts — for a valid, expired, revoked, suspended, tampered and wrong-issuer badge,
// signed eddsa-rdfc-2022 (the demo issuer) and eddsa-jcs-2022 (a second demo issuer set to
// it). Then the verify pages: the browser's verdict shown beside the server's, agreeing;
// a disagreement said plainly; a build that cannot load said quietly; nothing without
// JavaScript; axe on the filled section, and its screenshot.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  SCREENSHOTS, assertAccessible, browser, browserVerify, cliReport, get, startIssuer, stateWords,
  useWorld, verdictOf, watchedPage, world,
} from './harness.mjs';

const en = stateWords('en');
useWorld();

/** The second issuer, signing eddsa-jcs-2022, and its badges in each state. */
let jcs;
before(async () => {
  const issuer = await startIssuer({ HALLMARK_CRYPTOSUITE: 'eddsa-jcs-2022' });
  const b = {};
  b.valid = await issuer.badge('Jcs Valid Ltd', {});
  b.expired = await issuer.badge('Jcs Expired GmbH', {
    approvedAt: new Date(Date.now() - 730 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
  });
  b.suspended = await issuer.badge('Jcs Suspended Inc', {});
  await issuer.suspend(b.suspended.uuid);
  b.revoked = await issuer.badge('Jcs Revoked SA', {});
  await issuer.revoke(b.revoked.uuid, 'Contract ended');
  b.tampered = await issuer.badge('Jcs Tampered Ltd', {});
  issuer.tamper(b.tampered.uuid, 'Jcs Tampered Ltd', 'Jcs Trusted Ltd');
  jcs = { issuer, badges: b };
});

let settledOnce;
/** Both issuers' lifecycle runs done (see below), then AT set: once, for every parity test. */
function lapsed() {
  settledOnce ??= (async () => {
    // Each issuer's lifecycle run (5 s after it starts) marks its expired badge "lapsed" and
    // re-signs that status list: wait for it, so the CLI and the browser read the same list.
    for (const [demo, badge] of [[world.issuer, world.badges.expired], [jcs.issuer, jcs.badges.expired]]) {
      await until(`${badge.url} lapsed`, () => {
        const report = cliReport(badge.url, {
          at: new Date().toISOString(),
          trust: [demo.issuerId],
          insecureHosts: [demo.address],
        });
        return /message: lapsed/.test(report.checks.find((c) => c.check === 'status').detail);
      });
    }
    AT = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  })();
  return settledOnce;
}

/** Resolves once `condition()` holds, checking it every 200 ms; fails after 30 s naming `what`. */
async function until(what, condition) {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

after(async () => {
  await jcs?.issuer.stop();
});

/** One instant for both verifiers (after every badge was issued): the time checks must not
 * differ by a clock tick. */
let AT;

const suites = () => ({
  'eddsa-rdfc-2022': { issuer: world.issuer, badges: world.badges, other: jcs.issuer },
  'eddsa-jcs-2022': { issuer: jcs.issuer, badges: jcs.badges, other: world.issuer },
});

const cases = [
  // [badge, the standing both must answer]; wrong-issuer: a genuine badge of an issuer that
  // is not the trusted one (the other demo issuer is trusted instead).
  ['valid', 'valid'],
  ['expired', 'expired'],
  ['revoked', 'revoked'],
  ['suspended', 'suspended'],
  ['tampered', 'invalid'],
  ['wrong-issuer', 'invalid'],
];

for (const suite of ['eddsa-rdfc-2022', 'eddsa-jcs-2022']) {
  for (const [name, standing] of cases) {
    test(`${suite}, ${name} badge: the browser's report equals hallmark verify --json's`, async () => {
      await lapsed();
      const { issuer, badges, other } = suites()[suite];
      const badge = name === 'wrong-issuer' ? badges.valid : badges[name];
      const trusted = name === 'wrong-issuer' ? other : issuer;
      const options = {
        at: AT,
        trust: [trusted.issuerId],
        insecureHosts: [world.issuer.address, jcs.issuer.address],
      };
      const cli = cliReport(badge.url, options);
      const page = await watchedPage(browser);
      // A page of the badge's own issuer: the assets and the badge are same-origin there.
      await page.goto(`${issuer.base}/verify`);
      const ran = await browserVerify(page, badge.url, options);
      await page.context().close();

      assert.equal(ran.standing, standing, JSON.stringify(ran.report.checks));
      assert.equal(ran.build, suite === 'eddsa-jcs-2022' ? 'jcs' : 'rdfc', 'the smaller build for jcs');
      const proof = ran.report.checks.find((c) => c.check === 'proof');
      if (name !== 'tampered') assert.match(proof.detail, new RegExp(suite), 'signed with the suite under test');
      // The whole report: verified, the summary, every check's id, outcome, code and detail.
      assert.deepEqual(ran.report, cli);
      assert.equal(ran.report.verified, standing === 'valid');
      if (name === 'wrong-issuer') {
        assert.equal(ran.report.checks.find((c) => c.check === 'trust').outcome, 'failed');
      }
    });
  }
}

// ---- the verify pages -------------------------------------------------------------------

/** The page at `url` once its browser check has finished: the page and the section's state. */
async function settled(page, url) {
  await page.goto(url);
  return browserSection(page);
}

/** A predicate for the raw JSON URL of `badge` (the one the issuer's page hands its script). */
const rawJson = (badge) => (url) =>
  url.pathname === `/credentials/${badge.uuid}` && url.searchParams.get('format') === 'json';

async function browserSection(page) {
  const section = page.locator('#browser-check');
  await page.waitForSelector('#browser-check[data-browser="agrees"], #browser-check[data-browser="disagrees"], #browser-check[data-browser="failed"]');
  return {
    outcome: await section.getAttribute('data-browser'),
    standing: await section.getAttribute('data-browser-standing'),
    role: await section.getAttribute('role'),
    verdict: (await page.textContent('#browser-verdict')).trim(),
    detail: (await page.textContent('#browser-detail')).trim(),
    visible: await section.isVisible(),
  };
}

for (const [name, state] of [['valid', 'valid'], ['revoked', 'revoked']]) {
  test(`the issuer's verify page of the ${name} badge shows the browser agreeing: ${en[state]}`, async () => {
    const page = await watchedPage(browser);
    const shown = await settled(page, world.badges[name].url);
    assert.equal((await verdictOf(page)).state, state, 'the server says');
    assert.deepEqual(
      { outcome: shown.outcome, standing: shown.standing, role: shown.role, visible: shown.visible },
      { outcome: 'agrees', standing: state, role: 'status', visible: true },
    );
    assert.equal(shown.verdict, `Verified in your browser: ${en[state]}`);
    assert.match(shown.detail, /build rdfc, \d+ ms/);
    assert.equal(await page.locator('#browser-checks').count(), 0, 'no second table when agreeing');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}

test("the verifier's page of a pasted badge shows the browser agreeing, with its trust list", async () => {
  for (const [name, state] of [['valid', 'valid'], ['suspended', 'suspended']]) {
    const page = await watchedPage(browser);
    await page.goto(`${world.verifier.base}/verify`);
    const text = (await get(world.badges[name].url, 'application/json')).text;
    await page.fill('form#paste textarea[name=credential]', text);
    await Promise.all([page.waitForNavigation(), page.click('#verify-pasted')]);
    assert.equal(await page.getAttribute('#browser-check', 'data-credential'), text, 'the pasted text, as pasted');
    assert.deepEqual(JSON.parse(await page.getAttribute('#browser-check', 'data-trust')), [world.issuer.issuerId]);
    const shown = await browserSection(page);
    assert.equal((await verdictOf(page)).state, state);
    assert.equal(shown.outcome, 'agrees', shown.detail);
    assert.equal(shown.verdict, `Verified in your browser: ${en[state]}`);
    await page.context().close();
  }
});

test('a browser that sees another credential than the server says plainly that it disagrees', async () => {
  const badge = world.badges.valid;
  const page = await watchedPage(browser);
  // The browser is handed an altered credential while the server's verdict says valid.
  await page.route(rawJson(badge), async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace('Contoso Valid Ltd', 'Contoso Forged Ltd');
    await route.fulfill({ response, body });
  });
  const shown = await settled(page, badge.url);
  assert.equal((await verdictOf(page)).state, 'valid', 'the server says valid');
  assert.equal(shown.outcome, 'disagrees');
  assert.equal(shown.standing, 'invalid');
  assert.equal(shown.verdict, `Your browser's check disagrees with the server: it finds this badge ${en.invalid}`);
  assert.match(shown.detail, /The server says Valid\./);
  const rows = await page.$$eval('#browser-checks tr[data-check]', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.check, r.dataset.outcome])),
  );
  assert.equal(rows.proof, 'failed', JSON.stringify(rows));
  assert.equal(await page.textContent('#browser-checks tr[data-check=proof] th'), 'Signature');
  await assertAccessible(page, 'verify page, browser disagreeing');
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.locator('#browser-check').screenshot({ path: path.join(SCREENSHOTS, 'verify-in-browser-disagrees.png') });
  await page.context().close();
});

test('a browser whose status list shows the badge revoked disagrees with a server that says valid', async () => {
  const badge = world.badges.valid;
  const revoked = world.badges.revoked;
  const page = await watchedPage(browser);
  // The valid badge's own list entry is not set; hand the browser the revoked badge's
  // credential instead and its (signed) list entry is: the browser finds it revoked.
  await page.route(rawJson(badge), async (route) => {
    const body = (await get(revoked.url, 'application/json')).text;
    await route.fulfill({ status: 200, contentType: 'application/json', body });
  });
  const shown = await settled(page, badge.url);
  assert.equal((await verdictOf(page)).state, 'valid');
  assert.equal(shown.outcome, 'disagrees');
  assert.equal(shown.standing, 'revoked');
  assert.equal(await page.getAttribute('#browser-checks tr[data-check=status]', 'data-outcome'), 'failed');
  await page.context().close();
});

test('when the WebAssembly cannot load, the page says quietly that the browser check could not run', async () => {
  const page = await watchedPage(browser);
  await page.route('**/assets/hallmark_verify_*', (route) => route.fulfill({ status: 404, body: 'gone' }));
  const shown = await settled(page, world.badges.valid.url);
  assert.equal(shown.outcome, 'failed');
  assert.equal(shown.verdict, "The check in your browser could not run; the verdict above is the server's.");
  assert.equal((await verdictOf(page)).state, 'valid', "the server's verdict stands");
  await page.context().close();
});

test('without JavaScript the server verdict shows and the browser section does not', async () => {
  const page = await watchedPage(browser, { javaScriptEnabled: false });
  await page.goto(world.badges.valid.url);
  assert.equal((await verdictOf(page)).state, 'valid');
  assert.equal(await page.locator('#browser-check').count(), 1, 'the section is in the HTML');
  assert.equal(await page.locator('#browser-check').isVisible(), false, 'and hidden');
  assert.equal(await page.locator('noscript').count(), 0);
  await page.context().close();
});

test('the German page says it in German', async () => {
  const page = await watchedPage(browser);
  const shown = await settled(page, `${world.badges.valid.url}?lang=de`);
  assert.equal(shown.verdict, `In Ihrem Browser bestätigt: ${stateWords('de').valid}`);
  await page.context().close();
});

test('the filled section passes axe, and its screenshot', async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const page = await watchedPage(browser, { deviceScaleFactor: 1 });
  const shown = await settled(page, world.badges.valid.url);
  assert.equal(shown.outcome, 'agrees');
  await assertAccessible(page, 'verify page, browser agreeing');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'verify-in-browser.png') });
  await page.context().close();
});
