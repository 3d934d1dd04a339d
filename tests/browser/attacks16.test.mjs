// Attacks on the in-browser verifier (issue 16), each kept as a regression test. No issuer
// service: `hallmark web export` on a plain static host, badges signed offline by a did:key
// (nothing to fetch), the browser's report compared with `hallmark verify --json`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';

import { HALLMARK, launchBrowser, startStaticSite, tempDir, watchedPage } from './harness.mjs';

const AT = '2026-12-05T00:00:00Z';
let dir;
let site;
let browser;
let issuer;

function hallmark(args, input) {
  try {
    return execFileSync(HALLMARK, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    if (error.stdout) return error.stdout;
    throw error;
  }
}

/** Signs the credential `value` with this file's did:key and `suite`, written to `file`
 * first: its JSON text. */
function sign(file, value, suite) {
  writeFileSync(file, JSON.stringify(value));
  return hallmark(['sign', '--key', path.join(dir, 'key.json'), '--cryptosuite', suite, file]);
}

/** A credential naming `name`, with `fields` besides (a `credentialStatus`, say), signed by
 * this file's did:key with `suite`: its JSON text. */
function signed(name, suite, fields = {}) {
  return sign(path.join(dir, `${name}-${suite}.json`), {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential'],
    issuer,
    credentialSubject: { id: 'https://northwind.example', name },
    validFrom: '2026-01-01T00:00:00Z',
    ...fields,
  }, suite);
}

/** A revocation entry at `index` of the list at `url`. */
const revocation = (url, index) => ({
  type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: String(index), statusListCredential: url,
});

/** A revocation list at `url`, every bit clear, signed with `suite`: its JSON text. */
function statusList(url, suite = 'eddsa-jcs-2022') {
  const encodedList = `u${gzipSync(Buffer.alloc(16384)).toString('base64url')}`;
  return sign(path.join(dir, `list-${url.replace(/[^a-z0-9]+/gi, '-')}.json`), {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer, id: url,
    credentialSubject: { id: `${url}#list`, type: 'BitstringStatusList', statusPurpose: 'revocation', encodedList },
  }, suite);
}

/** `hallmark verify --json --at AT` on `text`, without `input`. */
function cli(text, trust = []) {
  const file = path.join(dir, 'input.json');
  writeFileSync(file, text);
  const args = ['verify', '--json', '--at', AT];
  for (const t of trust) args.push('--trust', t);
  const report = JSON.parse(hallmark([...args, file]).trim().split('\n')[0]);
  delete report.input;
  delete report.successor;
  return report;
}

async function inBrowser(text, options = {}) {
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/`);
  const answer = await page.evaluate(async ({ text, options }) => {
    const m = await import('./verify-browser.js');
    const { report, standing, build } = await m.verifyCredential(text, options);
    return { report, standing, build };
  }, { text, options: { at: AT, ...options } });
  await page.context().close();
  return answer;
}

before(async () => {
  dir = tempDir('hallmark-attacks16-');
  issuer = hallmark(['keygen', '--out', path.join(dir, 'key.json')]).trim().split('\n')[0];
  hallmark(['web', 'export', path.join(dir, 'site')]);
  [site, browser] = await Promise.all([startStaticSite(path.join(dir, 'site')), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

test('a presentation is refused plainly, not judged as a malformed credential (hallmark verify verifies it as a presentation)', async () => {
  const vc = JSON.parse(signed('Northwind', 'eddsa-rdfc-2022'));
  const vp = JSON.stringify({
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiablePresentation'],
    verifiableCredential: [vc],
    proof: {
      type: 'DataIntegrityProof', cryptosuite: 'ecdsa-rdfc-2019', proofPurpose: 'authentication',
      verificationMethod: `${issuer}#${issuer.slice(8)}`, proofValue: 'z1',
    },
  });
  const expected = cli(vp);
  assert.equal(expected.credentialResults[0].checks.find((c) => c.check === 'proof').outcome, 'passed');
  // Before: the WebAssembly answered a credential's report ("type must include
  // VerifiableCredential", the rdfc credential judged by the jcs-only build): another report.
  await assert.rejects(inBrowser(vp), /verifiable presentation, not a credential/);
  // An unsigned one, typed only by what it holds, too.
  const bare = JSON.stringify({ '@context': ['https://www.w3.org/ns/credentials/v2'], verifiableCredential: [vc] });
  assert.ok(cli(bare).credentialResults);
  await assert.rejects(inBrowser(bare), /verifiable presentation/);

  // The standalone page says so, and shows no verdict.
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/`);
  await page.waitForSelector('html[data-ready]');
  await page.fill('#badge-json', vp);
  await page.click('#by-paste button');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /presentation/);
  assert.equal(await page.isVisible('#outcome'), false);
  await page.context().close();
});

test("a link's trust= is shown as the link's: a self-signed badge does not pass silently as trusted", async () => {
  const vc = signed('Contoso Platinum', 'eddsa-jcs-2022');
  const vcParam = Buffer.from(vc).toString('base64url');
  const page = await watchedPage(browser);
  // Nothing trusted: the caution that anyone can sign.
  await page.goto(`${site.base}/#vc=${vcParam}`);
  await page.waitForSelector('#result[data-state]');
  assert.equal(await page.getAttribute('#verdict', 'data-state'), 'valid');
  assert.equal(await page.isVisible('#unvouched'), true);
  assert.equal(await page.isVisible('#link-trust'), false);
  // The attacker's link trusts the attacker: "Valid", and the trust check passes — but the
  // page says who chose that issuer (before: no caution at all).
  await page.goto('about:blank');
  await page.goto(`${site.base}/#vc=${vcParam}&trust=${encodeURIComponent(issuer)}`);
  await page.waitForSelector('#result[data-state]');
  assert.equal(await page.getAttribute('#verdict', 'data-state'), 'valid');
  assert.equal(await page.isVisible('#unvouched'), false);
  assert.equal(await page.isVisible('#link-trust'), true);
  assert.ok((await page.textContent('#link-trust')).includes(issuer));
  assert.equal(await page.$eval('#link-trust', (e) => e.children.length), 0);
  // The fragment changed in place (a window that opened this page may set its location):
  // the field still trusts the link's issuer, and the note stays.
  await page.evaluate((v) => {
    document.querySelector('#result').removeAttribute('data-state');
    location.hash = `#vc=${v}`;
  }, vcParam);
  await page.waitForSelector('#result[data-state]');
  assert.equal(await page.getAttribute('#verdict', 'data-state'), 'valid');
  assert.equal(await page.isVisible('#link-trust'), true);
  // The reader's own trust list (typed, not from the link) draws no such note.
  await page.goto('about:blank');
  await page.goto(`${site.base}/`);
  await page.waitForSelector('html[data-ready]');
  await page.fill('#trust', issuer);
  await page.fill('#badge-json', vc);
  await page.click('#by-paste button');
  await page.waitForSelector('#result[data-state]');
  assert.equal(await page.isVisible('#link-trust'), false);
  assert.deepEqual(page.dialogs, []);
  await page.context().close();
});

