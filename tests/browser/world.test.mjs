// The fixtures the browser tests rely on, checked through the JSON APIs (no browser): each
// badge of the world is in the state its name says, by the standalone verifier's report, and
// the badge of a stopped issuer cannot have its status checked. If these fail, every page test
// would fail for the wrong reason.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { badgeOfADownIssuer, get, startVerifier, startWorld } from './harness.mjs';

let world;
before(async () => {
  world = await startWorld();
});
after(() => world?.stop());

/** The verifier's JSON report on a document: {status, verified, checks: {id: outcome}}. */
async function verify(verifier, document) {
  const response = await fetch(`${verifier.base}/credentials/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ verifiableCredential: document }),
  });
  const body = await response.json();
  const checks = Object.fromEntries(
    (body.checks || []).map((c) => [c.check ?? c.id ?? c.name, c.outcome ?? c.status]),
  );
  return { status: response.status, verified: body.verified, checks, body };
}

/** The badge as the issuer publishes it now (JSON). */
async function published(badge) {
  const { status, text } = await get(badge.url, 'application/json');
  assert.equal(status, 200, `GET ${badge.url}`);
  return JSON.parse(text);
}

test('the valid badge verifies', async () => {
  const r = await verify(world.verifier, await published(world.badges.valid));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.verified, true);
});

test('the expired badge fails only its validity check', async () => {
  const r = await verify(world.verifier, await published(world.badges.expired));
  assert.equal(r.status, 422);
  assert.equal(r.checks.proof, 'passed', JSON.stringify(r.body.checks));
  assert.equal(r.checks.validity, 'failed', JSON.stringify(r.body.checks));
});

test('the suspended and revoked badges fail their status check', async () => {
  for (const name of ['suspended', 'revoked']) {
    const r = await verify(world.verifier, await published(world.badges[name]));
    assert.equal(r.status, 422, name);
    assert.equal(r.checks.proof, 'passed', `${name}: ${JSON.stringify(r.body.checks)}`);
    assert.equal(r.checks.status, 'failed', `${name}: ${JSON.stringify(r.body.checks)}`);
  }
});

test('the tampered badge is served changed and fails its proof', async () => {
  const document = await published(world.badges.tampered);
  assert.match(JSON.stringify(document), /Trusted Example Ltd/);
  const r = await verify(world.verifier, document);
  assert.equal(r.status, 422);
  assert.equal(r.checks.proof, 'failed', JSON.stringify(r.body.checks));
});

test('the XSS partner is stored with its name verbatim', async () => {
  const document = await published(world.badges.xss);
  assert.ok(JSON.stringify(document).includes('<img src=x onerror=alert(1)>'));
  const r = await verify(world.verifier, document);
  assert.equal(r.status, 200, JSON.stringify(r.body));
});

test("a stopped issuer's badge verifies except for its status (unknown)", async () => {
  const down = await badgeOfADownIssuer();
  const verifier = await startVerifier([{ id: down.issuerId, name: 'Down demo' }], [down.address]);
  try {
    const r = await verify(verifier, down.document);
    assert.equal(r.checks.proof, 'passed', JSON.stringify(r.body.checks));
    assert.equal(r.checks.status, 'unknown', JSON.stringify(r.body.checks));
    assert.equal(r.verified, false);
  } finally {
    await verifier.stop();
  }
});
