// The world the browser tests run in: a demo issuer (`hallmark serve --demo`) with a badge in
// every state, the standalone verifier (`hallmark verifier serve`) trusting it, a second origin
// serving a partner's page with the embed snippet, and headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core; never a downloaded browser).
//
// Every process and temporary folder is registered here and removed on `world.stop()`, and on
// any exit of the test process (a failed assertion, an uncaught error, Ctrl-C) as well.
//
// Environment: HALLMARK (the binary; default $CARGO_TARGET_DIR/debug/hallmark, else
// target/debug/hallmark), CHROMIUM (default /usr/bin/chromium).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
export const SCREENSHOTS = path.join(ROOT, 'docs/screenshots');

export const HALLMARK =
  process.env.HALLMARK ||
  path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'debug/hallmark');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** The flags the project runs Chromium with (a fresh profile comes from playwright-core). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

/** How long a server may take to print its "listening on" line. */
const START_TIMEOUT_MS = 60_000;

// ---- cleanup of everything this process started -------------------------------------------

const children = new Set();
const tempDirs = new Set();

function cleanupNow() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
process.on('exit', cleanupNow);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanupNow();
    process.exit(130);
  });
}

export function tempDir(prefix = 'hallmark-browser-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function requireFile(file, what, hint) {
  if (!existsSync(file)) {
    throw new Error(`${what} not found at ${file}: ${hint}`);
  }
}

// ---- processes ------------------------------------------------------------------------------

/**
 * Starts `hallmark ARGS` and resolves when it logs "listening on ADDR" (no sleeping): the
 * process, its address (host:port) and the stderr lines up to then. Rejects, with those lines,
 * when it exits first or stays silent for START_TIMEOUT_MS.
 */
export function startHallmark(args, env = {}) {
  requireFile(
    HALLMARK,
    'the hallmark binary',
    'build it (cargo build -p hallmark) or set HALLMARK=/path/to/hallmark',
  );
  const child = spawn(HALLMARK, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info', ...env },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const lines = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hallmark ${args.join(' ')} did not log its address:\n${lines.join('\n')}`));
    }, START_TIMEOUT_MS);
    const onExit = (code) => {
      clearTimeout(timer);
      reject(new Error(`hallmark ${args.join(' ')} exited (${code}) before listening:\n${lines.join('\n')}`));
    };
    child.once('exit', onExit);
    // Keep draining stderr for the process's whole life, so it never blocks on a full pipe.
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (lines.length < 500) lines.push(line);
      const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
      const found = /listening on\s+(?:https?:\/\/)?([0-9.]+:\d+)/.exec(plain);
      if (found && timer) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve({ child, address: found[1], lines: [...lines] });
      }
    });
  });
}

/** Stops a process with SIGTERM (graceful shutdown) and waits for it, SIGKILL after 5 s. */
export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

// ---- the issuer -----------------------------------------------------------------------------

/**
 * A demo issuer on a free port: its base URL, admin token, data folder and issuer DID. `env`:
 * more settings (e.g. {HALLMARK_CRYPTOSUITE: 'eddsa-jcs-2022'} for an issuer signing jcs).
 */
export async function startIssuer(env = {}) {
  const data = tempDir('hallmark-issuer-');
  // A short embed lifetime (the setting embed_max_age_seconds), so the embed test sees a
  // revocation reach another site within it without waiting long.
  const { child, address, lines } = await startHallmark(
    ['serve', '--demo', '--data', data, '--listen', '127.0.0.1:0'],
    { HALLMARK_EMBED_MAX_AGE_SECONDS: '3', ...env },
  );
  const token = lines
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim())
    .find((l) => l.startsWith('export HALLMARK_TOKEN='))
    ?.slice('export HALLMARK_TOKEN='.length);
  if (!token) throw new Error(`the demo printed no admin token:\n${lines.join('\n')}`);
  const config = readFileSync(path.join(data, 'config.toml'), 'utf8');
  const issuerId = /^issuer_id = "(.*)"$/m.exec(config)[1];
  const base = `http://${address}`;
  return new Issuer({ child, address, base, token, data, issuerId });
}

export class Issuer {
  constructor(fields) {
    Object.assign(this, fields);
  }

