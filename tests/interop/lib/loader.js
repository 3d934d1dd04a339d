// An offline JSON-LD document loader: the contexts Hallmark pins (crates/core/contexts, read
// from their files), did:key documents derived locally, and the files given to it; every other
// URL is refused. Nothing is fetched.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const here = dirname(fileURLToPath(import.meta.url));
const contextDir = join(here, '..', '..', '..', 'crates', 'core', 'contexts');

// The pinned set: URL -> file, as in crates/core/src/jsonld.rs (PINNED).
export const PINNED = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://www.w3.org/ns/credentials/examples/v2': 'credentials-examples-v2.jsonld',
  'https://www.w3.org/2018/credentials/v1': 'credentials-v1.jsonld',
  'https://www.w3.org/ns/credentials/status/v1': 'credentials-status-v1.jsonld',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://www.w3.org/ns/cid/v1': 'cid-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'did-v1.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json': 'ob-v3p0-context-3.0.2.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json': 'ob-v3p0-context-3.0.1.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context.json': 'ob-v3p0-context.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json': 'ob-v3p0-extensions.json',
};

const contexts = new Map(Object.entries(PINNED).map(
  ([url, file]) => [url, JSON.parse(readFileSync(join(contextDir, file), 'utf8'))]));

/** did:key:z6Mk… (or one of its key URLs) as a DID document / verification method. */
async function didKey(url) {
  const [did, fragment] = url.split('#');
  const key = did.slice('did:key:'.length);
  const method = {
    '@context': 'https://w3id.org/security/multikey/v1',
    id: `${did}#${key}`,
    type: 'Multikey',
    controller: did,
    publicKeyMultibase: key,
  };
  // Refuses what is not an Ed25519 Multikey.
  await Ed25519Multikey.from(method);
  if(fragment !== undefined) {
    if(fragment !== key) {
      throw new Error(`${url}: not the key of ${did}`);
    }
    return method;
  }
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [method],
    assertionMethod: [method.id],
    authentication: [method.id],
  };
}

/**
 * A documentLoader for jsonld.js / @digitalbazaar/vc. `extra` maps URLs to documents (e.g. an
 * https issuer profile and its keys); a key URL `X#frag` is served from the document at X.
 */
export function offlineLoader(extra = {}) {
  const loaded = [];
  const loader = async url => {
    loaded.push(url);
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
    }
    if(url.startsWith('did:key:')) {
      return {contextUrl: null, documentUrl: url, document: await didKey(url)};
    }
    const [base] = url.split('#');
    if(extra[url] !== undefined) {
      return {contextUrl: null, documentUrl: url, document: extra[url]};
    }
    if(url.includes('#') && extra[base] !== undefined) {
      const method = (extra[base].verificationMethod || []).find(m => m.id === url);
      if(method) {
        return {
          contextUrl: null, documentUrl: url,
          document: {'@context': 'https://w3id.org/security/multikey/v1', ...method},
        };
      }
    }
    throw new Error(`offline document loader: refusing ${url} (not pinned, never fetched)`);
  };
  loader.loaded = loaded;
  return loader;
}
