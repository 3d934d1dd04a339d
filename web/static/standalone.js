// The standalone verifier page (standalone.html; `hallmark web export DIR` writes it as
// index.html): verifies a badge entirely in this browser with verify-browser.js, with no
// Hallmark server behind the page. The badge comes from a URL, a paste, a file (JSON, or a
// baked PNG/SVG image), or the page's fragment, which the host never sees:
//
//   #url=URL            a badge URL (fetched by this browser)
//   #vc=B64URL          the badge itself: base64url (RFC 4648 §5, padding optional) of its
//                       JSON text in UTF-8; percent-encoded JSON (#vc=%7B…) is accepted too
//   &trust=DID|URL      a trusted issuer (repeatable); none: the trust check warns
//   &insecure=HOST:PORT fetch https://HOST:PORT/… over plain http, as `hallmark verify
//                       --insecure-host` (tests and demos on loopback only; repeatable)
//
// A page itself served over plain http (the demo's /verifier) also fetches its own host over
// http, as the component's frame does: the demo issuer's badges verify there with no fragment,
// and a page any network attacker could rewrite loses nothing by it.
// Everything shown is set with textContent / setAttribute: a badge's texts are data.

import { STATES } from './states.js';
import { fetchCredential, insecure, unbake, verifyCredential } from './verify-browser.js';

const CHECKS = {
  parse: 'Format',
  proof: 'Signature',
  issuer: 'Issuer key',
  trust: 'Trusted issuer',
  validity: 'Validity dates',
  status: 'Revocation and suspension',
  holder: 'Holder',
  challenge: 'Challenge',
};
const OUTCOMES = {
  passed: 'Passed',
  failed: 'Failed',
  unknown: 'Could not tell',
  warning: 'Warning',
  skipped: 'Skipped',
};

const $ = (id) => document.getElementById(id);
let insecureHosts = [];
/** The trusted issuers the page's link named (`trust=`): shown as such, never silently. */
let linkTrust = [];
/** `insecure=` hosts are taken for loopback only (a demo or test issuer on this machine):
 * for any other host a link could have the page fetch an issuer's keys over plain http. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d{1,5})?$/i;
let running = 0;

/** The fragment's entries, in order: [[key, value]…]; values percent-decoded ('+' stays). */
export function fragmentEntries(hash) {
  const entries = [];
  for (const part of hash.replace(/^#/, '').split('&')) {
    if (!part) continue;
    const at = part.indexOf('=');
    const key = at < 0 ? part : part.slice(0, at);
    let value = at < 0 ? '' : part.slice(at + 1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // A lone % is kept as written.
    }
    entries.push([key, value]);
  }
  return entries;
}

/** The credential's JSON text from a `vc=` value: JSON as is, else base64url of UTF-8. */
export function decodeVc(value) {
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) return trimmed;
  const b64 = trimmed.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(b64)) throw new Error('the #vc= value is neither JSON nor base64url');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** `text` (JSON) as a `#vc=` value: base64url without padding. */