  /** An admin API call; the parsed JSON body, or throws naming the status and problem. */
  async api(method, route, body) {
    const response = await fetch(`${this.base}/api/v1${route}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    if (!response.ok) {
      const error = new Error(`${method} /api/v1${route}: ${response.status} ${text}`);
      error.status = response.status;
      throw error;
    }
    return text ? JSON.parse(text) : null;
  }

  /**
   * A partner named `name` and a badge for it. Options: tier (silver), role (delivery),
   * competencies, approvedAt (RFC 3339; two years ago gives an expired badge), listed (in the
   * directory; set through PATCH /api/v1/partners/{id}, and recorded in `listedOk`).
   * Returns {uuid, url, partnerId, name, tier, document}.
   */
  async badge(name, options = {}) {
    const partner = await this.api('POST', '/partners', {
      name,
      url: options.url || `https://${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'partner'}.example`,
    });
    let listedOk = null;
    if (options.listed !== undefined) {
      try {
        await this.api('PATCH', `/partners/${partner.id}`, { listed: options.listed });
        listedOk = true;
      } catch (error) {
        listedOk = false;
        this.listingError = error.message;
      }
    }
    const tier = options.tier || 'silver';
    const approval = {
      partner_id: partner.id,
      tier,
      role: options.role || 'delivery',
      competencies: options.competencies || ['CLOUD-FUND', 'CLOUD-ARCH', 'DEVOPS'],
      exam_score: 85,
      approver: 'Browser Test',
      references: [
        { name: 'Contoso rollout', description: 'Landing zone for 40 teams', validated: true, public: true },
      ],
      ...(options.approvedAt ? { approved_at: options.approvedAt } : {}),
    };
    const issued = await this.api('POST', '/approvals', approval);
    const { uuid, id: url, document } = issued.credential;
    return { uuid, url, partnerId: partner.id, name, tier, document, listedOk };
  }

  /**
   * The same approval again for `badge`'s partner, tier and role: a renewal, which supersedes
   * `badge`. Returns the new badge like `badge()` does.
   */
  async renew(badge) {
    const approval = {
      partner_id: badge.partnerId,
      tier: badge.tier,
      role: 'delivery',
      competencies: ['CLOUD-FUND', 'CLOUD-ARCH', 'DEVOPS'],
      exam_score: 85,
      approver: 'Browser Test',
      references: [{ name: 'Contoso rollout', validated: true, public: true }],
    };
    const issued = await this.api('POST', '/approvals', approval);
    const { uuid, id: url, document } = issued.credential;
    return { uuid, url, partnerId: badge.partnerId, name: badge.name, tier: badge.tier, document, kind: issued.kind };
  }

  revoke(uuid, reason) {
    return this.api('POST', `/credentials/${uuid}/revoke`, { reason });
  }

  suspend(uuid) {
    return this.api('POST', `/credentials/${uuid}/suspend`, {});
  }

  /**
   * Changes a stored credential behind the issuer's back (an attacker with the database): the
   * partner's name inside `document` of the `credentials` row, so the signature no longer
   * matches. Uses Debian's sqlite3 command-line shell on the demo's SQLite database.
   */
  tamper(uuid, from, to) {
    const db = path.join(this.data, 'hallmark.db');
    const sql =
      `UPDATE credentials SET document = replace(document, '${from.replaceAll("'", "''")}', ` +
      `'${to.replaceAll("'", "''")}') WHERE id = '${uuid.replaceAll("'", "''")}'; SELECT changes();`;
    let out;
    try {
      out = execFileSync('sqlite3', ['-cmd', '.timeout 5000', db, sql], { encoding: 'utf8' });
    } catch (error) {
      if (error.code === 'ENOENT') {
        throw new Error('the sqlite3 command-line shell is missing (Debian: apt-get install sqlite3)');
      }
      throw error;
    }
    if (out.trim() !== '1') throw new Error(`tampering with ${uuid} changed ${out.trim()} rows`);
  }

  stop() {
    return stopProcess(this.child);
  }
}

// ---- the standalone verifier ---------------------------------------------------------------

/** `hallmark verifier serve` trusting `issuers` ([{id, name}]) and reaching `insecureHosts`. */
export async function startVerifier(issuers, insecureHosts) {
  const dir = tempDir('hallmark-verifier-');
  const trust = path.join(dir, 'trust.json');
  await import('node:fs/promises').then((fs) => fs.writeFile(trust, JSON.stringify({ issuers })));
  const args = ['verifier', 'serve', '--listen', '127.0.0.1:0', '--trust', trust];
  for (const host of insecureHosts) args.push('--insecure-host', host);
  const { child, address } = await startHallmark(args);
  return { child, address, base: `http://${address}`, stop: () => stopProcess(child) };
}