test('insecure= from a link is taken for loopback hosts only', async () => {
  const page = await watchedPage(browser);
  const asked = [];
  await page.route(/issuer\.example/, (route) => {
    asked.push(route.request().url());
    route.abort();
  });
  await page.goto(`${site.base}/#url=${encodeURIComponent('https://issuer.example/credentials/1')}&insecure=issuer.example`);
  await page.waitForSelector('#error:not([hidden])');
  assert.deepEqual(asked, ['https://issuer.example/credentials/1']);
  await page.context().close();
});

test('a badge naming hundreds of status lists: at most 32 fetches (as hallmark verify), the rest undecided', async () => {
  const vc = JSON.parse(signed('Many Lists Ltd', 'eddsa-jcs-2022'));
  vc.credentialStatus = Array.from({ length: 300 }, (_, i) => ({
    type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: String(i),
    statusListCredential: `https://h${i}.invalid/status/1`,
  }));
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/`);
  const got = await page.evaluate(async (text) => {
    const m = await import('./verify-browser.js');
    let calls = 0;
    const fetch = async () => {
      calls += 1;
      return new Response('not here', { status: 404 });
    };
    const { standing, report, fetched } = await m.verifyCredential(text, { at: '2026-12-05T00:00:00Z', fetch });
    return { standing, calls, fetched: fetched.length, status: report.checks.find((c) => c.check === 'status') };
  }, JSON.stringify(vc));
  // Before: the plan fetched 16, then every URL the pipeline asked for (300) at once.
  assert.ok(got.calls <= 32, `${got.calls} fetches`);
  assert.notEqual(got.standing, 'valid');
  assert.equal(got.status.outcome, 'unknown');
  await page.context().close();
});

test('an http:// status list, or a redirect to one: refused as hallmark verify refuses it, not read', async () => {
  const { writeFileSync: write } = await import('node:fs');
  const list = `${site.base}/list.json`;
  write(path.join(dir, 'site', 'list.json'), statusList(list));
  const vc = signed('Http List Ltd', 'eddsa-jcs-2022', { credentialStatus: revocation(list, 1) });
  const expected = cli(vc);
  assert.match(expected.checks.find((c) => c.check === 'status').detail, /only https is fetched, not http/);
  // Before: the page (itself on http) read the list, and said valid where the CLI cannot tell.
  const got = await inBrowser(vc);
  assert.equal(got.standing, 'unknown');
  assert.deepEqual(got.report, expected);

  // An https URL whose server redirects to http: refused too (the browser follows any).
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/`);
  const moved = await page.evaluate(async ({ text, list }) => {
    const m = await import('./verify-browser.js');
    const fetch = async (url) => {
      const response = await globalThis.fetch(list);
      Object.defineProperty(response, 'url', { value: list });
      Object.defineProperty(response, 'redirected', { value: true });
      return response;
    };
    const { standing, report } = await m.verifyCredential(text, { at: '2026-12-05T00:00:00Z', fetch });
    return { standing, status: report.checks.find((c) => c.check === 'status') };
  }, { text: vc.replace(JSON.stringify(list), JSON.stringify('https://lists.example/1')), list });
  // (The altered badge fails its proof; what matters is that the list was not read.)
  assert.match(moved.status.detail, /refused to fetch .*only https is fetched, not http/);
  await page.context().close();
});