export function encodeVc(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function trusted() {
  return $('trust').value.split(/\s+/).filter(Boolean);
}

function show(id, on) {
  $(id).hidden = !on;
}

function fail(message) {
  show('outcome', false);
  $('progress').textContent = '';
  $('error').textContent = message;
  show('error', true);
}

/** Verifies the credential that `source()` resolves to (text or bytes) and shows the report. */
async function run(what, source) {
  const ticket = ++running;
  show('result', true);
  show('error', false);
  show('outcome', false);
  $('result').removeAttribute('data-state');
  $('progress').textContent = `Verifying ${what}…`;
  try {
    const text = await source();
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const trust = trusted();
    const answer = await verifyCredential(text, { at, trust, insecureHosts });
    if (ticket !== running) return;
    render(answer, at, trust);
  } catch (error) {
    if (ticket === running) fail(`Could not verify ${what}: ${error.message}`);
  }
}

function render({ report, standing, build, timings }, at, trust) {
  const state = Object.hasOwn(STATES, standing) ? standing : 'unknown';
  const { word, lead } = STATES[state];
  const summary = report.summary ?? {};
  const verdict = $('verdict');
  verdict.className = `verdict state-${state}`;
  verdict.dataset.state = state;
  $('verdict-glyph').setAttribute('d', STATES[state].glyph);
  $('verdict-word').textContent = word;
  $('verdict-lead').textContent = lead;
  const trustCheck = (report.checks ?? []).find((c) => c.check === 'trust');
  show('unvouched', trust.length === 0 && trustCheck?.outcome === 'warning');
  // A link may set the trusted issuers: whoever made it chose them, not the reader. Say so.
  const fromLink = trust.filter((t) => linkTrust.includes(t));
  $('link-trust').textContent = fromLink.length
    ? `The link that opened this page set the trusted issuers: ${fromLink.join(', ')}. Anyone can make such a link: rely on this result only if you trust that issuer yourself.`
    : '';
  show('link-trust', fromLink.length > 0);

  $('partner-name').textContent = summary.subject?.name ?? '—';
  $('tier-name').textContent = summary.tier?.name ?? summary.name ?? '—';
  const issuer = summary.issuer ?? {};
  $('issuer').textContent = issuer.name && issuer.id ? `${issuer.name} (${issuer.id})` : issuer.name ?? issuer.id ?? '—';
  $('expires-label').textContent = state === 'expired' ? 'Expired on' : 'Valid until';
  $('expires').textContent = summary.validUntil ?? 'no end date';

  const body = $('checks').tBodies[0];
  body.replaceChildren();
  for (const check of report.checks ?? []) {
    const row = body.insertRow();
    row.dataset.check = check.check;
    row.dataset.outcome = check.outcome;
    const name = document.createElement('th');
    name.scope = 'row';
    name.textContent = CHECKS[check.check] ?? check.check;
    row.append(name);
    const outcome = row.insertCell();
    outcome.className = `outcome-${check.outcome}`;
    outcome.textContent = OUTCOMES[check.outcome] ?? check.outcome;
    if (check.code) {
      const code = document.createElement('code');
      code.textContent = check.code;
      outcome.append(' ', code);
    }
    row.insertCell().textContent = check.detail ?? '';
  }
  $('checked-at').textContent =
    `Verified in this browser at ${at} (build: ${build}, ${Math.round(timings.total)} ms)` +
    (insecureHosts.length ? `; fetched over plain http: ${insecureHosts.join(', ')}` : '') +
    '.';
  $('result').dataset.state = state;
  $('result').dataset.build = build;
  $('progress').textContent = '';
  show('outcome', true);
  // On a narrow screen the result is below the forms: bring it into view.
  $('result').scrollIntoView({ block: 'start' });
}

async function fromFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const baked = await unbake(bytes);
  if (baked) return baked;
  // As presented, byte for byte: the pipeline says what is wrong with bytes that are no JSON.
  return bytes;
}

function fromUrl(url) {
  return () => fetchCredential(url, insecure(fetch.bind(globalThis), insecureHosts));
}

/** Applies the fragment: trust and insecure entries, then the badge it names, if any. */
function applyFragment() {
  const entries = fragmentEntries(location.hash);
  const trust = entries.filter(([k]) => k === 'trust').map(([, v]) => v).filter(Boolean);
  if (trust.length) $('trust').value = trust.join('\n');
  // Kept for the page's life: a later fragment without trust= leaves the field as it was.
  linkTrust = [...new Set([...linkTrust, ...trust])];
  insecureHosts = entries
    .filter(([k]) => k === 'insecure')
    .map(([, v]) => v)
    .filter((v) => LOOPBACK.test(v));
  if (location.protocol === 'http:' && !insecureHosts.includes(location.host)) insecureHosts.push(location.host);
  const vc = entries.find(([k]) => k === 'vc');
  const url = entries.find(([k]) => k === 'url');
  if (vc) {
    run('the badge in the link', async () => decodeVc(vc[1]));
  } else if (url) {
    $('badge-url').value = url[1];
    run(url[1], fromUrl(url[1]));
  }
}

function start() {
  if (typeof WebAssembly !== 'object') {
    $('unsupported').textContent = 'This browser cannot run WebAssembly, so it cannot verify badges here.';
    show('unsupported', true);
    return;
  }
  $('by-url').addEventListener('submit', (event) => {
    event.preventDefault();
    const url = $('badge-url').value.trim();
    if (!url) return fail('Give a badge URL first.');
    run(url, fromUrl(url));
  });
  $('by-paste').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('badge-json').value;
    if (!text.trim()) return fail("Paste a badge's JSON first.");
    run('the pasted badge', async () => text);
  });
  $('badge-file').addEventListener('change', () => {
    const file = $('badge-file').files?.[0];
    if (file) run(file.name, () => fromFile(file));
  });
  window.addEventListener('hashchange', applyFragment);
  applyFragment();
  document.documentElement.dataset.ready = 'true';
}

start();