// ---- the partner's website: another origin ------------------------------------------------

/**
 * A tiny static server on another origin (`http://localhost:PORT`, where the services are on
 * 127.0.0.1): `GET /` answers the page set with `setPage(html)`.
 */
export async function startOtherOrigin() {
  let page = '<!doctype html><title>empty</title>';
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url.split('?')[0] === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(page);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    base: `http://localhost:${port}`,
    setPage(html) {
      page = html;
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A partner's web page with the embed snippet, as a partner would paste it. */
export function partnerPage(snippet, title = 'Fabrikam: our certifications') {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body><main><h1>${title}</h1><p>We are a certified partner:</p>
${snippet}
</main></body></html>`;
}

/** The snippet the contract names: a plain link around the badge image. */
export function embedSnippet(issuer, badge, alt) {
  const esc = (s) => s.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return `<a href="${esc(badge.url)}"><img src="${esc(`${issuer.base}/badges/${badge.uuid}/badge.svg`)}" alt="${esc(alt)}"></a>`;
}

// ---- the browser ----------------------------------------------------------------------------

/** Headless Chromium through playwright-core, with the project's flags. */
export async function launchBrowser() {
  requireFile(
    CHROMIUM,
    'Chromium',
    "install Debian's package (apt-get install -y chromium) or set CHROMIUM=/path/to/chromium",
  );
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error('playwright-core is not installed: run `npm ci` in tests/browser');
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const close = browser.close.bind(browser);
  process.on('exit', () => {
    try {
      browser.process?.()?.kill('SIGKILL');
    } catch {}
  });
  return Object.assign(browser, { closeAll: close });
}

/**
 * A page that fails the test on any JavaScript dialog (alert, confirm, prompt): `dialogs`
 * collects them, and each is dismissed so the page goes on.
 */
export async function watchedPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  // Pages answer in milliseconds here: a missing element fails fast, not after 30 s.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.dialogs = [];
  page.on('dialog', async (dialog) => {
    page.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss().catch(() => {});
  });
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(String(error)));
  return page;
}

/** An RFC 3339 instant `days` days before now (UTC, whole seconds). */
export function daysAgo(days) {
  return new Date(Date.now() - days * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
}

// ---- the world ------------------------------------------------------------------------------

/** The XSS partner's name: must show as text everywhere, never run. */
export const XSS_NAME = '<img src=x onerror=alert(1)>';

/**
 * The issuer with a badge in each state, the verifier, and the other origin. `badges`:
 * valid, expired (approved two years ago, a 365-day tier), suspended, revoked (reason
 * "Contract ended", private: the page says "withdrawn"), superseded (renewed: `successor` is
 * the badge that replaced it), tampered (partner name changed in the database), xss (the XSS partner,
 * listed), finops (listed, the only one with the FINOPS competency), embed (for the
 * revocation test).
 */
export async function startWorld() {
  const started = [];
  try {
    const issuer = await startIssuer();
    started.push(issuer);
    const b = {};
    b.valid = await issuer.badge('Contoso Valid Ltd', { listed: true });
    b.expired = await issuer.badge('Expired Example GmbH', { approvedAt: daysAgo(730) });
    b.suspended = await issuer.badge('Suspended Example Inc', {});
    await issuer.suspend(b.suspended.uuid);
    b.revoked = await issuer.badge('Revoked Example SA', {});
    await issuer.revoke(b.revoked.uuid, 'Contract ended');
    b.revoked.reason = 'Contract ended';
    b.superseded = await issuer.badge('Renewed Example AB', {});
    b.successor = await issuer.renew(b.superseded);
    b.tampered = await issuer.badge('Tampered Example Ltd', {});
    issuer.tamper(b.tampered.uuid, 'Tampered Example Ltd', 'Trusted Example Ltd');
    b.xss = await issuer.badge(XSS_NAME, { listed: true, url: 'https://xss.example' });
    b.finops = await issuer.badge('Fin Ops Masters BV', {
      listed: true,
      competencies: ['CLOUD-FUND', 'CLOUD-ARCH', 'FINOPS'],
    });
    b.embed = await issuer.badge('Fabrikam Embedded Ltd', {});
    const verifier = await startVerifier(
      [{ id: issuer.issuerId, name: 'Acme demo' }],
      [issuer.address],
    );
    started.push(verifier);
    const origin = await startOtherOrigin();
    started.push(origin);
    return {
      issuer,
      verifier,
      origin,
      badges: b,
      async stop() {
        await Promise.allSettled(started.map((s) => s.stop()));
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.stop()));
    throw error;
  }
}

/**
 * A badge whose status list cannot be fetched: issued by a second issuer that is then
 * stopped (its server is down), so a verifier elsewhere can check the signature but not the
 * status. The demo issues as a did:web (resolved from its server), so this one is moved to
 * the did:key of its key (its issuer_id line removed and restarted) to keep the signature
 * checkable while the server is down. Returns {document, issuerId, address}; the verifier
 * must be started with that issuer trusted and its address as an insecure host.
 */
export async function badgeOfADownIssuer() {
  const demo = await startIssuer();
  await demo.stop();
  const configPath = path.join(demo.data, 'config.toml');
  writeFileSync(configPath, readFileSync(configPath, 'utf8').replace(/^issuer_id = .*\n/m, ''));
  const { child, address, lines } = await startHallmark(['serve', '--config', configPath]);
  const plain = lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
  const issuerId = plain.map((l) => /issuer (did:key:\S+) listening on/.exec(l)?.[1]).find(Boolean);
  if (!issuerId) throw new Error(`the restarted issuer is not a did:key:\n${lines.join('\n')}`);
  const issuer = new Issuer({ ...demo, child, address, base: `http://${address}`, issuerId });
  try {
    const badge = await issuer.badge('Unreachable Status Ltd', {});
    return { document: badge.document, issuerId, address, badge };
  } finally {
    await issuer.stop();
  }
}

/** GET `url` with `accept`; {status, headers, text}. */
export async function get(url, accept = '*/*', headers = {}) {
  const response = await fetch(url, { headers: { accept, ...headers } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

// ---- reading the pages ----------------------------------------------------------------------

/** `state-…` words of a catalog (web/locales/LANG.ftl): {valid: "Valid", …}. */
export function stateWords(lang) {
  const text = readFileSync(path.join(ROOT, 'web/locales', `${lang}.ftl`), 'utf8');
  const words = {};
  for (const [, state, word] of text.matchAll(/^state-([a-z-]+?) = (.+)$/gm)) {
    if (!state.endsWith('-lead')) words[state] = word.trim();
  }
  return words;
}

/** The verdict the page shows: {state, role, word}; throws when the page has none. */
export async function verdictOf(page) {
  const verdict = page.locator('.verdict').first();
  await verdict.waitFor({ state: 'attached', timeout: 5_000 });
  return {
    state: await verdict.getAttribute('data-state'),
    role: await verdict.getAttribute('role'),
    word: (await verdict.locator('.word').first().textContent())?.trim(),
  };
}

/** The rows of `table#checks`: {parse: "passed", proof: "failed", …}. */
export async function checksOf(page) {
  return page.$$eval('table#checks tr[data-check]', (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.check, r.dataset.outcome])),
  );
}

/**
 * Presses Tab until `predicate(info)` holds for the focused element, at most `max` times;
 * `info` is {tag, id, href, text, name, type, inLang}. Returns the elements visited.
 */
export async function tabUntil(page, predicate, max = 80) {
  const visited = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      return {
        tag: e.tagName.toLowerCase(),
        id: e.id,
        href: e.getAttribute('href'),
        text: (e.textContent || '').trim().slice(0, 60),
        name: e.getAttribute('name'),
        type: e.getAttribute('type'),
        inLang: !!e.closest('.lang'),
      };
    });
    if (info) visited.push(info);
    if (info && predicate(info)) return visited;
  }
  throw new Error(
    `Tab never reached the element after ${max} presses; focus went through:\n` +
      visited.map((v) => `${v.tag}#${v.id} ${v.href || ''} ${v.text}`).join('\n'),
  );
}