test('an endless document with no length: reading stops past 1 MiB, the check is undecided', async () => {
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/`);
  const got = await page.evaluate(async () => {
    const m = await import('./verify-browser.js');
    let pulled = 0;
    const fetch = async () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            pulled += 65536;
            controller.enqueue(new Uint8Array(65536).fill(32));
          },
        }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      );
    // Before: arrayBuffer() read on until memory or the timeout ran out (here: forever).
    const answer = await Promise.race([
      m.fetchDocument('https://lists.example/endless', fetch),
      new Promise((resolve) => setTimeout(() => resolve({ hung: true }), 5000)),
    ]);
    return { answer, pulled };
  });
  assert.equal(got.answer.hung, undefined);
  assert.match(got.answer.error, /over the 1048576-byte limit/);
  assert.ok(got.pulled < 2 * 1048576, `${got.pulled} bytes pulled`);
  await page.context().close();
});

test('an eddsa-rdfc-2022 status list the plan does not reach (past its 16 documents) still gets the rdfc build', async () => {
  const { writeFileSync: write } = await import('node:fs');
  const lists = {};
  const resolve = [];
  for (let i = 0; i < 17; i++) {
    const url = `https://lists${i}.example/status/1`;
    const file = path.join(dir, `plan-list-${i}.json`);
    // The last list alone is signed eddsa-rdfc-2022.
    lists[url] = statusList(url, i === 16 ? 'eddsa-rdfc-2022' : 'eddsa-jcs-2022');
    write(`${file}.signed`, lists[url]);
    resolve.push('--resolve', `${url}=${file}.signed`);
  }
  const badgeFile = path.join(dir, 'seventeen.json');
  const vc = signed('Seventeen Lists Ltd', 'eddsa-jcs-2022', {
    credentialStatus: Object.keys(lists).map((url, i) => revocation(url, i)),
  });
  write(`${badgeFile}.signed`, vc);
  const expected = JSON.parse(hallmark(['verify', '--json', '--at', AT, ...resolve, `${badgeFile}.signed`]).trim());
  delete expected.input;
  delete expected.successor;
  assert.equal(expected.verified, true, JSON.stringify(expected.checks));

  const page = await watchedPage(browser);
  await page.goto(`${site.base}/`);
  const got = await page.evaluate(async ({ text, lists, at }) => {
    const m = await import('./verify-browser.js');
    const fetch = async (url) =>
      lists[url] ? new Response(lists[url], { status: 200 }) : new Response('no', { status: 404 });
    const { report, standing, build } = await m.verifyCredential(text, { at, fetch });
    return { report, standing, build };
  }, { text: vc, lists, at: AT });
  await page.context().close();
  assert.equal(got.build, 'rdfc');
  assert.deepEqual(got.report, expected);
  assert.equal(got.standing, 'valid');
});

