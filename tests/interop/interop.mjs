// Hallmark interoperability peers: Digital Bazaar's @digitalbazaar/vc (with data-integrity and
// the eddsa-rdfc-2022 / eddsa-jcs-2022 cryptosuites) and Digital Credentials' verifier-core.
//
//   node interop.mjs verify [--resolve=URL=FILE]... valid|invalid FILE...
//       one JSON line per file with what each peer says; exits 1 when any peer disagrees with
//       the expectation (valid: every peer verifies it; invalid: none does)
//   node interop.mjs issue DIR
//       credentials signed by the peers (OB 3.0 with eddsa-rdfc-2022 and eddsa-jcs-2022, a
//       VC 1.1 badge with eddsa-rdfc-2022), written to DIR; prints the signing did:key
//
// Offline: contexts come from Hallmark's pinned files (lib/loader.js), did:key is derived
// locally, and fetch() is replaced by one that refuses every request.
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as rdfc} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {createSignCryptosuite, createVerifyCryptosuite} from
  '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {offlineLoader} from './lib/loader.js';

// The OB 3.0 JSON Schema that verifier-core checks badges against, served from Hallmark's
// pinned copy; every other request is refused.
const OB3_SCHEMA = readFileSync(new URL(
  '../../crates/core/schemas/ob_v3p0_achievementcredential_schema.json', import.meta.url), 'utf8');
globalThis.fetch = async url => {
  const u = String(url);
  if(u.startsWith('https://purl.imsglobal.org/spec/ob/v3p0/schema/json') &&
    u.endsWith('/ob_v3p0_achievementcredential_schema.json')) {
    return new Response(OB3_SCHEMA, {headers: {'content-type': 'application/json'}});
  }
  throw new Error(`interop tests are offline: refusing to fetch ${u}`);
};

const [command, ...args] = process.argv.slice(2);

/** The https issuer profiles given as --resolve URL=FILE, like `hallmark verify --resolve`. */
function resolves(list) {
  const extra = {};
  const files = [];
  for(const a of list) {
    if(a.startsWith('--resolve=')) {
      const [url, file] = a.slice('--resolve='.length).split(/=(.*)/s);
      extra[url] = JSON.parse(readFileSync(file, 'utf8'));
    } else {
      files.push(a);
    }
  }
  return {extra, files};
}

async function digitalBazaar(credential, extra) {
  const suite = [
    new DataIntegrityProof({cryptosuite: rdfc}),
    new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()}),
  ];
  const result = await vc.verifyCredential({
    credential, suite, documentLoader: offlineLoader(extra),
  });
  return {
    verified: result.verified === true,
    error: result.verified ? undefined :
      String(result.error?.errors?.[0]?.message ?? result.error?.message ??
        JSON.stringify(result.results?.map(r => r.error?.message))),
  };
}

async function verifierCore(credential) {
  const {verifyCredential} = await import('@digitalcredentials/verifier-core');
  // Its schema compiler warns about the OB schema's tuple items on every run.
  const {warn, log, error} = console;
  console.warn = () => {};
  console.log = () => {};
  console.error = () => {};
  let result;
  try {
    result = await verifyCredential({
      credential, knownDIDRegistries: [], reloadIssuerRegistry: false,
    });
  } finally {
    console.warn = warn;
    console.log = log;
    console.error = error;
  }
  const signature = (result.log || []).find(l => l.id === 'valid_signature');
  const info = [result.additionalInformation ?? []].flat()
    .find(i => i?.id === 'schema_check');
  const schema = Array.isArray(info?.results) ?
    info.results.map(r => r.result?.valid) : undefined;
  return {
    schema,
    verified: signature?.valid === true && !(result.errors?.length),
    error: signature?.valid === true ? undefined :
      JSON.stringify(result.errors ?? result.log).slice(0, 300),
  };
}

