// Benchmark of the in-browser verifier (issue 16; not a test: it prints figures and asserts
// only that each run answered the expected state). A demo issuer signing eddsa-rdfc-2022 and
// a second one signing eddsa-jcs-2022 each issue a badge; headless Chromium verifies each:
//   cold: a fresh browser context (empty HTTP cache), the page of the issuer opened, then
//         import of verify-browser.js + fetching the badge + verifyCredential (the build's
//         download and compile, the DID document's and status lists' fetches, the checks);
//   warm: verifyCredential again in the same page (module compiled; documents fetched again).
// Prints the median (and min/max) over RUNS fresh contexts of: total, and the split load
// (module + WebAssembly download and instantiate), fetch (badge and documents), verify
// (inside the WebAssembly).
//
// Usage: node tests/browser/bench-browser.mjs [RUNS, default 10]   (scripts/bench-browser.sh)
// BENCH_CHROMIUM_FLAGS: more Chromium flags, for experiments.
import { CHROMIUM_ARGS, launchBrowser, startIssuer } from './harness.mjs';

const runs = Number(process.argv[2] || 10);
// More Chromium flags for an experiment, e.g. BENCH_CHROMIUM_FLAGS=--js-flags=--no-wasm-lazy-compilation
CHROMIUM_ARGS.push(...(process.env.BENCH_CHROMIUM_FLAGS || '').split(' ').filter(Boolean));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** One cold and one warm verification in a fresh context; their timings (ms). With
 * `memory` (URL → body), those documents are answered from this process (context.route)
 * instead of the issuer. Measured: no faster — each routed request crosses the DevTools
 * protocol, which costs about what the local issuer does — so "fetch" is mostly round trips. */
async function once(browser, issuer, badge, hosts, memory = null) {
  const context = await browser.newContext();
  if (memory) {
    await context.route(
      (url) => memory.has(url.href),
      (route) =>
        route.fulfill({ status: 200, contentType: 'application/json', body: memory.get(route.request().url()) }),
    );
  }
  const page = await context.newPage();
  await page.goto(`${issuer.base}/verify`);
  const result = await page.evaluate(
    async ({ url, trust, hosts }) => {
      const verifyOnce = async (m) => {
        const t0 = performance.now();
        const text = await m.fetchCredential(url);
        const badgeFetch = performance.now() - t0;
        const r = await m.verifyCredential(text, { trust, insecureHosts: hosts });
        return { standing: r.standing, build: r.build, fetched: r.fetched, badgeFetch, ...r.timings };
      };
      const t0 = performance.now();
      const m = await import('/assets/verify-browser.js');
      const importMs = performance.now() - t0;
      const cold = await verifyOnce(m);
      cold.load += importMs;
      cold.fetch += cold.badgeFetch;
      cold.total = performance.now() - t0;
      const t1 = performance.now();
      const warm = await verifyOnce(m);
      warm.fetch += warm.badgeFetch;
      warm.total = performance.now() - t1;
      return { cold, warm };
    },
    { url: badge.url, trust: [issuer.issuerId], hosts },
  );
  await context.close();
  return result;
}

/** The verify page itself in a fresh context: ms from navigation start to DOMContentLoaded
 * and to the browser section saying it agrees. */
async function pageOnce(browser, badge) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(badge.url);
  await page.waitForSelector('#browser-check[data-browser]:not([data-browser="running"])');
  const r = await page.evaluate(() => ({
    outcome: document.getElementById('browser-check').dataset.browser,
    filled: performance.now(),
    dom: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
  }));
  await context.close();
  if (r.outcome !== 'agrees') throw new Error(`the page's browser check ${r.outcome}`);
  return r;
}

function line(name, samples) {
  const fmt = (key) => {
    const xs = samples.map((s) => s[key]);
    return `${key} ${median(xs).toFixed(1).padStart(6)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  };
  console.log(`${name.padEnd(26)} ${['total', 'load', 'fetch', 'verify'].map(fmt).join('  ')}`);
}

const [rdfcIssuer, jcsIssuer, browser] = await Promise.all([
  startIssuer(),
  startIssuer({ HALLMARK_CRYPTOSUITE: 'eddsa-jcs-2022' }),
  launchBrowser(),
]);
try {
  const hosts = [rdfcIssuer.address, jcsIssuer.address];
  console.log(`Chromium ${browser.version()}, ${runs} fresh contexts each; ms, median (min–max)`);
  for (const [suite, issuer] of [['rdfc', rdfcIssuer], ['jcs', jcsIssuer]]) {
    const badge = await issuer.badge(`Bench ${suite} Ltd`, {});
    // One run first, not counted: the issuer's own first answers (its caches) are not the
    // browser's cost. Its documents are kept for the in-memory runs.
    const first = await once(browser, issuer, badge, hosts);
    const memory = new Map();
    for (const url of [badge.url, ...first.cold.fetched]) {
      const plain = url.replace(/^https:/, 'http:');
      const response = await fetch(plain, { headers: { accept: 'application/json' } });
      memory.set(plain, await response.text());
    }
    for (const [label, served] of [['', null], [' (in memory)', memory]]) {
      const cold = [];
      const warm = [];
      for (let i = 0; i < runs; i++) {
        const r = await once(browser, issuer, badge, hosts, served);
        if (r.cold.standing !== 'valid' || r.warm.standing !== 'valid') {
          throw new Error(`${suite}: expected valid, got ${r.cold.standing}/${r.warm.standing}`);
        }
        if (r.cold.build !== suite) throw new Error(`${suite}: ran the ${r.cold.build} build`);
        cold.push(r.cold);
        warm.push(r.warm);
      }
      line(`${suite} cold${label}`, cold);
      line(`${suite} warm${label}`, warm);
    }
    if (suite === 'rdfc') {
      const pages = [];
      for (let i = 0; i < runs; i++) pages.push(await pageOnce(browser, badge));
      const m = (k) => median(pages.map((p) => p[k])).toFixed(1);
      console.log(`rdfc verify page, fresh context: DOMContentLoaded ${m('dom')} ms, section filled ${m('filled')} ms after navigation start (medians)`);
    }
  }
} finally {
  await browser.close();
  await Promise.allSettled([rdfcIssuer.stop(), jcsIssuer.stop()]);
}
