// <hallmark-badge>: the optional embed script, for partners whose pages allow it. It wraps
// the plain embed snippet, which stays its content (and all a visitor sees with scripts off):
//
//   <script type="module" src="https://ISSUER/assets/hallmark-badge.js"></script>
//   <hallmark-badge><a href="VERIFY_URL"><img src="BADGE_SVG" alt="…"></a></hallmark-badge>
//
// and adds the badge's live state, verified in the visitor's browser: state word, icon and
// "verified in your browser". The partner's CSP needs only `script-src <issuer origin>`
// (plus `frame-src <issuer origin>` when it sets default-src or frame-src): the WebAssembly
// runs in a hidden iframe from the issuer (GET /embed/frame, frame.js), whose answer is
// accepted only from that frame's window and the issuer's origin, and shown with textContent
// in a shadow root. Attribute `badge` names the badge URL when the link does not.

import { STATES } from './states.js';

const ISSUER = new URL(import.meta.url).origin;
const FRAME = new URL('../embed/frame', import.meta.url).href;
const SVG = 'http://www.w3.org/2000/svg';


// A constructed style sheet, not a <style> element: no inline style for the page's CSP.
let sheet = null;
function styles() {
  if (!sheet && 'adoptedStyleSheets' in Document.prototype) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(`
      :host { display: inline-block; font: 0.875rem/1.3 system-ui, sans-serif; }
      .live { display: flex; align-items: center; gap: 0.35rem; margin-top: 0.25rem; }
      .live[hidden] { display: none; }
      svg { width: 1.1rem; height: 1.1rem; flex: none; }
      .word { font-weight: 700; }
      .how { font-weight: 400; }
      .how { color: #4b5563; }
      .valid { color: #1a7f37; }
      .expired, .not-yet-valid, .suspended { color: #8a5a00; }
      .revoked, .invalid { color: #b42318; }
      .unknown { color: #4b5563; }
      circle { fill: currentColor; }
    `);
  }
  return sheet ? [sheet] : [];
}

let counter = 0;

class HallmarkBadge extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const badge = this.getAttribute('badge') || this.querySelector('a[href]')?.href;
    if (!badge || !/^https?:\/\//.test(badge)) return;
    const root = this.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = styles();
    root.append(document.createElement('slot'));

    const live = document.createElement('div');
    live.className = 'live';
    live.setAttribute('part', 'state');
    live.setAttribute('role', 'status');
    live.hidden = true;
    const icon = document.createElementNS(SVG, 'svg');
    icon.setAttribute('viewBox', '0 0 24 24');
    icon.setAttribute('aria-hidden', 'true');
    icon.setAttribute('focusable', 'false');
    const disc = document.createElementNS(SVG, 'circle');
    disc.setAttribute('cx', '12');
    disc.setAttribute('cy', '12');
    disc.setAttribute('r', '11');
    const glyph = document.createElementNS(SVG, 'path');
    for (const [k, v] of Object.entries({ fill: 'none', stroke: '#fff', 'stroke-width': '2.5', 'stroke-linecap': 'round', 'stroke-linejoin': 'round' })) {
      glyph.setAttribute(k, v);
    }
    icon.append(disc, glyph);
    const word = document.createElement('span');
    word.className = 'word';
    const how = document.createElement('span');
    how.className = 'how';
    live.append(icon, word, ' ', how);
    root.append(live);

    const id = `hb${++counter}-${crypto.getRandomValues(new Uint32Array(2)).join('')}`;
    const frame = document.createElement('iframe');
    frame.hidden = true;
    frame.title = 'Badge check';
    frame.setAttribute('aria-hidden', 'true');
    frame.setAttribute('tabindex', '-1');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.src = `${FRAME}#url=${encodeURIComponent(badge)}&id=${id}`;

    const onMessage = (event) => {
      if (event.origin !== ISSUER || event.source !== frame.contentWindow) return;
      const data = event.data;
      if (!data || data.type !== 'hallmark-badge' || data.id !== id) return;
      window.removeEventListener('message', onMessage);
      frame.remove();
      const state = Object.hasOwn(STATES, data.standing) ? data.standing : 'unknown';
      live.className = `live ${state}`;
      glyph.setAttribute('d', STATES[state].glyph);
      word.textContent = STATES[state].word;
      how.textContent = 'verified in your browser';
      this.dataset.state = state;
      this.result = data;
      live.hidden = false;
      this.dispatchEvent(new CustomEvent('hallmark-badge-verified', { detail: data }));
    };
    window.addEventListener('message', onMessage);
    root.append(frame);
  }
}

if (!customElements.get('hallmark-badge')) customElements.define('hallmark-badge', HallmarkBadge);
