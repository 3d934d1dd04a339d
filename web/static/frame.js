// The <hallmark-badge> component's verification frame (GET /embed/frame on the issuer): a
// partner's page may forbid compiling WebAssembly (a CSP without 'wasm-unsafe-eval'), so the
// component loads this page, from the issuer's origin and under the issuer's CSP, in a
// hidden iframe. It verifies the badge named in its fragment with verify-browser.js and posts
// the outcome to the embedding page:
//
//   /embed/frame#url=BADGE_URL&id=NONCE
//   → parent.postMessage({type: 'hallmark-badge', id, standing, partner, tier, issuer,
//                         validUntil, checks: [{check, outcome, code}], build, at}, '*')
//
// The message holds only what the badge and its issuer publish, so any page may read it.
// Trusted: the issuer serving this frame only (its DID is the page's `data-issuer`): the
// embedding page cannot add issuers, so it cannot have its own badges called verified here.
// An issuer served over plain http (a demo, a test) is fetched over http for its own host.

import { fetchCredential, insecure, verifyCredential } from './verify-browser.js';

function entries(hash) {
  const out = new Map();
  for (const part of hash.replace(/^#/, '').split('&')) {
    const at = part.indexOf('=');
    if (at < 1) continue;
    const key = part.slice(0, at);
    let value = part.slice(at + 1);
    try {
      value = decodeURIComponent(value);
    } catch {
      continue;
    }
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

async function check() {
  const params = entries(location.hash);
  const url = params.get('url')?.[0];
  const id = params.get('id')?.[0] ?? '';
  const message = { type: 'hallmark-badge', id };
  if (!url || !/^https?:\/\//.test(url)) {
    return { ...message, standing: 'unknown', error: 'no badge URL (http or https) in the frame URL' };
  }
  const hosts = location.protocol === 'http:' ? [location.host] : [];
  const trust = [document.body.dataset.issuer].filter(Boolean);
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  try {
    const text = await fetchCredential(url, insecure(fetch.bind(globalThis), hosts));
    const { report, standing, build } = await verifyCredential(text, { at, trust, insecureHosts: hosts });
    const summary = report.summary ?? {};
    return {
      ...message,
      standing,
      partner: summary.subject?.name ?? null,
      tier: summary.tier?.name ?? null,
      issuer: summary.issuer?.name ?? summary.issuer?.id ?? null,
      validUntil: summary.validUntil ?? null,
      checks: (report.checks ?? []).map(({ check, outcome, code }) => ({ check, outcome, code })),
      build,
      at,
    };
  } catch (error) {
    return { ...message, standing: 'unknown', error: error.message };
  }
}

if (window.parent !== window) {
  check().then((message) => window.parent.postMessage(message, '*'));
}
