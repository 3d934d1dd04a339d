// Hallmark's verifier in the browser (issue 16): the very pipeline `hallmark verify` runs,
// compiled to WebAssembly (crates/wasm), driven from here. This module does the I/O: it asks
// the WebAssembly which documents a badge needs (its issuer's DID document, its status lists,
// then the lists' own keys), fetches each once with the browser's fetch, and hands them over;
// the WebAssembly does every check and answers the report `hallmark verify --json` prints.
//
// Two builds sit beside this file: hallmark_verify_jcs.js (eddsa-jcs-2022 only, the smaller
// download) and hallmark_verify_rdfc.js (eddsa-rdfc-2022 too); the larger one is loaded only
// when a proof of the badge or of one of its status lists needs it.
//
//   import { verifyCredential } from './verify-browser.js';
//   const { report, standing, build, timings } = await verifyCredential(text, { trust: [did] });

/** The most bytes of one fetched document (as the server's fetcher: 1 MiB). */
export const MAX_DOCUMENT_BYTES = 1 << 20;
/** How long one fetch may take, ms. */
export const FETCH_TIMEOUT_MS = 10_000;
/** The most distinct URLs one verification fetches (as the server's fetcher,
 * FetchPolicy::max_fetches): a badge may name hundreds of status lists; those past the bound
 * stay undecided, with the server's words. */
export const MAX_FETCHES = 32;
/** Rounds of fetching: the badge's documents, its lists', theirs. */
const MAX_ROUNDS = 4;
/** What the server's fetcher asks for. */
const ACCEPT = 'application/json, application/ld+json, application/vc+ld+json, application/vc';

const builds = new Map();

/**
 * The build `name` ('jcs' or 'rdfc'), loaded and instantiated once per page.
 * @returns {Promise<object>} the module: documentsNeeded, verify, unbake, supportsRdfc.
 */
export function load(name) {
  if (name !== 'jcs' && name !== 'rdfc') throw new Error(`no build ${name}`);
  if (!builds.has(name)) {
    const promise = (async () => {
      const module = await import(new URL(`./hallmark_verify_${name}.js`, import.meta.url).href);
      await module.default();
      return module;
    })();
    // A failed load (offline, blocked) may be tried again.
    promise.catch(() => builds.delete(name));
    builds.set(name, promise);
  }
  return builds.get(name);
}

/** Whether any proof in `value` (a credential, a presentation and the credentials it holds,
 * a status list) is eddsa-rdfc-2022: whatever suite the other proofs name. */
function usesRdfc(value, depth = 0) {
  if (!value || typeof value !== 'object' || depth > 4) return false;
  if ([].concat(value.proof ?? []).some((p) => p && typeof p === 'object' && p.cryptosuite === 'eddsa-rdfc-2022')) {
    return true;
  }
  return [].concat(value.verifiableCredential ?? []).some((c) => usesRdfc(c, depth + 1));
}

/** As hallmark_core::presentation::is_presentation: `type` includes VerifiablePresentation,
 * or, lacking VerifiableCredential, it holds credentials or names a holder. */
function isPresentation(value) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const types = [].concat(value.type ?? []);
  return (
    types.includes('VerifiablePresentation') ||
    (!types.includes('VerifiableCredential') &&
      ['verifiableCredential', 'https://www.w3.org/2018/credentials#verifiableCredential', 'holder'].some(
        (k) => Object.hasOwn(value, k),
      ))
  );
}

/** What the jcs-only build says of a proof it cannot check (JsonLdError::NotBuiltIn). */
const NOT_BUILT_IN = 'eddsa-rdfc-2022 needs the build with the rdfc feature';

/** `credential` (text, or bytes as presented) as bytes: what the pipeline reads. */
function asBytes(credential) {
  if (typeof credential === 'string') return new TextEncoder().encode(credential);
  if (credential instanceof ArrayBuffer) return new Uint8Array(credential);
  return credential;
}

