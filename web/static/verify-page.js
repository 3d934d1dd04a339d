// The verify page's second opinion (issue 16): the reader's browser verifies the badge again
// with the same pipeline compiled to WebAssembly (verify-browser.js), against the same trust
// list as the server, at the browser's own clock, and says whether it agrees with the
// server's verdict above. Everything it needs comes from data attributes of
// #browser-check (no inline script); every text is set with textContent. Without
// JavaScript, the section stays hidden and the server's verdict stands alone.

const section = document.getElementById('browser-check');

/** `template` with each {name} replaced by `values[name]`. */
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** The browser's checks as a table like the server's (#checks). */
function checksTable(report, texts) {
  const table = element('table', undefined, { id: 'browser-checks' });
  const head = table.createTHead().insertRow();
  for (const label of [texts.check, texts.outcome, texts.detail]) {
    head.appendChild(element('th', label, { scope: 'col' }));
  }
  const body = table.createTBody();
  for (const check of report.checks ?? []) {
    const row = body.insertRow();
    row.dataset.check = check.check;
    row.dataset.outcome = check.outcome;
    row.appendChild(element('th', texts.checks[check.check] ?? texts.check_other, { scope: 'row' }));
    const outcome = element('td', texts.outcomes[check.outcome] ?? check.outcome, {
      class: `outcome-${check.outcome}`,
    });
    if (check.code) {
      outcome.append(' ');
      outcome.appendChild(element('code', check.code));
    }
    row.appendChild(outcome);
    row.appendChild(element('td', check.detail ?? ''));
  }
  return table;
}

function list(text) {
  try {
    const value = JSON.parse(text ?? '[]');
    return Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

async function run(section) {
  const texts = JSON.parse(section.dataset.texts);
  const verdict = section.querySelector('#browser-verdict');
  const detail = section.querySelector('#browser-detail');
  const server = section.dataset.standing;
  section.hidden = false;
  section.dataset.browser = 'running';
  try {
    const { verifyCredential, fetchCredential } = await import('./verify-browser.js');
    const insecureHosts = list(section.dataset.insecureHosts);
    const started = performance.now();
    const credential =
      section.dataset.credential ??
      (await fetchCredential(new URL(section.dataset.credentialUrl, location.href).href));
    const result = await verifyCredential(credential, {
      trust: list(section.dataset.trust),
      insecureHosts,
    });
    const ms = Math.round(performance.now() - started);
    const state = texts.states[result.standing] ?? result.standing;
    section.dataset.browserStanding = result.standing;
    section.dataset.build = result.build;
    section.classList.add(`state-${result.standing}`);
    if (result.standing === server) {
      section.dataset.browser = 'agrees';
      verdict.textContent = fill(texts.agrees, { state });
      detail.textContent = fill(texts.agrees_detail, { build: result.build, ms });
    } else {
      section.dataset.browser = 'disagrees';
      verdict.textContent = fill(texts.disagrees, { state });
      detail.textContent = fill(texts.disagrees_detail, {
        server: texts.states[server] ?? server,
        build: result.build,
      });
      section.appendChild(checksTable(result.report, texts));
    }
  } catch (error) {
    // An old browser, a build not served, a network failure: say so quietly.
    section.dataset.browser = 'failed';
    section.classList.add('browser-failed');
    verdict.textContent = texts.failed;
    detail.textContent = '';
    console.warn('in-browser verification could not run:', error);
  }
}

if (section) run(section);