async function verify(list) {
  const {extra, files: [expect, ...files]} = resolves(list);
  if(expect !== 'valid' && expect !== 'invalid') {
    throw new Error('verify: say valid or invalid before the files');
  }
  let failures = 0;
  for(const file of files) {
    const credential = JSON.parse(readFileSync(file, 'utf8'));
    const suites = [credential.proof].flat().map(p => p?.cryptosuite);
    const line = {file, suites};
    try {
      line.digitalbazaar = await digitalBazaar(credential, extra);
    } catch(e) {
      line.digitalbazaar = {verified: false, error: `threw: ${e.message}`};
    }
    // verifier-core implements eddsa-rdfc-2022 (not jcs) and resolves did:key only.
    if(suites.every(s => s === 'eddsa-rdfc-2022') && Object.keys(extra).length === 0) {
      try {
        line.verifierCore = await verifierCore(credential);
      } catch(e) {
        line.verifierCore = {verified: false, error: `threw: ${e.message}`};
      }
    }
    const verdicts = [line.digitalbazaar, line.verifierCore]
      .filter(Boolean).map(r => r.verified);
    line.ok = verdicts.every(v => v === (expect === 'valid'));
    if(!line.ok) {
      failures++;
    }
    console.log(JSON.stringify(line));
  }
  return failures;
}

async function didKeyPair() {
  const generated = await Ed25519Multikey.generate();
  const fingerprint = generated.publicKeyMultibase;
  const controller = `did:key:${fingerprint}`;
  const exported = await generated.export(
    {publicKey: true, secretKey: true, includeContext: true});
  return Ed25519Multikey.from(
    {...exported, id: `${controller}#${fingerprint}`, controller});
}

function badge(issuer, now) {
  const validUntil = new Date(Date.parse(now) + 365 * 24 * 3600e3)
    .toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    '@context': [
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
    ],
    id: 'https://partners.peer.example/credentials/7d0b1c2e-5b43-4a38-9a77-2b1f0c9e4d11',
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: 'Silver Partner — Delivery',
    issuer: {id: issuer, type: ['Profile'], name: 'Peer Partner Program',
      url: 'https://partners.peer.example'},
    validFrom: now,
    validUntil,
    credentialSubject: {
      id: 'https://contoso.example',
      type: ['AchievementSubject'],
      identifier: [{type: 'IdentityObject', identityHash: 'Contoso Ltd',
        identityType: 'name', hashed: false}],
      achievement: {
        id: 'https://partners.peer.example/program/tiers/silver',
        type: ['Achievement'],
        achievementType: 'Certification',
        name: 'Silver Partner',
        description: 'Delivers Peer Cloud projects.',
        criteria: {narrative: 'Two delivered projects and a passed exam.'},
        alignment: [{type: ['Alignment'], targetName: 'Delivery management',
          targetUrl: 'https://partners.peer.example/program/competencies/delivery',
          targetCode: 'DELIVERY', targetType: 'ceasn:Competency'}],
      },
    },
  };
}

function vc11(issuer, now) {
  return {
    '@context': [
      'https://www.w3.org/2018/credentials/v1',
      'https://w3id.org/security/data-integrity/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
    ],
    id: 'https://partners.peer.example/credentials/vc11-0001',
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: {id: issuer, type: ['Profile'], name: 'Peer Partner Program'},
    issuanceDate: now,
    name: 'Bronze Partner',
    credentialSubject: {
      id: 'https://fabrikam.example',
      type: ['AchievementSubject'],
      achievement: {
        id: 'https://partners.peer.example/program/tiers/bronze',
        type: ['Achievement'],
        name: 'Bronze Partner',
        description: 'Entry tier.',
        criteria: {narrative: 'A signed partner agreement.'},
      },
    },
  };
}

async function issue([dir]) {
  const key = await didKeyPair();
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const documentLoader = offlineLoader();
  const out = {
    'peer-ob3-rdfc.json': [badge(key.controller, now), rdfc],
    'peer-ob3-jcs.json': [badge(key.controller, now), createSignCryptosuite()],
    'peer-vc11-rdfc.json': [vc11(key.controller, now), rdfc],
  };
  for(const [name, [credential, cryptosuite]] of Object.entries(out)) {
    const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite});
    const signed = await vc.issue({credential, suite, documentLoader});
    writeFileSync(join(dir, name), JSON.stringify(signed, null, 2));
  }
  console.log(key.controller);
}

if(command === 'verify') {
  process.exitCode = (await verify(args)) > 0 ? 1 : 0;
} else if(command === 'issue') {
  await issue(args);
} else {
  console.error('usage: node interop.mjs verify [--resolve=URL=FILE]... FILE... | issue DIR');
  process.exit(2);
}