/** Bytes as base64 (how documents cross into the WebAssembly, byte for byte). */
function toBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Parsed JSON of bytes or text, leniently (only to choose a build), or null. */
function parsed(value) {
  try {
    const text = typeof value === 'string' ? value : new TextDecoder().decode(value);
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The body of `response` as bytes, or null once it is over `max` bytes (reading stops). */
async function readAtMost(response, max) {
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    return bytes.length > max ? null : bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/**
 * The body of `url` as {bytes} (exactly as sent: no text decoding, which would drop a byte
 * order mark or replace invalid UTF-8), or {error} saying why there is none (a refused or
 * unreachable document leaves its check undecided, as on the server).
 */
export async function fetchDocument(url, fetchImpl = fetch) {
  // javascript:, data:, blob:, file: … are no badge's documents (and the page's CSP would
  // report the attempt as a violation).
  if (!/^https?:\/\//i.test(url)) return { error: `${url}: only http(s) URLs are fetched` };
  try {
    const response = await fetchImpl(url, {
      headers: { accept: ACCEPT },
      credentials: 'omit',
      redirect: 'follow',
      cache: 'no-store',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) return { error: `${url} answered ${response.status}` };
    const length = Number(response.headers.get('content-length'));
    if (length > MAX_DOCUMENT_BYTES) {
      return { error: `${url} is ${length} bytes, over the ${MAX_DOCUMENT_BYTES}-byte limit` };
    }
    // Read as it arrives, and stop past the limit: a body with no (or a false) length, or a
    // compressed one, may be endless; reading it whole first would hold it all in memory.
    const bytes = await readAtMost(response, MAX_DOCUMENT_BYTES);
    if (!bytes) {
      return { error: `${url} is over the ${MAX_DOCUMENT_BYTES}-byte limit` };
    }
    return { bytes, url: response.url || url };
  } catch (error) {
    return { error: `${url} could not be fetched: ${error.message}` };
  }
}

/**
 * Why a document at `url` is not fetched, in the server's fetcher's words, or null: it
 * fetches https only (a badge may name an http:// status list, or a server redirect there;
 * the browser would follow where `hallmark verify` refuses). `hosts` are the insecure hosts,
 * reached over http.
 */
function refused(url, hosts) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return `refused to fetch ${url}: not a URL`;
  }
  if (hosts.includes(parsed.host) && /^https?:$/.test(parsed.protocol)) return null;
  if (parsed.protocol !== 'https:') {
    return `refused to fetch ${url}: only https is fetched, not ${parsed.protocol.replace(/:$/, '')}`;
  }
  // Nor to loopback, private, link-local or other special addresses (the URL parser has
  // already written 127.1 or 0x7f000001 as 127.0.0.1). A name that resolves to one cannot be
  // told here: the browser does not say where a name leads.
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (/^localhost$|\.localhost$/i.test(host) || specialV4(host) || specialV6(host)) {
    return `refused to fetch ${url}: ${host} is not a public address`;
  }
  return null;
}

/** Whether `host` is an IPv4 address outside the public unicast space (IANA special-purpose). */
function specialV4(host) {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (!m) return false;
  const [a, b, c] = m.slice(1).map(Number);
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 192 && b === 88 && c === 99) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  );
}

/** Whether `host` is an IPv6 address outside the global unicast space, or one that embeds
 * an IPv4 address (mapped, NAT64, 6to4, Teredo: judged as not public). */
function specialV6(host) {
  if (!host.includes(':')) return false;
  const h = host.toLowerCase();
  return (
    h === '::' || h === '::1' || h.startsWith('::ffff:') || h.startsWith('64:ff9b:') ||
    /^f[c-d]/.test(h) || /^fe[89ab]/.test(h) || h.startsWith('ff') ||
    h.startsWith('2001:db8:') || h.startsWith('2001:0:') || h.startsWith('2002:') ||
    !/^[23]/.test(h)
  );
}

/** `fetchImpl`, fetching https://HOST:PORT/… of `hosts` over plain http (the documents keep
 * the URL the badge names). */
export function insecure(fetchImpl, hosts = []) {
  if (!hosts.length) return fetchImpl;
  return (url, init) => {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:' && hosts.includes(parsed.host)) parsed.protocol = 'http:';
    return fetchImpl(parsed.href, init);
  };
}

/**
 * Verifies a badge in this browser.
 *
 * @param {string|Uint8Array|ArrayBuffer} credential the credential: its bytes as presented
 *   (from `fetchCredential`, a file), or text (pasted; encoded as UTF-8).
 * @param {object} [options]
 * @param {string} [options.at] the instant of the time checks, RFC 3339 (default: now).
 * @param {string[]} [options.trust] trusted issuers (DIDs or URLs), as `--trust`; none: the
 *   trust check warns, as `hallmark verify` without `--trust`.
 * @param {number} [options.clockSkew] tolerated clock skew, seconds (default 300).
 * @param {string[]} [options.insecureHosts] HOST:PORT whose https:// URLs are fetched over
 *   plain http, as `hallmark verify --insecure-host` (a demo or test issuer on loopback: its
 *   did:web names https). Never for production hosts.
 * @param {Function} [options.fetch] the fetch to use (default: the browser's).
 * @returns {Promise<{report: object, standing: string, build: string, fetched: string[],
 *   timings: {load: number, fetch: number, verify: number, total: number}}>} the report as
 *   `hallmark verify --json` prints it, the state in one word, the build that ran, the URLs
 *   fetched, and where the time went (ms).
 */
export async function verifyCredential(credential, options = {}) {
  const started = performance.now();
  const timings = { load: 0, fetch: 0, verify: 0, total: 0 };
  const insecureHosts = options.insecureHosts ?? [];
  const fetchImpl = insecure(options.fetch ?? fetch.bind(globalThis), insecureHosts);
  const settings = JSON.stringify({
    at: options.at ?? new Date().toISOString(),
    trust: options.trust ?? [],
    clock_skew: options.clockSkew ?? 300,
  });
  credential = asBytes(credential);
  // What each URL answered: {bytes} or {error}; and its JSON form for the WebAssembly, kept
  // up to date so each document is encoded once.
  const fetched = {};
  const wire = {};
  let documents = '{}';
  let made = 0;
  const fetchAll = async (urls) => {
    const t = performance.now();
    const fresh = [...new Set(urls)].filter((url) => !(url in fetched));
    const answers = await Promise.all(
      fresh.map((url) => {
        if (made >= MAX_FETCHES) {
          return {
            error: `${url} was not fetched: one verification fetches at most ${MAX_FETCHES} distinct URLs (a presentation and every credential in it together)`,
          };
        }
        const refusal = refused(url, insecureHosts);
        if (refusal) return { error: refusal };
        made += 1;
        return fetchDocument(url, fetchImpl).then((answer) => {
          // Redirected (the browser follows any): the server's fetcher reaches https only.
          const moved = answer.bytes && answer.url !== url && refused(answer.url, insecureHosts);
          return moved ? { error: moved } : answer;
        });
      }),
    );
    fresh.forEach((url, i) => {
      fetched[url] = answers[i];
      wire[url] = answers[i].error ? { error: answers[i].error } : { base64: toBase64(answers[i].bytes) };
    });
    documents = JSON.stringify(wire);
    timings.fetch += performance.now() - t;
    return fresh.length;
  };
  const loaded = async (name) => {
    const t = performance.now();
    const module = await load(name);
    timings.load += performance.now() - t;
    return module;
  };

  const value = parsed(credential);
  if (isPresentation(value)) {
    // `hallmark verify` verifies a presentation as one (the holder's proof, then each
    // credential); the WebAssembly verifies credentials only, and would judge it as a
    // malformed credential: refuse it rather than answer another report.
    throw new Error(
      'this is a verifiable presentation, not a credential: this page verifies credentials; use hallmark verify or the verifier service',
    );
  }
  let build = usesRdfc(value) ? 'rdfc' : 'jcs';
  let wasm = await loaded(build);
  // Plan: fetch what the badge names, then what its status lists name.
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const needed = JSON.parse(wasm.documentsNeeded(credential, documents));
    if ((await fetchAll(needed)) === 0) break;
  }
  const needsRdfc = () =>
    Object.values(fetched).some((d) => d.bytes && usesRdfc(parsed(d.bytes)));
  if (build === 'jcs' && needsRdfc()) {
    build = 'rdfc';
    wasm = await loaded(build);
  }
  // Verify; fetch anything the plan missed, and verify again. Should the jcs-only build meet
  // an eddsa-rdfc-2022 proof all the same (in a document fetched only now, or where the
  // guess above does not look), it verifies again with the rdfc build: never an rdfc proof
  // judged by the build that cannot check it.
  let answer;
  for (let round = 0; round < MAX_ROUNDS + 1; round++) {
    const t = performance.now();
    answer = JSON.parse(wasm.verify(credential, documents, settings));
    timings.verify += performance.now() - t;
    const more = round < MAX_ROUNDS ? await fetchAll(answer.missing) : 0;
    if (build === 'jcs' && (needsRdfc() || JSON.stringify(answer.report).includes(NOT_BUILT_IN))) {
      build = 'rdfc';
      wasm = await loaded(build);
      continue;
    }
    if (more === 0) break;
  }
  timings.total = performance.now() - started;
  return {
    report: answer.report,
    standing: answer.standing,
    build,
    fetched: Object.keys(fetched),
    timings,
  };
}

/** Fetches the badge at `url` (its verify page's URL gives the credential): its bytes. */
export async function fetchCredential(url, fetchImpl = fetch.bind(globalThis)) {
  const answer = await fetchDocument(url, fetchImpl);
  if (answer.error) throw new Error(answer.error);
  return answer.bytes;
}

/**
 * The credential baked into a PNG or SVG badge image (Open Badges 3.0 §5.3) as JSON text, or
 * null when `bytes` are no image. Throws naming why an image holds no readable credential.
 */
export async function unbake(bytes) {
  const wasm = await load('jcs');
  return wasm.unbake(bytes) ?? null;
}