// ---- accessibility ---------------------------------------------------------------------------

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA, and best practices) on the page as it is; fails,
 * listing each, on any serious or critical violation. Returns axe's results.
 */
export async function assertAccessible(page, what) {
  const { AxeBuilder } = await import('@axe-core/playwright');
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `${what}: axe violations`,
  );
  assert.ok(results.passes.length > 0, `${what}: axe ran its rules`);
  return results;
}


/**
 * Presses Tab from the top of the page until focus comes back to an element already visited
 * (at most `max` presses); every element focused, in order (as `tabUntil` describes them).
 */
export async function tabThrough(page, max = 200) {
  const visited = [];
  const seen = new Set();
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      if (!e.dataset.tabSeen) e.dataset.tabSeen = String(Math.random());
      return {
        key: e.dataset.tabSeen,
        tag: e.tagName.toLowerCase(),
        id: e.id,
        href: e.getAttribute('href'),
        text: (e.textContent || '').trim().slice(0, 60),
        name: e.getAttribute('name'),
        type: e.getAttribute('type'),
        inLang: !!e.closest('.lang'),
      };
    });
    if (!info) continue;
    if (seen.has(info.key)) return visited;
    seen.add(info.key);
    visited.push(info);
  }
  return visited;
}

// ---- a test file's world --------------------------------------------------------------------

