// The procurement report (issue 17): `hallmark verify --claims … --report FILE.html` over the
// demo issuer's badges, opened as the file a buyer attaches — in Chromium, served by a plain
// static host. It holds every row with its verdict, claim and checks, shows a hostile vendor
// name as text, carries no script, passes axe on desktop and phone, and its screenshots go to
// docs/screenshots/claims-report*.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import {
  HALLMARK, SCREENSHOTS, XSS_NAME, assertAccessible, browser, startStaticSite, tempDir,
  useWorld, watchedPage, world,
} from './harness.mjs';

useWorld();
let site;
let rows;
let ready;

const quote = (s) => `"${String(s).replaceAll('"', '""')}"`;

/** Writes the claims and the report once (the world is up by the first test). */
function prepare() {
  ready ??= writeReport();
  return ready;
}

async function writeReport() {
  const dir = tempDir('hallmark-claims-');
  const b = world.badges;
  rows = [
    // [vendor, vendor_url, claimed tier, badge, the verdict and claim the report must show]
    ['Contoso Valid Ltd', 'https://contoso-valid-ltd.example', 'silver', b.valid, 'valid', 'met'],
    ['Revoked Example SA', 'https://revoked-example-sa.example', 'silver', b.revoked, 'revoked', 'not met'],
    ['Renewed Example AB', 'https://renewed-example-ab.example', 'silver', b.superseded, 'revoked', 'not met'],
    ['Suspended Example Inc', 'https://suspended-example-inc.example', 'silver', b.suspended, 'suspended', 'not met'],
    ['Contoso Valid Ltd (claims gold)', 'https://contoso-valid-ltd.example', 'gold', b.valid, 'valid', 'not met'],
    ['Fabrikam (not its badge)', 'https://fabrikam.example', 'silver', b.valid, 'valid', 'not met'],
    [XSS_NAME, 'https://xss.example', 'silver', b.xss, 'valid', 'met'],
  ];
  const csv = ['vendor,vendor_url,claimed_tier,badge']
    .concat(rows.map(([vendor, url, tier, badge]) => [quote(vendor), url, tier, badge.url].join(',')))
    .join('\n');
  writeFileSync(path.join(dir, 'claims.csv'), `${csv}\n`);
  const args = [
    'verify', '--claims', path.join(dir, 'claims.csv'), '--format', 'csv',
    '--trust', world.issuer.issuerId, '--insecure-host', world.issuer.address,
    '--report', path.join(dir, 'index.html'),
  ];
  try {
    execFileSync(HALLMARK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    assert.fail('some claims are not met: exit 1');
  } catch (error) {
    assert.equal(error.status, 1, String(error.stderr));
  }
  site = await startStaticSite(dir);
}
after(() => site?.stop());

test('the report holds every row with its verdict and claim, hostile text as text, no script', async () => {
  await prepare();
  const page = await watchedPage(browser, { javaScriptEnabled: false });
  await page.goto(`${site.base}/index.html`);
  assert.equal(await page.locator('script').count(), 0, 'no script in the report');
  const text = await page.textContent('body');
  for (const [vendor, , , , verdict, claim] of rows) {
    assert.ok(text.includes(vendor), `${vendor} is in the report`);
    // The summary table's line for the vendor (its first cell is the row's number).
    const row = page.locator('table.summary tbody tr').filter({ hasText: vendor }).first();
    const cells = (await row.textContent()).replace(/\s+/g, ' ');
    assert.ok(cells.includes(verdict), `${vendor}: ${verdict} in «${cells}»`);
    assert.ok(cells.includes(claim), `${vendor}: ${claim} in «${cells}»`);
  }
  assert.ok(text.includes(world.issuer.issuerId), 'the trust list is shown');
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'the hostile name made no element');
  await page.context().close();
});

for (const [name, viewport] of [
  ['claims-report', { width: 1280, height: 900 }],
  ['claims-report-phone', { width: 390, height: 844 }],
]) {
  test(`the report passes axe at ${viewport.width} px, and its screenshot`, async () => {
    await prepare();
    const page = await watchedPage(browser, { viewport });
    await page.goto(`${site.base}/index.html`);
    await assertAccessible(page, name);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
    await page.context().close();
  });
}