test('the standalone page shows hostile link entries and badge texts as text: no markup, no script', async () => {
  const html = '<img src=x onerror=alert(1)>';
  const vc = signed(html, 'eddsa-jcs-2022');
  const page = await watchedPage(browser);
  const violations = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
  const links = [
    `#url=${encodeURIComponent('javascript:alert(1)')}`,
    `#url=${encodeURIComponent(`https://x.invalid/${html}`)}`,
    `#vc=${encodeURIComponent(vc)}`,
    `#vc=${encodeURIComponent(html)}`,
    `#vc=${Buffer.from(vc).toString('base64url')}&trust=${encodeURIComponent(html)}`,
    `#vc=${Buffer.from(vc).toString('base64url')}&trust=${encodeURIComponent(`did:web:${html}`)}`,
  ];
  for (const link of links) {
    await page.goto('about:blank');
    await page.goto(`${site.base}/${link}`);
    await page.waitForSelector('#result[data-state], #error:not([hidden])');
    assert.equal(await page.$$eval('main img, main script, main iframe', (e) => e.length), 0, link);
  }
  // The badge whose name is markup: shown as its text.
  await page.goto('about:blank');
  await page.goto(`${site.base}/#vc=${Buffer.from(vc).toString('base64url')}`);
  await page.waitForSelector('#result[data-state]');
  assert.equal(await page.textContent('#partner-name'), html);
  assert.deepEqual(page.dialogs, []);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(violations, []);
  await page.context().close();
});

test('a document on a private or loopback address is refused, as hallmark verify refuses it', async () => {
  const vc = signed('Intranet Ltd', 'eddsa-jcs-2022', {
    credentialStatus: revocation('https://192.168.1.1/status/1', 1),
  });
  const expected = cli(vc);
  const page = await watchedPage(browser);
  await page.goto(`${site.base}/`);
  const urls = ['https://192.168.1.1/status/1', 'https://127.1/l', 'https://0x7f000001/l', 'https://10.1.2.3/l',
    'https://[::1]/l', 'https://[::ffff:7f00:1]/l', 'https://[fd00::1]/l', 'https://localhost/l', 'https://a.localhost/l'];
  const got = await page.evaluate(async ({ text, urls, at }) => {
    const m = await import('./verify-browser.js');
    const asked = [];
    const fetch = async (url) => {
      asked.push(url);
      return new Response('no', { status: 404 });
    };
    const { report, standing } = await m.verifyCredential(text, { at, fetch });
    const others = [];
    for (const url of urls.slice(1)) {
      const status = { type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '1', statusListCredential: url };
      const badge = { ...JSON.parse(text), credentialStatus: status };
      const r = await m.verifyCredential(JSON.stringify(badge), { at, fetch });
      others.push(r.report.checks.find((c) => c.check === 'status').detail);
    }
    return { report, standing, asked, others };
  }, { text: vc, urls, at: AT });
  await page.context().close();
  // Before: the browser asked the intranet address, where the CLI refuses to.
  assert.deepEqual(got.asked, []);
  assert.deepEqual(got.report, expected);
  for (const detail of got.others) assert.match(detail, /is not a public address/);
});
