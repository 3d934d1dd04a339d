// A badge's states as the standalone page and the embed component show them: the word, a
// sentence, and the verify page's icon (web/templates/icon.html) as one stroked path. English
// only: these pages are static and cannot use the locale catalogs.

/** Per state (`Standing` in the core): {word, lead, glyph}. */
export const STATES = {
  valid: { word: 'Valid', lead: 'This badge is genuine and current.', glyph: 'M6.5 12.5l3.5 3.5 7.5-8' },
  expired: { word: 'Expired', lead: 'This badge was genuine but has expired.', glyph: 'M12 6v6l4 3' },
  'not-yet-valid': { word: 'Not yet valid', lead: 'This badge is genuine but not valid yet.', glyph: 'M12 6v6l4 3' },
  suspended: { word: 'Suspended', lead: 'The issuer has suspended this badge.', glyph: 'M9 7v10M15 7v10' },
  revoked: { word: 'Revoked', lead: 'The issuer has revoked this badge.', glyph: 'M7.5 7.5l9 9M16.5 7.5l-9 9' },
  invalid: {
    word: 'Not valid',
    lead: 'This badge failed its checks: it may have been altered, or was not issued by whom it names.',
    glyph: 'M7.5 7.5l9 9M16.5 7.5l-9 9',
  },
  unknown: {
    word: 'Cannot verify',
    lead: 'This badge could not be checked completely right now. Do not rely on it until it can.',
    glyph: 'M9 9a3 3 0 1 1 4 2.8c-.7.3-1 .8-1 1.5V14M12 17.5v.01',
  },
};