/** The demo world and the browser of the running test file (live bindings: set by useWorld). */
export let world;
export let browser;

/**
 * Starts the world and a browser before the file's tests and stops both after them; the
 * file reads them through the `world` and `browser` bindings it imports from here.
 */
export function useWorld() {
  before(async () => {
    [world, browser] = await Promise.all([startWorld(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await world?.stop();
  });
}

// ---- issue 16: a plain static host on another origin ----------------------------------------

/**
 * A plain static web server on another origin (`http://localhost:PORT`): GET serves the files
 * of `dir` (`/` is index.html; media types by extension) and the pages set with
 * `setPage(path, html)`, each answer with `headers` added (a partner's CSP, say). No
 * Hallmark code behind it: what the standalone verifier and the embed component face.
 */
export async function startStaticSite(dir = null, headers = {}) {
  const { readFile } = await import('node:fs/promises');
  const types = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.wasm': 'application/wasm',
    '.css': 'text/css; charset=utf-8',
  };
  const pages = new Map();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let name = decodeURIComponent(url.pathname);
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed');
    if (pages.has(name)) return send(200, types['.html'], pages.get(name));
    if (name.endsWith('/')) name += 'index.html';
    const file = dir && path.join(dir, path.normalize(name).replace(/^(\.\.[/\\])+/, ''));
    if (!file || !file.startsWith(dir)) return send(404, 'text/plain', 'not found');
    try {
      const body = await readFile(file);
      send(200, types[path.extname(file)] || 'application/octet-stream', body);
    } catch {
      send(404, 'text/plain', 'not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    base: `http://localhost:${port}`,
    setPage(route, html) {
      pages.set(route, html);
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

// ---- the in-browser verifier (issue 16) ----------------------------------------------------

/**
 * `hallmark verify --json --at AT --trust …  --insecure-host … URL`: the report line parsed,
 * without `input` and `successor` (what the in-browser verifier answers).
 */
export function cliReport(url, { at, trust = [], insecureHosts = [] }) {
  const args = ['verify', '--json', '--at', at];
  for (const t of trust) args.push('--trust', t);
  for (const h of insecureHosts) args.push('--insecure-host', h);
  args.push(url);
  let out;
  try {
    out = execFileSync(HALLMARK, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    // A badge that fails exits non-zero; its report is on stdout all the same.
    if (!error.stdout) throw error;
    out = error.stdout;
  }
  const report = JSON.parse(out.trim().split('\n')[0]);
  delete report.input;
  delete report.successor;
  return report;
}

/**
 * Runs verify-browser.js's `verifyCredential` in `page` (on a page of a service serving
 * /assets/) on the badge at `url` (fetched as JSON by the browser) with `options`
 * ({at, trust, insecureHosts}); its {report, standing, build, timings}.
 */
export function browserVerify(page, url, options) {
  return page.evaluate(
    async ({ url, options }) => {
      const m = await import('/assets/verify-browser.js');
      const text = await m.fetchCredential(url);
      const { report, standing, build, timings } = await m.verifyCredential(text, options);
      return { report, standing, build, timings };
    },
    { url, options },
  );
}
